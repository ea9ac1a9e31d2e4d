// Random valid and safe eBPF programs for differential testing of the engines
// (JIT against interpreter). Every program terminates, touches only memory it
// may touch (its stack frames and a buffer at r1 of r2 bytes), reads only
// registers and stack bytes it wrote, and calls only deterministic helpers, so
// any two correct engines produce the same r0 and the same final buffer.
//
// Shape: main starts with `r9 = r1` (the buffer stays at r9) and, unless it
// returns early, ends with a loop folding every buffer word into r0, so r0
// alone nearly always tells whether two runs agree. Control flow is forward
// jumps, if/else diamonds, counted loops and early returns. Up to three
// subprograms (no recursion: each calls only ones generated after it, laid
// out in any order) take scalar arguments and an "arena" pointer in r1 (a
// slice of the caller's buffer or stack, kept in r9). Pointers derived from
// r9 or r10 live in any free register for one access, then count as dead.
#pragma once

#include <cstdint>
#include <vector>

#include "vm/opcodes.h"

namespace xdpdk::progfuzz {

struct GeneratorOptions {
    // Poison mode, for checking the generator itself: every register the
    // program must no longer read (after a call, after a pointer temporary,
    // at function entry) is overwritten with `poison_value`. The program's
    // meaning does not change, so a run whose result depends on the poison
    // value has read a register it had no right to read.
    bool poison = false;
    uint64_t poison_value = 0;
};

struct GeneratedCase {
    uint64_t seed = 0;
    std::vector<vm::RawInsn> program;
    std::vector<uint8_t> mem;  // initial buffer: r1 points to a copy, r2 = its size (a multiple of 8)
    uint32_t cpu = 0;          // ExecContext::cpu, what bpf_get_smp_processor_id returns
};

// Deterministic: the same seed gives the same case on every build.
GeneratedCase generate_case(uint64_t seed, const GeneratorOptions& opts = {});

}  // namespace xdpdk::progfuzz
