// cBPF → eBPF for XDP, after Linux's bpf_convert_filter: A in R0 and X in
// R7, M[k] at fp-4*(k+1), 32-bit ALU and jumps, RET as exit. What XDP lacks
// is built from what it has: socket filters' LD_ABS/LD_IND become direct
// packet loads between xdp_md's data and data_end, each bounds-checked the
// way the verifier wants, falling back to bpf_xdp_load_bytes when the bytes
// are not all in the first buffer (a multi-buffer frame's frags: Linux's
// conversion reads non-linear skb data too), and `len` is
// bpf_xdp_get_buff_len's (frags included, as the object is xdp.frags).
//
// Where Linux and libpcap differ, the result follows pcap_offline_filter
// (what tcpdump users test their filters with): a packet load beyond the
// frame makes the filter return 0 (both agree); X + k of an indexed load does
// not wrap; a shift by X of 32 or more gives 0 (Linux leaves it to the CPU).
// Jumps compare in 32 bits (JMP32), where Linux moves a k of 2^31 or more
// into a temporary to keep it from being sign-extended: one instruction
// instead of two.
#include <linux/bpf.h>

#include <cassert>
#include <vector>

#include "cbpf.h"
#include "check.h"
#include "classic_ops.h"
#include "ebpf_emit.h"
#include "flow.h"

namespace xdpdk::vm::cbpf {
namespace {

using namespace classic;
namespace e = ebpf;

// Registers: A and X where Linux puts them; the context, data and data_end
// stay in callee-saved registers across the helper calls.
constexpr uint8_t kA = 0, kX = 7, kCtx = 6, kData = 8, kDataEnd = 9, kTmp = 2, kTmp2 = 3, kFp = 10;

// M[k] where Linux keeps it, and the frame's length below M[] (read once).
constexpr int16_t mem_slot(uint32_t k) { return static_cast<int16_t>(-4 * static_cast<int32_t>(k + 1)); }
constexpr int16_t kLenSlot = mem_slot(kMemWords);
// bpf_xdp_load_bytes's buffer, and A kept across that call when X is loaded.
constexpr int16_t kLoadSlot = mem_slot(kMemWords + 1), kSavedASlot = mem_slot(kMemWords + 2);
// bpf_xdp_load_bytes's arguments.
constexpr uint8_t kArgCtx = 1, kArgOffset = 2, kArgBuf = 3, kArgLen = 4;

// xdp_md's fields read by the ancillary loads.
constexpr int16_t kXdpData = 0, kXdpDataEnd = 4, kXdpIngressIfindex = 12, kXdpRxQueue = 16;

// k at or above SKF_LL_OFF as Linux's base + offset: "SKF_NET_OFF+9".
std::string linux_offset(uint32_t k) {
    const uint32_t base = k >= kAdOff ? kAdOff : k >= kNetOff ? kNetOff : kLlOff;
    const char* name = k >= kAdOff ? "SKF_AD_OFF" : k >= kNetOff ? "SKF_NET_OFF" : "SKF_LL_OFF";
    return std::string(name) + "+" + std::to_string(k - base);
}

class Translator {
public:
    Translator(std::span<const Insn> filter, const Verdicts& verdicts, const std::string& subject)
        : filter_(filter), verdicts_(verdicts), subject_(subject), start_(filter.size(), 0) {}

    Result<std::vector<RawInsn>> run() {
        XDPDK_RETURN_IF_ERROR(check_classic(filter_, subject_));
        const std::vector<bool> live = reachable(filter_);
        emit_prologue();
        for (size_t pc = 0; pc < filter_.size(); ++pc) {
            // Linux's verifier refuses unreachable code, which a cBPF program
            // may have (after a ret, or after a load that always fails).
            if (!live[pc]) continue;
            start_[pc] = out_.size();
            XDPDK_RETURN_IF_ERROR(emit(pc));
        }
        for (const Fixup& f : fixups_) {
            const int64_t off = int64_t(start_[f.target]) - int64_t(f.at) - 1;
            // Only `ja` goes further than a 16-bit offset reaches (a
            // conditional jump skips at most 255 instructions): it becomes
            // gotol, whose offset is 32 bits (Linux 6.4 and later).
            if (off > INT16_MAX && out_[f.at].code == op_info(Op::Ja).code) {
                out_[f.at] = e::gotol(static_cast<int32_t>(off));
                continue;
            }
            // A conditional jump skips at most 255 cBPF instructions, each
            // a few dozen eBPF ones at most: far inside a 16-bit offset.
            assert(off <= INT16_MAX);
            out_[f.at].off = static_cast<int16_t>(off);
        }
        return std::move(out_);
    }

private:
    struct Fixup {
        size_t at;      // eBPF jump
        size_t target;  // cBPF instruction it goes to
    };

