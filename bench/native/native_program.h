// The sample programs' logic hand-written in C++ and compiled -O2 into the
// benchmark: the practical limit a JIT can approach. Each one works on the
// same frame (vm::XdpBuff) and the same maps as the eBPF program it mirrors,
// taken from a loaded vm::Object: hash, LRU, LPM-trie and devmap lookups go
// through vm::Map (the code the helpers call), arrays and per-CPU arrays are
// indexed in their value memory directly, as a C program indexes its own
// array (and as the kernel and xdpdk JITs inline array lookups).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "vm/error.h"
#include "vm/exec_context.h"
#include "vm/object.h"
#include "vm/xdp.h"

namespace xdpdk::bench::native {

class NativeProgram {
public:
    virtual ~NativeProgram() = default;
    // One packet, as run_xdp runs the eBPF program: returns the verdict and
    // leaves redirects in `ex`.
    virtual uint64_t run(vm::XdpBuff& xdp, vm::ExecContext& ex) = 0;
};

// The counterpart of the sample entry function `program`, bound to the maps
// and globals of `obj` (loaded). An error when there is none.
Result<std::unique_ptr<NativeProgram>> make_native(std::string_view program, vm::Object& obj);

}  // namespace xdpdk::bench::native
