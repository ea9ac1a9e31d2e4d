// JMP and JMP32: compare (or test, for jset) and a conditional jump to the
// target instruction's label; asmjit patches forward jumps when it binds.
#include "emitter.h"

namespace xdpdk::vm::jit {

Status Emitter::emit_jump(const Insn& in) {
    const OpInfo& info = op_info(in.op);
    if (info.kind == Kind::Ja) {
        const int64_t off = in.op == Op::Ja32 ? int64_t{in.imm} : int64_t{in.off};
        const size_t target = static_cast<size_t>(static_cast<int64_t>(pc) + off + 1);
        if (target != pc + 1) a.jmp(insn_labels[target]);
        return {};
    }
    const asmjit::Label target = insn_labels[static_cast<size_t>(static_cast<int64_t>(pc) + in.off + 1)];
    // Operands known at compile time (a folded read-only value) decide the
    // jump here: a disabled knob's code is never reached.
    const auto known_dst = known.scalar(in.dst);
    const auto known_src = info.kind == Kind::JmpImm ? std::optional<uint64_t>(static_cast<uint64_t>(int64_t{in.imm}))
                                                     : known.scalar(in.src);
    if (known_dst && known_src) {
        if (jump_taken(in.op, *known_dst, *known_src)) {
            a.jmp(target);
            reachable = false;
        }
        return {};
    }
    const x86::Gp dst = reg_sized(in.dst, info.is64);
    const Op base = four_group_base(in.op);
    if (info.kind == Kind::JmpImm) {
        // x86's imm32 is sign-extended for 64-bit operands, as eBPF's is.
        if (base == Op::Jset64Imm) a.test(dst, in.imm);
        else if (in.imm == 0) a.test(dst, dst);  // same flags as cmp dst, 0
        else a.cmp(dst, in.imm);
    } else {
        const x86::Gp src = reg_sized(in.src, info.is64);
        if (base == Op::Jset64Imm) a.test(dst, src);
        else a.cmp(dst, src);
    }
    switch (base) {
        case Op::Jeq64Imm: a.je(target); break;
        case Op::Jne64Imm: a.jne(target); break;
        case Op::Jset64Imm: a.jnz(target); break;
        case Op::Jgt64Imm: a.ja(target); break;
        case Op::Jge64Imm: a.jae(target); break;
        case Op::Jlt64Imm: a.jb(target); break;
        case Op::Jle64Imm: a.jbe(target); break;
        case Op::Jsgt64Imm: a.jg(target); break;
        case Op::Jsge64Imm: a.jge(target); break;
        case Op::Jslt64Imm: a.jl(target); break;
        case Op::Jsle64Imm: a.jle(target); break;
        default: return insn_error(std::string("the JIT does not handle ") + info.name);
    }
    return {};
}

}  // namespace xdpdk::vm::jit