    bool uses_length() const {
        for (const Insn& in : filter_)
            if (mode_of(in.code) == LEN && (class_of(in.code) == LD || class_of(in.code) == LDX)) return true;
        return false;
    }

    void put(const RawInsn& in) { out_.push_back(in); }
    void jump_to(RawInsn in, size_t target) {
        fixups_.push_back({out_.size(), target});
        put(in);
    }
    // The filter's result: a non-zero cBPF return matches.
    void return_verdict(bool match) {
        put(e::mov32_imm(kA, match ? verdicts_.match : verdicts_.no_match));
        put(e::exit_insn());
    }
    // A run of instructions whose own jumps are relative within it.
    void put_all(const std::vector<RawInsn>& block) { out_.insert(out_.end(), block.begin(), block.end()); }

    void emit_prologue() {
        put(e::mov64_reg(kCtx, 1));
        put(e::load(4, kData, kCtx, kXdpData));
        put(e::load(4, kDataEnd, kCtx, kXdpDataEnd));
        if (uses_length()) {
            // The whole frame's length, frags included, as skb->len is.
            put(e::call(BPF_FUNC_xdp_get_buff_len));
            put(e::store32(kFp, kLenSlot, 0));
        }
        // Classic BPF starts with A = X = 0.
        put(e::mov32_imm(kA, 0));
        put(e::mov32_imm(kX, 0));
    }

    Status emit(size_t pc) {
        const Insn& in = filter_[pc];
        switch (class_of(in.code)) {
        case ALU: emit_alu(in); return {};
        case JMP: emit_jump(pc, in); return {};
        case LD:
        case LDX: return emit_load(pc, in);
        case ST: put(e::store32(kFp, mem_slot(in.k), kA)); return {};
        case STX: put(e::store32(kFp, mem_slot(in.k), kX)); return {};
        case MISC:
            put(in.code == (MISC | TAX) ? e::mov32_reg(kX, kA) : e::mov32_reg(kA, kX));
            return {};
        case RET:
            if (in.code == (RET | K)) {
                return_verdict(in.k != 0);
            } else {
                put(e::jmp_imm(Op::Jne32Imm, kA, 0, 2));
                return_verdict(false);
                return_verdict(true);
            }
            return {};
        }
        return make_insn_error(subject_, int64_t(pc), "unhandled instruction class");  // check_classic allows none
    }

    void emit_alu(const Insn& in) {
        const ClassicOpInfo op = *classic_op(in.code);
        if (op.operand == Operand::None) {
            put(e::neg32(kA));
        } else if (op.operand == Operand::Imm) {
            put(e::alu_imm(op.ebpf, kA, in.k));  // check_classic held k to op.rule
        } else if (op.rule == OperandRule::NonZero) {
            // Division by X == 0 ends the filter with 0, as Linux and libpcap do.
            put(e::jmp_imm(Op::Jne32Imm, kX, 0, 2));
            return_verdict(false);
            put(e::alu_reg(op.ebpf, kA, kX));
        } else if (op.rule == OperandRule::Below32) {
            put(e::jmp_imm(Op::Jgt32Imm, kX, 31, 2));
            put(e::alu_reg(op.ebpf, kA, kX));
            put(e::ja(1));
            put(e::mov32_imm(kA, 0));
        } else {
            put(e::alu_reg(op.ebpf, kA, kX));
        }
    }

