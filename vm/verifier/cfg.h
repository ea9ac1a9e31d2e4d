// The program's static structure, checked before any path is explored:
// subprograms (entered by local calls), jumps that stay inside their
// subprogram, a final exit or goto in each, every instruction reachable, and
// no recursion. Also gives the points where states are compared (jump
// targets, branch fall-throughs, call returns) and register liveness.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../error.h"
#include "../program.h"

namespace xdpdk::vm::verifier {

struct Cfg {
    std::vector<uint32_t> subprog_start;  // sorted; [0] == 0
    std::vector<uint32_t> subprog_of;     // per instruction
    std::vector<bool> prune_point;
    std::vector<uint16_t> live_in;        // bit r: register r may be read before written
    // Subprograms each one calls directly (for the combined stack check).
    std::vector<std::vector<uint32_t>> callees;
    bool has_tail_call = false;
};

// `subject` names the program in errors. A callback (an lddw of a
// subprogram's address, Program::callbacks) starts a subprogram, which the
// function holding the lddw counts as a callee, as Linux does.
Result<Cfg> build_cfg(const std::string& subject, const std::vector<Insn>& insns,
                      const std::vector<std::unique_ptr<Callback>>& callbacks = {});

// Registers an instruction reads and writes (bits 0-10).
uint16_t insn_uses(const Insn& in);
uint16_t insn_defs(const Insn& in);

}  // namespace xdpdk::vm::verifier
