// Instructions -> the text assemble() reads back: llvm-objdump's spelling
// (`if r2 == 0 goto +2`, `r1 = 0x123456789 ll`, `r2 = xchg_64(r1 +0, r2)`)
// with the kernel's memory offsets (`*(u64 *)(r10 -8)`). For any program,
// assemble(disassemble(p)) == p: encodings with no mnemonic form print as
// `.insn code, dst, src, off, imm`, unknown opcodes as `.invalid code, ...`.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "opcodes.h"

namespace xdpdk::vm {

// One instruction; an lddw reads its second slot from prog[index + 1].
std::string disassemble_insn(std::span<const RawInsn> prog, size_t index);

// "   0: r0 = 0\n" per instruction; an lddw covers two indices, so the next
// line number skips one.
std::string disassemble(std::span<const RawInsn> prog);

}  // namespace xdpdk::vm
