// Calling a program's callback (a subprogram handed to bpf_loop or
// bpf_for_each_map_elem, see Callback in program.h) from a helper, in the
// engine that runs the program: its JIT entry when the program is compiled,
// the interpreter otherwise.
#pragma once

#include <cstdint>

#include "exec_context.h"
#include "program.h"

namespace xdpdk::vm {

uint64_t call_callback(const Callback& cb, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                       ExecContext* ex);

}  // namespace xdpdk::vm
