// Engines behind one interface. A program compiled by jit_compile (prog.jit)
// runs its machine code; any other runs in the interpreter.
#pragma once

#include <cstdint>
#include <string_view>

#include "error.h"
#include "exec_context.h"
#include "program.h"
#include "xdp.h"

namespace xdpdk::vm {

enum class EngineKind : uint8_t { Interp, Jit };

// "interp" / "jit"; an error names the engines that exist.
Result<EngineKind> parse_engine(std::string_view name);

// Runs an XDP program on one frame; returns the program's r0.
uint64_t run_xdp(const Program& prog, XdpBuff& xdp, ExecContext& ex);

// Whether a run of `prog` that ends in XDP_DROP, XDP_PASS or XDP_TX may leave
// per-run state in the ExecContext (a redirect target, the tail-call count):
// it calls a helper whose row says so (HelperSpec::leaves_run_state:
// bpf_redirect, bpf_redirect_map, bpf_tail_call). A run that
// faults returns XDP_ABORTED. Callers running many packets reset the state
// only when a run may have left some (dataplane worker).
bool leaves_run_state(const Program& prog);

// Runs a raw program: r1 = mem (nullptr allowed), r2 = len.
uint64_t run_raw(const Program& prog, void* mem, uint64_t len, ExecContext& ex);

}  // namespace xdpdk::vm
