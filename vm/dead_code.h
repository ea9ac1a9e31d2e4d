// Dropping what the verifier proved no path reaches, as the kernel does for a
// privileged loader (opt_hard_wire_dead_code_branches, opt_remove_dead_code,
// opt_remove_nops): a branch with one dead side becomes a plain jump or falls
// through, and dead instructions leave the program, so a feature switched off
// by a .rodata knob costs the JIT's code nothing.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "error.h"
#include "program.h"

namespace xdpdk::vm {

// `dead`: indexes of instructions no path reaches (sorted); `origins`, the
// source lines and the functions have their instruction indexes moved with
// the code (source_lines.h says how lines of removed code are kept).
Status remove_dead_code(const std::string& subject, std::vector<RawInsn>& insns, std::span<const uint32_t> dead,
                        std::vector<LddwOrigin>& origins, std::vector<LineInfo>& lines,
                        std::vector<FuncInfo>& funcs);

}  // namespace xdpdk::vm
