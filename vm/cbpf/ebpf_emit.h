// Building eBPF instructions for the cBPF translation: one constructor per
// instruction shape, named after what it does, so the translation reads as
// the program it writes. Opcode bytes come from vm/opcodes.h's table
// (op_info), never spelled out here.
#pragma once

#include <cstdint>

#include "../opcodes.h"

namespace xdpdk::vm::cbpf::ebpf {

inline RawInsn make(Op op, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    RawInsn in{};
    in.code = op_info(op).code;
    in.dst = dst & 0xf;
    in.src = src & 0xf;
    in.off = off;
    in.imm = imm;
    return in;
}

// dst op= imm / dst op= src, for an ALU operation of either width.
inline RawInsn alu_imm(Op op, uint8_t dst, uint32_t imm) { return make(op, dst, 0, 0, static_cast<int32_t>(imm)); }
inline RawInsn alu_reg(Op op, uint8_t dst, uint8_t src) { return make(op, dst, src, 0, 0); }
inline RawInsn neg32(uint8_t dst) { return make(Op::Neg32, dst, 0, 0, 0); }
inline RawInsn mov32_imm(uint8_t dst, uint32_t imm) { return alu_imm(Op::Mov32Imm, dst, imm); }
inline RawInsn mov32_reg(uint8_t dst, uint8_t src) { return alu_reg(Op::Mov32Reg, dst, src); }
inline RawInsn mov64_reg(uint8_t dst, uint8_t src) { return alu_reg(Op::Mov64Reg, dst, src); }
inline RawInsn add64_imm(uint8_t dst, int32_t imm) { return make(Op::Add64Imm, dst, 0, 0, imm); }
inline RawInsn add64_reg(uint8_t dst, uint8_t src) { return alu_reg(Op::Add64Reg, dst, src); }
// dst = be16/be32(dst): network order to host order on little-endian.
inline RawInsn to_be(uint8_t dst, uint8_t bytes) {
    const Op op = bytes == 2 ? Op::Be16 : Op::Be32;
    return make(op, dst, 0, 0, op_info(op).select_value);
}

// dst = *(u8/u16/u32 *)(src + off), and *(u32 *)(dst + off) = src.
inline RawInsn load(uint8_t bytes, uint8_t dst, uint8_t src, int16_t off) {
    return make(bytes == 1 ? Op::LdxB : bytes == 2 ? Op::LdxH : Op::LdxW, dst, src, off, 0);
}
inline RawInsn store32(uint8_t dst, int16_t off, uint8_t src) { return make(Op::StxW, dst, src, off, 0); }

// Jumps; the offset is filled in later where it names a cBPF target.
inline RawInsn jmp_imm(Op op, uint8_t dst, uint32_t imm, int16_t off) {
    return make(op, dst, 0, off, static_cast<int32_t>(imm));
}
inline RawInsn jmp_reg(Op op, uint8_t dst, uint8_t src, int16_t off) { return make(op, dst, src, off, 0); }
inline RawInsn ja(int16_t off) { return make(Op::Ja, 0, 0, off, 0); }
inline RawInsn gotol(int32_t off) { return make(Op::Ja32, 0, 0, 0, off); }
inline RawInsn call(int32_t helper) { return make(Op::Call, 0, 0, 0, helper); }
inline RawInsn exit_insn() { return make(Op::Exit, 0, 0, 0, 0); }

}  // namespace xdpdk::vm::cbpf::ebpf