    void emit_jump(size_t pc, const Insn& in) {
        if (op_of(in.code) == JA) {
            if (in.k != 0) jump_to(e::ja(0), pc + 1 + in.k);
            return;
        }
        const ClassicOpInfo op = *classic_op(in.code);
        auto test = [&](Op ebpf) {
            return op.operand == Operand::Imm ? e::jmp_imm(ebpf, kA, in.k, 0) : e::jmp_reg(ebpf, kA, kX, 0);
        };
        const size_t on_true = pc + 1 + in.jt, on_false = pc + 1 + in.jf;
        if (in.jt == in.jf) {
            if (in.jt != 0) jump_to(e::ja(0), on_true);
        } else if (in.jf == 0) {
            jump_to(test(op.ebpf), on_true);
        } else if (in.jt == 0 && op.inverse != Op::Count) {
            jump_to(test(op.inverse), on_false);
        } else {
            jump_to(test(op.ebpf), on_true);
            jump_to(e::ja(0), on_false);
        }
    }

    Status emit_load(size_t pc, const Insn& in) {
        const uint8_t dst = class_of(in.code) == LD ? kA : kX;
        switch (mode_of(in.code)) {
        case IMM: put(e::mov32_imm(dst, in.k)); return {};
        case MEM: put(e::load(4, dst, kFp, mem_slot(in.k))); return {};
        case LEN: put(e::load(4, dst, kFp, kLenSlot)); return {};
        case ABS:
            if (in.k >= kLlOff) return emit_linux_offset(pc, in);
            break;
        case IND:
        case MSH:
            // Linux reads these relative to a header too (as a negative X + k,
            // or through LD_ABS for msh); libpcap would just fail the load.
            if (in.k >= kLlOff) {
                const std::string mnemonic = classic_op(in.code)->mnemonic;
                const std::string where = mode_of(in.code) == IND ? mnemonic + " [x + " + linux_offset(in.k) + "]"
                                                                  : mnemonic + " 4*([" + linux_offset(in.k) + "]&0xf)";
                return make_insn_error(subject_, int64_t(pc),
                                       where + ": Linux's header-relative loads are not supported at XDP "
                                               "(load from the frame's start instead)");
            }
            break;
        }
        const uint8_t size = classic_op(in.code)->load_size;
        if (always_out_of_bounds(in)) {
            return_verdict(false);
            return {};
        }
        if (mode_of(in.code) == IND) {
            emit_indexed_load(size, in.k);
        } else {
            emit_absolute_load(dst, size, in.k);
        }
        if (mode_of(in.code) == MSH) {
            // X = 4 * (P[k] & 0xf): the IPv4 header length.
            put(e::alu_imm(Op::And32Imm, kX, 0xf));
            put(e::alu_imm(Op::Lsh32Imm, kX, 2));
        } else if (size > 1) {
            put(e::to_be(dst, size));
        }
        return {};
    }

    // dst = P[offset : size] through bpf_xdp_load_bytes, with the offset in
    // R2: the bytes the first buffer does not hold. The filter ends with no
    // match when the frame is shorter. The call takes R0 (A) and R1-R5, so A
    // is kept on the stack when the load is X's.
    std::vector<RawInsn> fallback_load(uint8_t dst, uint8_t size) const {
        std::vector<RawInsn> b;
        if (dst != kA) b.push_back(e::store32(kFp, kSavedASlot, kA));
        b.push_back(e::mov64_reg(kArgCtx, kCtx));
        b.push_back(e::mov64_reg(kArgBuf, kFp));
        b.push_back(e::add64_imm(kArgBuf, kLoadSlot));
        b.push_back(e::mov32_imm(kArgLen, size));
        b.push_back(e::call(BPF_FUNC_xdp_load_bytes));
        b.push_back(e::jmp_imm(Op::Jeq64Imm, kA, 0, 2));
        b.push_back(e::mov32_imm(kA, verdicts_.no_match));
        b.push_back(e::exit_insn());
        if (dst != kA) b.push_back(e::load(4, kA, kFp, kSavedASlot));
        b.push_back(e::load(size, dst, kFp, kLoadSlot));
        return b;
    }

    // The direct load `direct` when [ptr, end) is inside the first buffer,
    // else the fallback; both paths meet after it.
    void direct_or_fallback(uint8_t end, const std::vector<RawInsn>& direct, const std::vector<RawInsn>& fallback) {
        put(e::jmp_reg(Op::Jgt64Reg, end, kDataEnd, static_cast<int16_t>(direct.size() + 1)));
        put_all(direct);
        put(e::ja(static_cast<int16_t>(fallback.size())));
        put_all(fallback);
    }

