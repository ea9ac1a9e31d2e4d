#include "check.h"

#include <cstdio>
#include <vector>

#include "classic_ops.h"

namespace xdpdk::vm::cbpf {
namespace {

using namespace classic;

std::string hex(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%#x", v);
    return buf;
}

// One instruction's own rules (bpf_check_classic's per-opcode switch).
std::string check_one(std::span<const Insn> filter, size_t pc) {
    const Insn& in = filter[pc];
    const auto op = classic_op(in.code);
    if (!op) return "unknown opcode " + hex(in.code);
    const size_t remaining = filter.size() - pc - 1;  // instructions after this one
    switch (class_of(in.code)) {
    case ALU:
        if (op->operand != Operand::Imm) break;
        if (op->rule == OperandRule::NonZero && in.k == 0) return std::string(op->mnemonic) + " by the constant 0";
        if (op->rule == OperandRule::Below32 && in.k >= 32)
            return std::string(op->mnemonic) + " by " + std::to_string(in.k) + " (at most 31)";
        break;
    case JMP:
        if (op_of(in.code) == JA) {
            // k is unsigned; one of 2^31 or more is how a backward jump
            // reads (libpcap writes them for protochain's header loop).
            if (in.k >= 0x80000000u)
                return "ja -" + std::to_string(0x100000000ull - in.k) +
                       " jumps backward: classic BPF jumps only forward (libpcap's protochain loops; Linux "
                       "refuses them too)";
            if (in.k >= remaining)
                return "ja +" + std::to_string(in.k) + " jumps past the end (" + std::to_string(remaining) +
                       " instructions follow)";
        } else if (in.jt >= remaining || in.jf >= remaining) {
            return std::string(op->mnemonic) + " jt " + std::to_string(in.jt) + " jf " + std::to_string(in.jf) +
                   " jumps past the end (" + std::to_string(remaining) + " instructions follow)";
        }
        break;
    default:
        if (op->operand == Operand::Memory && in.k >= kMemWords)
            return std::string(op->mnemonic) + " M[" + std::to_string(in.k) + "]: scratch memory has " +
                   std::to_string(kMemWords) + " words";
        if (op->operand == Operand::Packet && mode_of(in.code) == ABS && in.k >= kAdOff && !ancillary(in.k))
            return "unknown ancillary load SKF_AD_OFF+" + std::to_string(in.k - kAdOff);
        break;
    }
    return {};
}

// bpf_check_classic's check_load_and_stores: the M[] words written on every
// path into each instruction; a read of one not in that set is refused.
std::string check_memory(std::span<const Insn> filter, size_t& bad_pc) {
    constexpr uint16_t kAll = 0xffff;
    std::vector<uint16_t> valid_at(filter.size(), kAll);
    uint16_t valid = 0;  // nothing written at entry
    for (size_t pc = 0; pc < filter.size(); ++pc) {
        valid &= valid_at[pc];
        const Insn& in = filter[pc];
        const auto op = classic_op(in.code);
        if (op->operand == Operand::Memory) {
            const uint16_t bit = static_cast<uint16_t>(1u << in.k);
            if (class_of(in.code) == ST || class_of(in.code) == STX) {
                valid |= bit;
            } else if (!(valid & bit)) {
                bad_pc = pc;
                return std::string(op->mnemonic) + " M[" + std::to_string(in.k) +
                       "] reads a word not written on every path here";
            }
        }
        // A ret passes `valid` on to the next instruction as Linux's
        // check does: its reads need the words written before the ret as
        // well as on every jump to it, even where only jumps reach it, so
        // that a filter taken here is one Linux attaches (fuzz_cbpf).
        if (class_of(in.code) == JMP) {
            if (op_of(in.code) == JA) {
                valid_at[pc + 1 + in.k] &= valid;
            } else {
                valid_at[pc + 1 + in.jt] &= valid;
                valid_at[pc + 1 + in.jf] &= valid;
            }
            valid = kAll;
        }
    }
    return {};
}

}  // namespace

Status check_classic(std::span<const Insn> filter, const std::string& subject) {
    if (filter.empty() || filter.size() > kMaxInsns)
        return make_error(subject, "length " + std::to_string(filter.size()) + " is not in 1.." +
                                       std::to_string(kMaxInsns));
    for (size_t pc = 0; pc < filter.size(); ++pc)
        if (auto why = check_one(filter, pc); !why.empty()) return make_insn_error(subject, int64_t(pc), why);
    const uint16_t last = filter.back().code;
    if (last != (RET | K) && last != (RET | A))
        return make_insn_error(subject, int64_t(filter.size() - 1), "the last instruction is not a ret");
    size_t bad_pc = 0;
    if (auto why = check_memory(filter, bad_pc); !why.empty()) return make_insn_error(subject, int64_t(bad_pc), why);
    return {};
}

}  // namespace xdpdk::vm::cbpf
