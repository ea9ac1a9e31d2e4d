// Which eBPF registers a program touches and which it may read before any
// path from its entry has written them. The prologue saves only the x86
// callee-saved registers behind the touched ones and zeroes only the
// registers that may be read unwritten, which is all the interpreter's
// zero-initialised register file can show: every other register is written
// before it is read on every path.
#pragma once

#include <cstdint>
#include <vector>

#include "../program.h"

namespace xdpdk::vm::jit {

struct RegisterUse {
    uint16_t touched = 0;       // bit r: some instruction names r (dst or src)
    uint16_t read_unwritten = 0;  // bit r: r may be read before it is written
    bool calls = false;         // helper, tail or BPF-to-BPF calls (needs the ExecContext)
    // live_out[i] bit r: some path from after insn i reads r before writing
    // it (calls count as in analyze_register_use; exit reads r0).
    std::vector<uint16_t> live_out;
};

// Tail calls and BPF-to-BPF calls count as reading r0-r9: the target runs
// on with the caller's registers, as in the interpreter.
RegisterUse analyze_register_use(const Program& prog);

}  // namespace xdpdk::vm::jit
