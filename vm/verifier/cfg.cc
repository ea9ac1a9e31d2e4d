#include "cfg.h"

#include <algorithm>

#include "../helpers.h"
#include "text.h"

namespace xdpdk::vm::verifier {
namespace {

constexpr uint16_t bit(int r) { return uint16_t(1u << r); }
constexpr uint16_t kArgRegs = 0x3e;      // r1-r5
constexpr uint16_t kCallerSaved = 0x3f;  // r0-r5

bool is_cond_jump(Kind k) { return k == Kind::JmpImm || k == Kind::JmpReg; }

int64_t jump_target(const Insn& in, int64_t pc) {
    if (in.op == Op::Ja32 || in.op == Op::CallLocal) return pc + int64_t{in.imm} + 1;
    return pc + in.off + 1;
}

// Successors inside the function (a local call continues after itself).
void successors(const std::vector<Insn>& insns, int64_t pc, std::vector<int64_t>& out) {
    out.clear();
    const Insn& in = insns[pc];
    const Kind k = op_info(in.op).kind;
    if (k == Kind::Exit) return;
    if (k == Kind::Ja) {
        out.push_back(jump_target(in, pc));
        return;
    }
    if (is_cond_jump(k)) out.push_back(jump_target(in, pc));
    out.push_back(pc + (k == Kind::Lddw ? 2 : 1));
}

}  // namespace

uint16_t insn_uses(const Insn& in) {
    const OpInfo& info = op_info(in.op);
    switch (info.kind) {
        case Kind::AluImm: return info.op == Op::Mov64Imm || info.op == Op::Mov32Imm ? 0 : bit(in.dst);
        case Kind::AluReg:
            return (info.op == Op::Mov64Reg || info.op == Op::Mov32Reg ? 0 : bit(in.dst)) | bit(in.src);
        case Kind::Neg: case Kind::Endian: return bit(in.dst);
        case Kind::MovSx: return bit(in.src);
        case Kind::JmpImm: return bit(in.dst);
        case Kind::JmpReg: return bit(in.dst) | bit(in.src);
        case Kind::Ja: case Kind::Lddw: case Kind::LddwTail: return 0;
        case Kind::Call: {
            if (in.op == Op::CallLocal) return kArgRegs;
            const HelperSpec* h = helper_spec(in.imm);
            return h ? h->arg_regs() : kArgRegs;
        }
        case Kind::Exit: return bit(0);
        case Kind::Ldx: case Kind::Ldxs: return bit(in.src);
        case Kind::St: return bit(in.dst);
        case Kind::Stx: return bit(in.dst) | bit(in.src);
        case Kind::Atomic:
            return bit(in.dst) | bit(in.src) | (in.op == Op::AtomicCmpxchgW || in.op == Op::AtomicCmpxchgDW ? bit(0) : 0);
    }
    return 0;
}

uint16_t insn_defs(const Insn& in) {
    const OpInfo& info = op_info(in.op);
    switch (info.kind) {
        case Kind::AluImm: case Kind::AluReg: case Kind::Neg: case Kind::Endian: case Kind::MovSx:
        case Kind::Lddw: case Kind::Ldx: case Kind::Ldxs:
            return bit(in.dst);
        case Kind::Call: return kCallerSaved;
        case Kind::Atomic: {
            uint16_t d = 0;
            if (in.imm & bpf::FETCH) d |= bit(in.src);
            if (in.op == Op::AtomicCmpxchgW || in.op == Op::AtomicCmpxchgDW) d = bit(0);
            return d;
        }
        default: return 0;
    }
}

Result<Cfg> build_cfg(const std::string& subject, const std::vector<Insn>& insns,
                      const std::vector<std::unique_ptr<Callback>>& callbacks) {
    const int64_t n = static_cast<int64_t>(insns.size());
    Cfg cfg;
    cfg.subprog_start.push_back(0);
    for (const auto& cb : callbacks) cfg.subprog_start.push_back(cb->start);
    for (int64_t pc = 0; pc < n; ++pc) {
        const Insn& in = insns[pc];
        if (in.op == Op::CallLocal) cfg.subprog_start.push_back(static_cast<uint32_t>(jump_target(in, pc)));
        if (in.op == Op::Call && in.imm == helper_id::TailCall) cfg.has_tail_call = true;
    }
    std::sort(cfg.subprog_start.begin(), cfg.subprog_start.end());
    cfg.subprog_start.erase(std::unique(cfg.subprog_start.begin(), cfg.subprog_start.end()), cfg.subprog_start.end());
    const size_t nsub = cfg.subprog_start.size();
    cfg.subprog_of.resize(n);
    for (size_t s = 0; s < nsub; ++s) {
        const int64_t end = s + 1 < nsub ? cfg.subprog_start[s + 1] : n;
        for (int64_t pc = cfg.subprog_start[s]; pc < end; ++pc) cfg.subprog_of[pc] = static_cast<uint32_t>(s);
        const Op last = insns[end - 1].op;
        if (last != Op::Exit && last != Op::Ja && last != Op::Ja32)
            return make_insn_error(subject, end - 1, "last insn of a subprogram is not exit or goto: execution falls into the next one");
    }
    cfg.callees.resize(nsub);
    for (const auto& cb : callbacks) {
        const uint32_t callee = cfg.subprog_of[cb->start];
        auto& c = cfg.callees[cfg.subprog_of[cb->lddw]];
        if (std::find(c.begin(), c.end(), callee) == c.end()) c.push_back(callee);
    }
    for (int64_t pc = 0; pc < n; ++pc) {
        const Insn& in = insns[pc];
        const Kind k = op_info(in.op).kind;
        if (in.op == Op::CallLocal) {
            const uint32_t callee = cfg.subprog_of[jump_target(in, pc)];
            auto& c = cfg.callees[cfg.subprog_of[pc]];
            if (std::find(c.begin(), c.end(), callee) == c.end()) c.push_back(callee);
            continue;
        }
        if (k != Kind::Ja && !is_cond_jump(k)) continue;
        const int64_t t = jump_target(in, pc);
        if (cfg.subprog_of[t] != cfg.subprog_of[pc])
            return make_insn_error(subject, pc, cat("jump out of range from insn ", pc, " to ",
                                                    std::to_string(t), ": the target is in another subprogram"));
    }

    // Reachability over both directions of every branch and into callees.
    std::vector<bool> seen(n, false);
    std::vector<int64_t> work{0}, succ;
    seen[0] = true;
    while (!work.empty()) {
        const int64_t pc = work.back();
        work.pop_back();
        successors(insns, pc, succ);
        if (insns[pc].op == Op::CallLocal) succ.push_back(jump_target(insns[pc], pc));
        if (insns[pc].op == Op::Lddw && insns[pc].src == bpf::PSEUDO_FUNC)
            for (const auto& cb : callbacks)
                if (cb->lddw == pc) succ.push_back(cb->start);
        for (int64_t s : succ)
            if (s < n && !seen[s]) seen[s] = true, work.push_back(s);
    }
    for (int64_t pc = 0; pc < n; ++pc) {
        if (insns[pc].op == Op::LddwTail) continue;
        if (!seen[pc]) return make_insn_error(subject, pc, cat("unreachable insn ", pc));
    }

    // Recursion: a cycle in the call graph.
    std::vector<uint8_t> mark(nsub, 0);  // 0 new, 1 on the stack, 2 done
    int64_t recursive_call = -1;
    auto dfs = [&](auto&& self, uint32_t s) -> bool {
        mark[s] = 1;
        for (uint32_t c : cfg.callees[s]) {
            if (mark[c] == 1) {
                for (int64_t pc = cfg.subprog_start[s]; pc < n && cfg.subprog_of[pc] == s; ++pc)
                    if (insns[pc].op == Op::CallLocal && jump_target(insns[pc], pc) == cfg.subprog_start[c])
                        recursive_call = pc;
                return false;
            }
            if (mark[c] == 0 && !self(self, c)) return false;
        }
        mark[s] = 2;
        return true;
    };
    if (!dfs(dfs, 0))
        return make_insn_error(subject, recursive_call,
                               cat("recursive call to the subprogram at insn ",
                                   jump_target(insns[recursive_call], recursive_call)));

    cfg.prune_point.assign(n, false);
    for (size_t s = 0; s < nsub; ++s) cfg.prune_point[cfg.subprog_start[s]] = true;
    for (int64_t pc = 0; pc < n; ++pc) {
        const Insn& in = insns[pc];
        const Kind k = op_info(in.op).kind;
        if (is_cond_jump(k) || k == Kind::Ja) {
            cfg.prune_point[jump_target(in, pc)] = true;
            if (is_cond_jump(k) && pc + 1 < n) cfg.prune_point[pc + 1] = true;
        }
        if (k == Kind::Call && pc + 1 < n) cfg.prune_point[pc + 1] = true;
        // A callback's return comes back to its helper call (see check_exit).
        if (in.op == Op::Call) {
            const HelperSpec* h = helper_spec(in.imm);
            if (h && h->callback != CallbackArgs::None) cfg.prune_point[pc] = true;
        }
    }

    // Liveness: backward to a fixpoint within each function.
    cfg.live_in.assign(n + 1, 0);
    bool changed = true;
    while (changed) {
        changed = false;
        for (int64_t pc = n - 1; pc >= 0; --pc) {
            const Insn& in = insns[pc];
            if (in.op == Op::LddwTail) continue;
            successors(insns, pc, succ);
            uint16_t out = 0;
            for (int64_t s : succ)
                if (s < n) out |= cfg.live_in[s];
            const uint16_t live = insn_uses(in) | (out & ~insn_defs(in));
            if (live != cfg.live_in[pc]) cfg.live_in[pc] = live, changed = true;
        }
    }
    return cfg;
}

}  // namespace xdpdk::vm::verifier
