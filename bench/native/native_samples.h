// One factory per sample (bench/native/<sample>.cc), bound to a loaded
// object's maps; make_native() picks by entry function name.
#pragma once

#include <memory>

#include "native_program.h"

namespace xdpdk::bench::native {

Result<std::unique_ptr<NativeProgram>> make_pass(vm::Object& obj);
Result<std::unique_ptr<NativeProgram>> make_drop(vm::Object& obj);
Result<std::unique_ptr<NativeProgram>> make_mac_swap(vm::Object& obj);
Result<std::unique_ptr<NativeProgram>> make_pkt_counter(vm::Object& obj);
Result<std::unique_ptr<NativeProgram>> make_firewall(vm::Object& obj);
Result<std::unique_ptr<NativeProgram>> make_load_balancer(vm::Object& obj);
Result<std::unique_ptr<NativeProgram>> make_redirect(vm::Object& obj);
Result<std::unique_ptr<NativeProgram>> make_tail_calls(vm::Object& obj);
Result<std::unique_ptr<NativeProgram>> make_meta_tail(vm::Object& obj);
Result<std::unique_ptr<NativeProgram>> make_global_config(vm::Object& obj);

}  // namespace xdpdk::bench::native
