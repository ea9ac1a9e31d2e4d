#include "register_use.h"

#include <vector>

#include "../helpers.h"
#include "emitter.h"

namespace xdpdk::vm::jit {
namespace {

constexpr uint16_t bit(unsigned r) { return static_cast<uint16_t>(1u << r); }
constexpr uint16_t kR0ToR9 = 0x3ff;
constexpr uint16_t kR0ToR5 = 0x3f;
constexpr uint16_t kAll = 0x7ff;
// What the entry function starts with: the context, the length, the frame pointer.
constexpr uint16_t kEntryWritten = bit(1) | bit(2) | bit(10);

// What a helper call reads: its row's registers; a helper the table does
// not know reads all five.
uint16_t helper_arguments(int32_t id) {
    const HelperSpec* h = helper_spec(id);
    return h ? h->read_regs() : uint16_t{0x3e};
}

struct Operands {
    uint16_t reads = 0;
    uint16_t writes = 0;
};

Operands operands_of(const Insn& in) {
    const OpInfo& info = op_info(in.op);
    const uint16_t dst = bit(in.dst), src = bit(in.src);
    switch (info.kind) {
        case Kind::AluImm: return {four_group_base(in.op) == Op::Mov64Imm ? uint16_t{0} : dst, dst};
        case Kind::AluReg:
            return {static_cast<uint16_t>(four_group_base(in.op) == Op::Mov64Imm ? src : (src | dst)), dst};
        case Kind::Neg:
        case Kind::Endian: return {dst, dst};
        case Kind::MovSx: return {src, dst};
        case Kind::JmpImm: return {dst, 0};
        case Kind::JmpReg: return {static_cast<uint16_t>(dst | src), 0};
        case Kind::Ja:
        case Kind::LddwTail: return {};
        case Kind::Lddw: return {0, dst};
        case Kind::Ldx:
        case Kind::Ldxs: return {src, dst};
        case Kind::St: return {dst, 0};
        case Kind::Stx: return {static_cast<uint16_t>(dst | src), 0};
        case Kind::Atomic: {
            const int32_t op = info.select_value;
            if (op == bpf::CMPXCHG) return {static_cast<uint16_t>(dst | src | bit(0)), bit(0)};
            return {static_cast<uint16_t>(dst | src), static_cast<uint16_t>((op & bpf::FETCH) ? src : 0)};
        }
        case Kind::Call:
            // A callee or tail-call target runs on with every register; the
            // calling code then finds r0-r5 written (and r6-r9 as they were).
            if (in.op == Op::CallLocal || in.imm == helper_id::TailCall) return {kR0ToR9, kR0ToR5};
            return {helper_arguments(in.imm), kR0ToR5};
        case Kind::Exit: return {bit(0), 0};
    }
    return {kR0ToR9, 0};
}

bool touches(const Insn& in, unsigned r) {
    const Operands o = operands_of(in);
    // Calls name r0-r9 only as arguments and results: r6-r9 stay untouched.
    if (op_info(in.op).kind == Kind::Call) return r <= 5;
    return ((o.reads | o.writes) & bit(r)) != 0;
}

}  // namespace

RegisterUse analyze_register_use(const Program& prog) {
    RegisterUse use;
    const size_t n = prog.insns.size();
    // written[i]: registers written on every path from the entry to insn i
    // (must-analysis: all-ones until a path reaches i).
    std::vector<uint16_t> written(n, kAll);
    std::vector<bool> reached(n, false);
    if (n == 0) return use;
    written[0] = kEntryWritten;
    reached[0] = true;
    auto flow = [&](size_t to, uint16_t state, bool& changed) {
        if (to >= n) return;
        const uint16_t merged = reached[to] ? static_cast<uint16_t>(written[to] & state) : state;
        if (!reached[to] || merged != written[to]) {
            written[to] = merged;
            reached[to] = true;
            changed = true;
        }
    };
    // A callback starts from its entry with r1-r5 set and nothing to zero.
    for (const auto& cb : prog.callbacks) {
        bool ignored = false;
        flow(cb->start, kAll, ignored);
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; ++i) {
            if (!reached[i]) continue;
            const Insn& in = prog.insns[i];
            if (static_cast<int>(in.op) >= kNumOps) continue;
            const Kind kind = op_info(in.op).kind;
            const uint16_t out = static_cast<uint16_t>(written[i] | operands_of(in).writes);
            if (kind == Kind::Exit) continue;
            if (kind == Kind::Lddw) {
                flow(i + 2, out, changed);
                continue;
            }
            int64_t target = -1;
            if (kind == Kind::JmpImm || kind == Kind::JmpReg || in.op == Op::Ja) target = int64_t(i) + in.off + 1;
            else if (in.op == Op::Ja32) target = int64_t(i) + in.imm + 1;
            else if (in.op == Op::CallLocal) {
                // The callee starts with every register the call read.
                if (const int64_t callee = int64_t(i) + in.imm + 1; callee >= 0) flow(size_t(callee), kAll, changed);
            }
            if (target >= 0) flow(size_t(target), out, changed);
            if (in.op != Op::Ja && in.op != Op::Ja32) flow(i + 1, in.op == Op::CallLocal ? kAll : out, changed);
        }
    }
    for (size_t i = 0; i < n; ++i) {
        const Insn& in = prog.insns[i];
        if (static_cast<int>(in.op) >= kNumOps) continue;
        if (op_info(in.op).kind == Kind::Call) use.calls = true;
        for (unsigned r = 0; r <= 10; ++r)
            if (touches(in, r)) use.touched |= bit(r);
        if (reached[i]) use.read_unwritten |= static_cast<uint16_t>(operands_of(in).reads & ~written[i]);
    }
    use.read_unwritten &= kR0ToR9;

    // Liveness, backwards to a fixed point over the same edges.
    std::vector<uint16_t> live_in(n, 0);
    use.live_out.assign(n, 0);
    auto in_of = [&](int64_t at) -> uint16_t {
        return at >= 0 && static_cast<size_t>(at) < n ? live_in[static_cast<size_t>(at)] : uint16_t{0};
    };
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = n; i-- > 0;) {
            const Insn& in = prog.insns[i];
            if (static_cast<int>(in.op) >= kNumOps || in.op == Op::LddwTail) continue;
            const Kind kind = op_info(in.op).kind;
            uint16_t out = 0;
            if (kind == Kind::Lddw) out = in_of(int64_t(i) + 2);
            else if (kind == Kind::JmpImm || kind == Kind::JmpReg) out = in_of(int64_t(i) + in.off + 1) | in_of(int64_t(i) + 1);
            else if (in.op == Op::Ja) out = in_of(int64_t(i) + in.off + 1);
            else if (in.op == Op::Ja32) out = in_of(int64_t(i) + in.imm + 1);
            else if (kind != Kind::Exit) out = in_of(int64_t(i) + 1);
            const Operands o = operands_of(in);
            const uint16_t live = static_cast<uint16_t>(o.reads | (out & ~o.writes));
            if (out != use.live_out[i] || live != live_in[i]) {
                use.live_out[i] = out;
                live_in[i] = live;
                changed = true;
            }
        }
    }
    use.touched |= use.read_unwritten;
    return use;
}

}  // namespace xdpdk::vm::jit
