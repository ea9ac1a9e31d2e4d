#include "xdp_ctx_rewrite.h"

#include <array>
#include <cstddef>
#include <deque>

#include "xdp.h"

namespace xdpdk::vm {
namespace {

// Per-value lattice: which kinds of value may be here (bit set = possible).
using Taint = uint8_t;
constexpr Taint kOther = 1, kCtx = 2;  // 0: no value has reached this yet

constexpr int kSlots = bpf::kStackSize / 8;

struct State {
    bool reached = false;
    std::array<Taint, 11> reg{};
    std::array<Taint, kSlots> slot{};

    // Joins `in` into this state; true when anything changed.
    bool join(const State& in) {
        bool changed = !reached;
        reached = true;
        for (size_t i = 0; i < reg.size(); ++i) {
            const Taint t = reg[i] | in.reg[i];
            changed |= t != reg[i];
            reg[i] = t;
        }
        for (size_t i = 0; i < slot.size(); ++i) {
            const Taint t = slot[i] | in.slot[i];
            changed |= t != slot[i];
            slot[i] = t;
        }
        return changed;
    }
};

State entry_state(const State* caller) {
    State s;
    s.reached = true;
    s.reg.fill(kOther);
    s.slot.fill(kOther);
    if (caller == nullptr) {
        s.reg[1] = kCtx;
    } else {
        for (int r = 1; r <= 5; ++r) s.reg[r] = caller->reg[r];
    }
    return s;
}

// Index of the 8-byte stack slot at r10 + off, or -1 when outside the frame.
int slot_index(int16_t off) {
    if (off >= 0 || off < -bpf::kStackSize) return -1;
    return (bpf::kStackSize + off) / 8;
}

struct CtxField {
    int16_t xdp_md_off;
    int16_t runtime_off;
    uint8_t runtime_code;
};

constexpr CtxField kFields[] = {
    {xdp_md::data, offsetof(XdpBuff, data), 0x79},
    {xdp_md::data_end, offsetof(XdpBuff, data_end), 0x79},
    {xdp_md::data_meta, offsetof(XdpBuff, data_meta), 0x79},
    {xdp_md::ingress_ifindex, offsetof(XdpBuff, ingress_ifindex), 0x61},
    {xdp_md::rx_queue_index, offsetof(XdpBuff, rx_queue_index), 0x61},
    {xdp_md::egress_ifindex, offsetof(XdpBuff, egress_ifindex), 0x61},
};

class Rewriter {
public:
    Rewriter(const std::string& subject, std::vector<RawInsn>& insns)
        : subject_(subject), insns_(insns), states_(insns.size()), ctx_load_(insns.size(), false) {}

    Status run() {
        flow(0, entry_state(nullptr));
        while (!work_.empty()) {
            const size_t pc = work_.front();
            work_.pop_front();
            XDPDK_RETURN_IF_ERROR(step(pc));
        }
        for (size_t pc = 0; pc < insns_.size(); ++pc) {
            if (!ctx_load_[pc]) continue;
            RawInsn& in = insns_[pc];
            for (const auto& f : kFields) {
                if (f.xdp_md_off == in.off) {
                    in.code = f.runtime_code;
                    in.off = f.runtime_off;
                    break;
                }
            }
        }
        return {};
    }

private:
    void flow(size_t pc, const State& s) {
        if (pc >= insns_.size()) return;  // the decoder reports bad targets
        if (states_[pc].join(s)) work_.push_back(pc);
    }

    Error error(size_t pc, std::string reason) const {
        return make_insn_error(subject_, static_cast<int64_t>(pc), std::move(reason));
    }

    Status check_ctx_load(size_t pc, const RawInsn& in, const OpInfo& info) {
        if (info.kind != Kind::Ldx || info.size != 4)
            return error(pc, "invalid xdp_md access: only 4-byte loads of its fields are allowed");
        for (const auto& f : kFields)
            if (f.xdp_md_off == in.off) return {};
        return error(pc, "invalid xdp_md access at offset " + std::to_string(in.off));
    }

    Status step(size_t pc) {
        State s = states_[pc];
        const RawInsn& in = insns_[pc];
        const auto op = decode_op(in);
        if (!op) return {};  // the decoder reports it
        const OpInfo& info = op_info(*op);
        auto& reg = s.reg;
        const uint8_t dst = in.dst & 0xf, src = in.src & 0xf;
        if (dst > 10 || src > 10) return {};

        switch (info.kind) {
            case Kind::Ldx:
            case Kind::Ldxs:
                if (reg[src] & kCtx) {
                    if (reg[src] != kCtx) {
                        std::string why = "r";
                        why += std::to_string(src);
                        why += " is the xdp_md pointer on some paths and not on others";
                        return error(pc, why);
                    }
                    XDPDK_RETURN_IF_ERROR(check_ctx_load(pc, in, info));
                    ctx_load_[pc] = true;
                    reg[dst] = kOther;
                } else if (src == 10 && info.size == 8 && slot_index(in.off) >= 0 && in.off % 8 == 0) {
                    reg[dst] = s.slot[slot_index(in.off)];
                } else {
                    reg[dst] = kOther;
                }
                break;
            case Kind::St:
            case Kind::Stx:
            case Kind::Atomic:
                if (reg[dst] & kCtx) return error(pc, "write to xdp_md: the context is read only");
                if (dst == 10) {
                    const int slot = slot_index(in.off);
                    if (slot >= 0) {
                        const bool whole = info.kind == Kind::Stx && info.size == 8 && in.off % 8 == 0;
                        s.slot[slot] = whole ? reg[src] : kOther;
                    }
                }
                if (info.kind == Kind::Atomic) {
                    if (in.imm & bpf::FETCH) reg[src] = kOther;
                    if (*op == Op::AtomicCmpxchgW || *op == Op::AtomicCmpxchgDW) reg[0] = kOther;
                }
                break;
            case Kind::AluReg:
                if (*op == Op::Mov64Reg) {
                    reg[dst] = reg[src];
                    break;
                }
                [[fallthrough]];
            case Kind::AluImm:
            case Kind::Neg:
            case Kind::MovSx:
            case Kind::Endian:
                if ((reg[dst] & kCtx) && *op != Op::Mov64Imm && *op != Op::Mov32Imm && *op != Op::Mov32Reg)
                    return error(pc, "arithmetic on the xdp_md pointer is not allowed");
                reg[dst] = kOther;
                break;
            case Kind::Lddw:
                reg[dst] = kOther;
                flow(pc + 2, s);
                return {};
            case Kind::Call:
                if (*op == Op::CallLocal) {
                    flow(pc + static_cast<int64_t>(in.imm) + 1, entry_state(&s));
                }
                for (int r = 0; r <= 5; ++r) reg[r] = kOther;
                break;
            case Kind::Exit:
                return {};
            case Kind::Ja:
                flow(pc + 1 + (*op == Op::Ja ? in.off : static_cast<int64_t>(in.imm)), s);
                return {};
            case Kind::JmpImm:
            case Kind::JmpReg:
                flow(pc + 1 + in.off, s);
                break;
            case Kind::LddwTail:
                break;
        }
        flow(pc + 1, s);
        return {};
    }

    const std::string& subject_;
    std::vector<RawInsn>& insns_;
    std::vector<State> states_;
    std::vector<bool> ctx_load_;
    std::deque<size_t> work_;
};

}  // namespace

Status rewrite_xdp_ctx(const std::string& subject, std::vector<RawInsn>& insns) {
    return Rewriter(subject, insns).run();
}

}  // namespace xdpdk::vm
