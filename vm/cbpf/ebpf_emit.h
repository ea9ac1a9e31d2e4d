// Building eBPF instructions for the cBPF translation: one constructor per
// instruction shape, named after what it does, so the translation reads as
// the program it writes.
#pragma once

#include <cstdint>

#include "../opcodes.h"

namespace xdpdk::vm::cbpf::ebpf {

// Opcode fields of eBPF beyond opcodes.h's class constants.
constexpr uint8_t MOV = 0xb0, NEG = 0x80, END = 0xd0, TO_BE = 0x08;
constexpr uint8_t ADD = 0x00, AND = 0x50, LSH = 0x60, XOR = 0xa0;
constexpr uint8_t JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40, JNE = 0x50, JLT = 0xa0,
                  JLE = 0xb0, CALL = 0x80, EXIT = 0x90;
constexpr uint8_t kNoOp = 0xff;  // "no such operation" in the tables

inline RawInsn make(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    RawInsn in{};
    in.code = code;
    in.dst = dst & 0xf;
    in.src = src & 0xf;
    in.off = off;
    in.imm = imm;
    return in;
}

// 32-bit ALU (the width of cBPF's A and X): dst op= imm / dst op= src.
inline RawInsn alu32_imm(uint8_t op, uint8_t dst, uint32_t imm) {
    return make(bpf::ALU | op | bpf::K, dst, 0, 0, static_cast<int32_t>(imm));
}
inline RawInsn alu32_reg(uint8_t op, uint8_t dst, uint8_t src) { return make(bpf::ALU | op | bpf::X, dst, src, 0, 0); }
inline RawInsn mov32_imm(uint8_t dst, uint32_t imm) { return alu32_imm(MOV, dst, imm); }
inline RawInsn mov32_reg(uint8_t dst, uint8_t src) { return alu32_reg(MOV, dst, src); }
inline RawInsn alu64_imm(uint8_t op, uint8_t dst, int32_t imm) { return make(bpf::ALU64 | op | bpf::K, dst, 0, 0, imm); }
inline RawInsn alu64_reg(uint8_t op, uint8_t dst, uint8_t src) { return make(bpf::ALU64 | op | bpf::X, dst, src, 0, 0); }
inline RawInsn mov64_reg(uint8_t dst, uint8_t src) { return alu64_reg(MOV, dst, src); }
// dst = be16/be32(dst): network order to host order on little-endian.
inline RawInsn to_be(uint8_t dst, int32_t bits) { return make(bpf::ALU | END | TO_BE, dst, 0, 0, bits); }

// bpf::SZ_B/H/W for a width of 1, 2 or 4 bytes.
inline uint8_t size_field(uint8_t bytes) { return bytes == 1 ? bpf::SZ_B : bytes == 2 ? bpf::SZ_H : bpf::SZ_W; }
inline RawInsn load(uint8_t bytes, uint8_t dst, uint8_t src, int16_t off) {
    return make(bpf::LDX | bpf::MEM | size_field(bytes), dst, src, off, 0);
}
inline RawInsn store32(uint8_t dst, int16_t off, uint8_t src) {
    return make(bpf::STX | bpf::MEM | bpf::SZ_W, dst, src, off, 0);
}

// Jumps; the offset is filled in later where it names a cBPF target.
inline RawInsn jmp64_imm(uint8_t op, uint8_t dst, int32_t imm, int16_t off) {
    return make(bpf::JMP | op | bpf::K, dst, 0, off, imm);
}
inline RawInsn jmp64_reg(uint8_t op, uint8_t dst, uint8_t src, int16_t off) {
    return make(bpf::JMP | op | bpf::X, dst, src, off, 0);
}
inline RawInsn jmp32_imm(uint8_t op, uint8_t dst, uint32_t imm, int16_t off) {
    return make(bpf::JMP32 | op | bpf::K, dst, 0, off, static_cast<int32_t>(imm));
}
inline RawInsn jmp32_reg(uint8_t op, uint8_t dst, uint8_t src, int16_t off) {
    return make(bpf::JMP32 | op | bpf::X, dst, src, off, 0);
}
inline RawInsn ja(int16_t off) { return make(bpf::JMP | JA, 0, 0, off, 0); }
inline RawInsn gotol(int32_t off) { return make(bpf::JMP32 | JA, 0, 0, 0, off); }
inline RawInsn call(int32_t helper) { return make(bpf::JMP | CALL, 0, 0, 0, helper); }
inline RawInsn exit_insn() { return make(bpf::JMP | EXIT, 0, 0, 0, 0); }

}  // namespace xdpdk::vm::cbpf::ebpf
