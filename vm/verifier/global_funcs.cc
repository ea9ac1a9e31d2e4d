// Global (non-static) functions as Linux treats them: at each call the
// arguments are checked against the BTF prototype and the caller gets an
// unknown number back; each called function is then verified once on its
// own, from the prototype's arguments.
#include <algorithm>

#include "../helpers.h"
#include "verifier_impl.h"
#include "text.h"

namespace xdpdk::vm::verifier {

void Verifier::init_globals() {
    global_of_.assign(cfg_.subprog_start.size(), -1);
    const auto& starts = cfg_.subprog_start;
    for (size_t g = 0; g < env_.global_funcs.size(); ++g) {
        auto it = std::lower_bound(starts.begin(), starts.end(), env_.global_funcs[g].start);
        if (it != starts.end() && it != starts.begin() && *it == env_.global_funcs[g].start)
            global_of_[size_t(it - starts.begin())] = static_cast<int>(g);
    }
    global_called_.assign(env_.global_funcs.size(), false);
    global_verified_.assign(env_.global_funcs.size(), false);
}

// Linux marks a subprogram that may move the packet (a packet-changing
// helper anywhere in it or its callees), and a call to it as a global
// function invalidates the caller's packet pointers.
bool Verifier::subprog_changes_packet(uint32_t sub) const {
    std::vector<bool> seen(cfg_.subprog_start.size(), false);
    std::vector<uint32_t> todo{sub};
    while (!todo.empty()) {
        const uint32_t s = todo.back();
        todo.pop_back();
        if (seen[s]) continue;
        seen[s] = true;
        for (uint32_t pc = cfg_.subprog_start[s]; pc < prog_.insns.size() && cfg_.subprog_of[pc] == s; ++pc) {
            const Insn& in = prog_.insns[pc];
            if (in.op != Op::Call) continue;
            const HelperSpec* h = helper_spec(in.imm);
            if (h && h->changes_packet) return true;
        }
        for (uint32_t c : cfg_.callees[s]) todo.push_back(c);
    }
    return false;
}

// A call to a global function: the arguments against its prototype, as
// Linux's btf_check_func_arg_match checks them; the body is verified on its
// own later.
Status Verifier::check_global_call(uint32_t sub) {
    const size_t gi = size_t(global_of_[sub]);
    const GlobalFunc& g = env_.global_funcs[gi];
    const std::string fn = cat("func#", sub, " ('", g.name, "')");
    auto invalid = [&](const std::string& why) { return fail(cat("caller passes invalid args into ", fn, ": ", why)); };
    if (!g.invalid.empty()) return invalid(g.invalid);
    for (size_t i = 0; i < g.args.size(); ++i) {
        const int r = static_cast<int>(i) + 1;
        RegState& a = reg(r);
        const FuncArg& arg = g.args[i];
        switch (arg.kind) {
            case FuncArg::Kind::Scalar:
                if (!a.is_scalar()) return invalid(cat(reg_name(r), " is not a scalar"));
                break;
            case FuncArg::Kind::Ctx:
                if (a.type == RegType::Ctx && (a.off != 0 || !a.value.is_zero()))
                    return invalid(cat("dereference of modified ctx ptr ", reg_name(r), " off=", a.off, " disallowed"));
                if (a.type != RegType::Ctx) return invalid(cat("arg#", i, " expects pointer to ctx"));
                break;
            case FuncArg::Kind::Mem: {
                if (a.is_null_const()) break;
                // The callee may read and write every byte; a pointer that
                // may be NULL is checked as if it were not.
                const RegState saved = a;
                a.type = non_null_type(a.type);
                Status st = check_helper_mem(r, arg.mem_size, AccessKind::Read);
                if (st) st = check_helper_mem(r, arg.mem_size, AccessKind::Write);
                reg(r) = saved;
                if (!st) return invalid(st.error().reason.substr(0, st.error().reason.find('\n')));
                if (arg.nonnull && is_or_null(saved.type)) return invalid(cat("arg#", i, " is expected to be non-NULL"));
                break;
            }
        }
    }
    if (subprog_changes_packet(sub)) {
        for_each_reg(cur_, [](RegState& r) {
            if (r.type == RegType::Packet || r.type == RegType::PacketMeta || r.type == RegType::PacketEnd)
                r = RegState::unknown();
        });
    }
    global_called_[gi] = true;
    if (env_.log_insns && env_.log) *env_.log += cat(fn, " is global and assumed valid.\n");
    Frame& f = cur_.cur();
    for (int r = 1; r <= 5; ++r) f.regs[r] = RegState{};
    f.regs[0] = RegState::unknown();  // every global function returns a number
    next_pc_ = pc_ + 1;
    return {};
}

bool Verifier::next_global() {
    for (size_t gi = 0; gi < global_called_.size(); ++gi) {
        if (!global_called_[gi] || global_verified_[gi]) continue;
        global_verified_[gi] = true;
        const GlobalFunc& g = env_.global_funcs[gi];
        State st;
        st.frames.emplace_back();
        Frame& f = st.frames.back();
        f.subprog = cfg_.subprog_of[g.start];
        f.regs[10] = RegState::pointer(RegType::Stack);
        for (size_t i = 0; i < g.args.size(); ++i) {
            RegState& r = f.regs[i + 1];
            switch (g.args[i].kind) {
                case FuncArg::Kind::Scalar: r = RegState::unknown(); break;
                case FuncArg::Kind::Ctx: r = RegState::pointer(RegType::Ctx); break;
                case FuncArg::Kind::Mem:
                    r = RegState::pointer(g.args[i].nonnull ? RegType::Mem : RegType::MemOrNull);
                    r.mem_size = g.args[i].mem_size;
                    if (!g.args[i].nonnull) r.id = new_id();
                    break;
            }
        }
        if (env_.log_insns && env_.log) *env_.log += cat("Validating ", g.name, "() func#", f.subprog, "...\n");
        pending_.push_back(Pending{std::move(st), g.start, nullptr, PathLog::kRoot});
        return true;
    }
    return false;
}

}  // namespace xdpdk::vm::verifier
