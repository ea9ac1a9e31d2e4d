// Text -> instructions for the eBPF assembly that `llvm-objdump -d` and
// `bpftool prog dump xlated` print, so dumps can be pasted back in. Every
// mnemonic comes from the opcode table (op_info); nothing here lists opcodes.
//
//   r1 = *(u32 *)(r6 +0)        *(u64 *)(r10 -8) = r1     *(u8 *)(r1 +2) = 7
//   if w1 s> w2 goto -3         if r1 & 0x10 goto loop    goto +3   gotol +70000
//   r1 = 0x123456789 ll         w1 += 5    r1 = -r1       r1 = be16 r1
//   r1 = (s8)r2                 r1 = *(s16 *)(r2 +4)      r1 s/= r2
//   call 6    call bpf_map_lookup_elem    call bpf_trace_printk#6    call pc+3
//   lock *(u64 *)(r1 +0) += r2  r2 = atomic_fetch_add((u64 *)(r1 +0), r2)
//   r2 = atomic64_xchg((u64 *)(r1 +0), r2)     r2 = xchg_64(r1 +0, r2)
//   r0 = cmpxchg_64(r1 +0, r0, r2)             w0 = cmpxchg32_32(r1 +0, w0, w2)
//   exit
//   .insn 0xff, 1, 0, 0, 0      (any raw encoding: code, dst, src, off, imm;
//                                 `.invalid` is the same, as the disassembler
//                                 prints unknown opcodes)
//
// Labels: `name:` alone or before an instruction; `goto name`, `call name`.
// A leading `12:` (line number), `(b7)` (bpftool's opcode) and bare hex bytes
// after the line number (llvm-objdump) are skipped; a trailing `<LBB0_2>` too.
// Comments start with `;`, `//`, or a `#` at line start or after a space.
// Numbers are decimal or 0x hex, optionally negative. A hex immediate up to
// 0xffffffff is taken as its 32-bit pattern where the operation reads 32 bits
// or compares (bpftool prints jump immediates that way), but not for 64-bit
// ALU or stores, which sign-extend it.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "error.h"
#include "opcodes.h"

namespace xdpdk::vm {

// Errors have subject "asm" and reason "line N: what is wrong in `text`".
Result<std::vector<RawInsn>> assemble(std::string_view text);

// Which fields carry an operation's operands; the rest are fixed (zero, or the
// value that selects the operation).
struct OperandFields {
    bool dst, src, off, imm;
};
OperandFields operand_fields(Op op);

// The canonical encoding of `op`: opcode byte and selecting field from the
// table, the given operands, zero elsewhere. Lddw gives its first slot only.
RawInsn encode_insn(Op op, uint8_t dst, uint8_t src, int16_t off, int32_t imm);

}  // namespace xdpdk::vm