    // dst = P[k:size], k + size within kMaxFrameLen.
    void emit_absolute_load(uint8_t dst, uint8_t size, uint32_t k) {
        std::vector<RawInsn> direct;
        if (k <= INT16_MAX) {
            direct.push_back(e::load(size, dst, kData, static_cast<int16_t>(k)));
        } else {
            direct.push_back(e::mov64_reg(kTmp, kData));
            direct.push_back(e::add64_imm(kTmp, static_cast<int32_t>(k)));
            direct.push_back(e::load(size, dst, kTmp, 0));
        }
        std::vector<RawInsn> fallback = {e::mov32_imm(kArgOffset, k)};
        for (const RawInsn& in : fallback_load(dst, size)) fallback.push_back(in);
        put(e::mov64_reg(kTmp2, kData));
        put(e::add64_imm(kTmp2, static_cast<int32_t>(k + size)));
        direct_or_fallback(kTmp2, direct, fallback);
    }

    // A = P[X + k : size]. X + k (in R2, the fallback's offset) is bounded
    // before it meets the packet pointer, so the verifier knows the
    // pointer's range; past kMaxFrameLen no frame has the bytes.
    void emit_indexed_load(uint8_t size, uint32_t k) {
        put(e::mov64_reg(kArgOffset, kX));  // X's upper half is zero: every write to it is 32-bit
        if (k != 0) put(e::add64_imm(kArgOffset, static_cast<int32_t>(k)));
        put(e::jmp_imm(Op::Jle64Imm, kArgOffset, kMaxFrameLen - size, 2));
        return_verdict(false);
        constexpr uint8_t kPtr = kTmp2, kEnd = kArgLen;
        put(e::mov64_reg(kPtr, kData));
        put(e::add64_reg(kPtr, kArgOffset));
        put(e::mov64_reg(kEnd, kPtr));
        put(e::add64_imm(kEnd, size));
        direct_or_fallback(kEnd, {e::load(size, kA, kPtr, 0)}, fallback_load(kA, size));
    }

    // k at or above SKF_LL_OFF: Linux's ancillary data and header-relative
    // offsets. The ancillary loads with an XDP meaning are translated; the
    // others are refused by name.
    Status emit_linux_offset(size_t pc, const Insn& in) {
        if (in.k < kAdOff)
            return make_insn_error(subject_, int64_t(pc),
                                   linux_offset(in.k) +
                                       ": Linux's header-relative loads are not supported at XDP "
                                       "(load from the frame's start instead)");
        const Ancillary anc = *ancillary(in.k);  // check_classic refused unknown ones
        if (anc.refusal) return make_insn_error(subject_, int64_t(pc), std::string(anc.name) + ": " + anc.refusal);
        switch (anc.offset) {
        case skf::IFINDEX: put(e::load(4, kA, kCtx, kXdpIngressIfindex)); break;
        case skf::QUEUE:  // Linux's skb->queue_mapping: the rx queue + 1 (skb_record_rx_queue)
            put(e::load(4, kA, kCtx, kXdpRxQueue));
            put(e::alu_imm(Op::Add32Imm, kA, 1));
            break;
        case skf::CPU: put(e::call(BPF_FUNC_get_smp_processor_id)); break;
        case skf::RANDOM: put(e::call(BPF_FUNC_get_prandom_u32)); break;
        case skf::ALU_XOR_X: put(e::alu_reg(Op::Xor32Reg, kA, kX)); break;
        }
        return {};
    }

    std::span<const Insn> filter_;
    Verdicts verdicts_;
    const std::string& subject_;
    std::vector<RawInsn> out_;
    std::vector<size_t> start_;  // each cBPF instruction's first eBPF instruction
    std::vector<Fixup> fixups_;
};

}  // namespace

Result<std::vector<RawInsn>> translate(std::span<const Insn> filter, const Verdicts& verdicts,
                                       const std::string& subject) {
    return Translator(filter, verdicts, subject).run();
}

}  // namespace xdpdk::vm::cbpf
