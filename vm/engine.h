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

// Runs a raw program: r1 = mem (nullptr allowed), r2 = len.
uint64_t run_raw(const Program& prog, void* mem, uint64_t len, ExecContext& ex);

}  // namespace xdpdk::vm
