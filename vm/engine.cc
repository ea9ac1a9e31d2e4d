#include "engine.h"

#include "helpers.h"
#include "interpreter.h"

namespace xdpdk::vm {

Result<EngineKind> parse_engine(std::string_view name) {
    if (name == "interp") return EngineKind::Interp;
    if (name == "jit") return EngineKind::Jit;
    return make_error("engine", "unknown engine '" + std::string(name) + "' (choose interp or jit)");
}

namespace {
// A program with machine code runs it; otherwise the interpreter runs it.
inline uint64_t run(const Program& prog, uint64_t r1, uint64_t r2, ExecContext& ex) {
    if (prog.jit) [[likely]]
        return prog.jit->entry()(r1, r2, &ex);
    return interpret(prog, r1, r2, ex);
}
}  // namespace

bool leaves_run_state(const Program& prog) {
    for (const Insn& in : prog.insns) {
        if (in.op != Op::Call) continue;
        if (const HelperSpec* h = helper_spec(in.imm); h && h->leaves_run_state) return true;
    }
    return false;
}

uint64_t run_xdp(const Program& prog, XdpBuff& xdp, ExecContext& ex) {
    ex.reset_run();
    return run(prog, reinterpret_cast<uint64_t>(&xdp), 0, ex);
}

uint64_t run_raw(const Program& prog, void* mem, uint64_t len, ExecContext& ex) {
    ex.reset_run();
    return run(prog, reinterpret_cast<uint64_t>(mem), len, ex);
}

}  // namespace xdpdk::vm
