// ALU and ALU64: binary operations, negation, sign-extending moves, byte
// swaps and lddw. 32-bit operations write 32-bit x86 registers, which clears
// the upper half exactly as RFC 9669 asks. Division follows the interpreter:
// x / 0 = 0, x % 0 = x, INT_MIN / -1 wraps, INT_MIN % -1 = 0.
#include "emitter.h"

namespace xdpdk::vm::jit {
namespace {

bool is_power_of_two(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }
int log2_of(uint64_t v) { return __builtin_ctzll(v); }

}  // namespace

Status Emitter::emit_alu(const Insn& in) {
    const OpInfo& info = op_info(in.op);
    switch (info.kind) {
        case Kind::AluImm:
        case Kind::AluReg: return emit_alu_binary(in, info);
        case Kind::Neg:
            a.neg(reg_sized(in.dst, info.is64));
            return {};
        case Kind::MovSx:
            switch (in.op) {
                case Op::Movsx64x8: a.movsx(reg64(in.dst), reg8(in.src)); break;
                case Op::Movsx64x16: a.movsx(reg64(in.dst), reg16(in.src)); break;
                case Op::Movsx64x32: a.movsxd(reg64(in.dst), reg32(in.src)); break;
                case Op::Movsx32x8: a.movsx(reg32(in.dst), reg8(in.src)); break;
                case Op::Movsx32x16: a.movsx(reg32(in.dst), reg16(in.src)); break;
                default: return insn_error(std::string("the JIT does not handle ") + info.name);
            }
            return {};
        case Kind::Endian:
            // x86-64 is little-endian: le truncates, be and bswap swap.
            switch (in.op) {
                case Op::Le16: a.movzx(reg32(in.dst), reg16(in.dst)); break;
                case Op::Le32: a.mov(reg32(in.dst), reg32(in.dst)); break;
                case Op::Le64: break;
                case Op::Be16:
                case Op::Bswap16:
                    a.ror(reg16(in.dst), 8);
                    a.movzx(reg32(in.dst), reg16(in.dst));
                    break;
                case Op::Be32:
                case Op::Bswap32: a.bswap(reg32(in.dst)); break;
                case Op::Be64:
                case Op::Bswap64: a.bswap(reg64(in.dst)); break;
                default: return insn_error(std::string("the JIT does not handle ") + info.name);
            }
            return {};
        case Kind::Lddw: {
            if (pc + 1 >= prog.insns.size() || prog.insns[pc + 1].op != Op::LddwTail)
                return insn_error("lddw without its second slot");
            const uint64_t value = static_cast<uint32_t>(in.imm) |
                                   (static_cast<uint64_t>(static_cast<uint32_t>(prog.insns[pc + 1].imm)) << 32);
            if (value == 0) a.xor_(reg32(in.dst), reg32(in.dst));
            else a.mov(reg64(in.dst), value);
            return {};
        }
        default: return insn_error(std::string("the JIT does not handle ") + info.name + " as ALU");
    }
}

Status Emitter::emit_alu_binary(const Insn& in, const OpInfo& info) {
    const bool is64 = info.is64;
    const bool imm = info.kind == Kind::AluImm;
    const x86::Gp dst = reg_sized(in.dst, is64);
    const x86::Gp src = reg_sized(in.src, is64);
    const Op base = four_group_base(in.op);
    // A 32-bit op's immediate is used as its low 32 bits; a 64-bit op's is
    // sign-extended, which is what x86's imm32 forms do.
    const int32_t k = in.imm;
    switch (base) {
        case Op::Add64Imm: imm ? a.add(dst, k) : a.add(dst, src); break;
        case Op::Sub64Imm: imm ? a.sub(dst, k) : a.sub(dst, src); break;
        case Op::Or64Imm: imm ? a.or_(dst, k) : a.or_(dst, src); break;
        case Op::And64Imm: imm ? a.and_(dst, k) : a.and_(dst, src); break;
        case Op::Xor64Imm: imm ? a.xor_(dst, k) : a.xor_(dst, src); break;
        case Op::Mul64Imm: imm ? a.imul(dst, dst, k) : a.imul(dst, src); break;
        case Op::Mov64Imm:
            if (!imm) {
                // A 64-bit move onto itself changes nothing; a 32-bit one clears the upper half.
                if (in.dst != in.src || !is64) a.mov(dst, src);
            } else if (k == 0) {
                a.xor_(reg32(in.dst), reg32(in.dst));
            } else if (is64 && k < 0) {
                a.mov(dst, static_cast<int64_t>(k));
            } else {
                // Writing the 32-bit register zero-extends: shorter, same value.
                a.mov(reg32(in.dst), static_cast<uint32_t>(k));
            }
            break;
        case Op::Lsh64Imm:
        case Op::Rsh64Imm:
        case Op::Arsh64Imm:
            if (!imm) {
                emit_shift_by_reg(base, in, is64);
                break;
            }
            if (const int count = k & (is64 ? 63 : 31); count == 0) {
                if (!is64) a.mov(dst, dst);
            } else if (base == Op::Lsh64Imm) {
                a.shl(dst, count);
            } else if (base == Op::Rsh64Imm) {
                a.shr(dst, count);
            } else {
                a.sar(dst, count);
            }
            break;
        case Op::Div64Imm:
        case Op::Mod64Imm:
        case Op::Sdiv64Imm:
        case Op::Smod64Imm: emit_divmod(base, in, is64, imm); break;
        default: return insn_error(std::string("the JIT does not handle ") + info.name);
    }
    return {};
}

void Emitter::emit_shift_by_reg(Op base, const Insn& in, bool is64) {
    const x86::Gp dst = reg_sized(in.dst, is64);
    if (bmi2) {
        // shlx/shrx/sarx mask the count like eBPF and write the whole
        // destination (a 32-bit write clears the upper half even for count 0).
        const x86::Gp src = reg_sized(in.src, is64);
        if (base == Op::Lsh64Imm) a.shlx(dst, dst, src);
        else if (base == Op::Rsh64Imm) a.shrx(dst, dst, src);
        else a.sarx(dst, dst, src);
        return;
    }
    auto shift = [&](const x86::Gp& r) {
        if (base == Op::Lsh64Imm) a.shl(r, x86::cl);
        else if (base == Op::Rsh64Imm) a.shr(r, x86::cl);
        else a.sar(r, x86::cl);
        // A shift by 0 leaves a 32-bit register's upper half to the CPU;
        // eBPF wants it cleared.
        if (!is64) a.mov(r, r);
    };
    const uint8_t kRcx = 4;  // eBPF r4 lives in rcx, the count register
    if (in.src == kRcx) {
        shift(dst);
    } else if (in.dst == kRcx) {
        a.mov(kScratch2, x86::rcx);
        a.mov(x86::rcx, reg64(in.src));
        shift(is64 ? x86::Gp(kScratch2) : x86::Gp(x86::r11d));
        a.mov(x86::rcx, kScratch2);
    } else {
        a.mov(kScratch2, x86::rcx);
        a.mov(x86::rcx, reg64(in.src));
        shift(dst);
        a.mov(x86::rcx, kScratch2);
    }
}

void Emitter::emit_divmod(Op base, const Insn& in, bool is64, bool imm) {
    const bool is_mod = base == Op::Mod64Imm || base == Op::Smod64Imm;
    const bool is_signed = base == Op::Sdiv64Imm || base == Op::Smod64Imm;
    const x86::Gp dst = reg_sized(in.dst, is64);
    const x86::Gp divisor = is64 ? x86::Gp(kScratch2) : x86::Gp(x86::r11d);
    auto by_zero = [&] {
        if (!is_mod) a.xor_(reg32(in.dst), reg32(in.dst));
        else if (!is64) a.mov(dst, dst);
    };
    auto by_minus_one = [&] {
        if (!is_mod) a.neg(dst);
        else a.xor_(reg32(in.dst), reg32(in.dst));
    };

    asmjit::Label zero, minus_one, done;
    if (imm) {
        const uint64_t k = is64 ? static_cast<uint64_t>(static_cast<int64_t>(in.imm)) : static_cast<uint32_t>(in.imm);
        if (k == 0) return by_zero();
        if (is_signed && in.imm == -1) return by_minus_one();
        if (!is_signed && is_power_of_two(k)) {
            // k is at most 2^30 (64-bit, sign-extended positive imm) or 2^31
            // (32-bit): the mask always fits a sign-extended imm32.
            if (is_mod) a.and_(dst, static_cast<int32_t>(k - 1));
            else if (k > 1) a.shr(dst, log2_of(k));
            else if (!is64) a.mov(dst, dst);
            return;
        }
        a.mov(divisor, is64 ? static_cast<int64_t>(k) : static_cast<int64_t>(static_cast<uint32_t>(k)));
    } else {
        zero = a.newLabel();
        done = a.newLabel();
        a.mov(divisor, reg_sized(in.src, is64));
        a.test(divisor, divisor);
        a.jz(zero);
        if (is_signed) {
            minus_one = a.newLabel();
            a.cmp(divisor, -1);
            a.je(minus_one);
        }
    }

    const uint32_t kRax = x86::Gp::kIdAx, kRdx = x86::Gp::kIdDx;
    const uint32_t dst_id = kRegIds[in.dst];
    if (dst_id != kRax) a.mov(kScratch, x86::rax);
    if (dst_id != kRdx) a.push(x86::rdx);
    if (dst_id != kRax) a.mov(is64 ? x86::Gp(x86::rax) : x86::Gp(x86::eax), dst);
    if (is_signed) {
        if (is64) a.cqo();
        else a.cdq();
        a.idiv(divisor);
    } else {
        a.xor_(x86::edx, x86::edx);
        a.div(divisor);
    }
    const uint32_t result_id = is_mod ? kRdx : kRax;
    if (dst_id != result_id) a.mov(dst, is64 ? x86::Gp(x86::gpq(result_id)) : x86::Gp(x86::gpd(result_id)));
    if (dst_id != kRdx) a.pop(x86::rdx);
    if (dst_id != kRax) a.mov(x86::rax, kScratch);

    if (imm) return;
    a.jmp(done);
    a.bind(zero);
    by_zero();
    if (is_signed) {
        a.jmp(done);
        a.bind(minus_one);
        by_minus_one();
    }
    a.bind(done);
}

}  // namespace xdpdk::vm::jit
