#pragma once

#include <cstdint>

#include "exec_context.h"
#include "program.h"

namespace xdpdk::vm {

// Runs `prog` from instruction 0 with r1, r2 as given and r10 at the top of a
// fresh 512-byte frame. Trusts that the program was decoded (and, once the
// verifier exists, verified): no per-instruction safety checks.
uint64_t interpret(const Program& prog, uint64_t r1, uint64_t r2, ExecContext& ex);

// Runs `prog` from instruction `start` (a callback's first instruction) with
// r1-r5 as given, in frames of its own: its exit returns from the call.
uint64_t interpret_at(const Program& prog, uint32_t start, const uint64_t (&args)[5], ExecContext& ex);

}  // namespace xdpdk::vm
