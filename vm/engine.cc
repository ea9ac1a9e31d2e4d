#include "engine.h"

#include "interpreter.h"

namespace xdpdk::vm {

Result<EngineKind> parse_engine(std::string_view name) {
    if (name == "interp") return EngineKind::Interp;
    if (name == "jit") return make_error("engine", "the JIT engine is not built yet; use --engine interp");
    return make_error("engine", "unknown engine '" + std::string(name) + "' (choose interp or jit)");
}

uint64_t run_xdp(const Program& prog, XdpBuff& xdp, ExecContext& ex) {
    ex.reset_run();
    return interpret(prog, reinterpret_cast<uint64_t>(&xdp), 0, ex);
}

uint64_t run_raw(const Program& prog, void* mem, uint64_t len, ExecContext& ex) {
    ex.reset_run();
    return interpret(prog, reinterpret_cast<uint64_t>(mem), len, ex);
}

}  // namespace xdpdk::vm
