// The one opcode table. Every consumer of eBPF instructions (decoder,
// assembler, disassembler, interpreter, and later the verifier and JIT) works
// on the dense `Op` enum below and reads its facts from `op_info()`. The raw
// encoding (opcode byte plus the off/imm/src fields that select signed
// division, sign-extending moves, byte swaps and atomics) is mapped to an Op in
// exactly one place: decode_op().
#pragma once

#include <cstdint>
#include <optional>

namespace xdpdk::vm {

// Raw instruction as in struct bpf_insn (little-endian register nibbles).
struct RawInsn {
    uint8_t code;
    uint8_t dst : 4;
    uint8_t src : 4;
    int16_t off;
    int32_t imm;
};
static_assert(sizeof(RawInsn) == 8);

// Every operation, in dispatch order. FOUR(n) expands to n##64Imm, n##64Reg,
// n##32Imm, n##32Reg (ALU, ALU64, JMP, JMP32 with K or X source).
#define XDPDK_OPS(FOUR, ONE)                                                                   \
    FOUR(Add) FOUR(Sub) FOUR(Mul) FOUR(Div) FOUR(Or) FOUR(And) FOUR(Lsh) FOUR(Rsh) FOUR(Mod)    \
    FOUR(Xor) FOUR(Mov) FOUR(Arsh) FOUR(Sdiv) FOUR(Smod)                                        \
    ONE(Neg64) ONE(Neg32) ONE(Movsx64x8) ONE(Movsx64x16) ONE(Movsx64x32) ONE(Movsx32x8)         \
    ONE(Movsx32x16) ONE(Le16) ONE(Le32) ONE(Le64) ONE(Be16) ONE(Be32) ONE(Be64) ONE(Bswap16)    \
    ONE(Bswap32) ONE(Bswap64)                                                                   \
    FOUR(Jeq) FOUR(Jgt) FOUR(Jge) FOUR(Jset) FOUR(Jne) FOUR(Jsgt) FOUR(Jsge) FOUR(Jlt)          \
    FOUR(Jle) FOUR(Jslt) FOUR(Jsle)                                                             \
    ONE(Ja) ONE(Ja32) ONE(Call) ONE(CallLocal) ONE(Exit) ONE(Lddw) ONE(LddwTail)                \
    ONE(LdxB) ONE(LdxH) ONE(LdxW) ONE(LdxDW) ONE(LdxsB) ONE(LdxsH) ONE(LdxsW)                   \
    ONE(StB) ONE(StH) ONE(StW) ONE(StDW) ONE(StxB) ONE(StxH) ONE(StxW) ONE(StxDW)               \
    ONE(AtomicAddW) ONE(AtomicOrW) ONE(AtomicAndW) ONE(AtomicXorW) ONE(AtomicFetchAddW)         \
    ONE(AtomicFetchOrW) ONE(AtomicFetchAndW) ONE(AtomicFetchXorW) ONE(AtomicXchgW)              \
    ONE(AtomicCmpxchgW) ONE(AtomicAddDW) ONE(AtomicOrDW) ONE(AtomicAndDW) ONE(AtomicXorDW)      \
    ONE(AtomicFetchAddDW) ONE(AtomicFetchOrDW) ONE(AtomicFetchAndDW) ONE(AtomicFetchXorDW)      \
    ONE(AtomicXchgDW) ONE(AtomicCmpxchgDW)

#define XDPDK_OP_FOUR_ENUM_(n) n##64Imm, n##64Reg, n##32Imm, n##32Reg,
#define XDPDK_OP_ONE_ENUM_(n) n,
enum class Op : uint8_t { XDPDK_OPS(XDPDK_OP_FOUR_ENUM_, XDPDK_OP_ONE_ENUM_) Count };
#undef XDPDK_OP_FOUR_ENUM_
#undef XDPDK_OP_ONE_ENUM_

constexpr int kNumOps = static_cast<int>(Op::Count);

// What an operation does with its fields; drives syntax checks, the
// assembler/disassembler text form and the engines' operand handling.
enum class Kind : uint8_t {
    AluImm,    // dst op= imm
    AluReg,    // dst op= src
    Neg,       // dst = -dst
    MovSx,     // dst = (sN) src
    Endian,    // dst = be16 dst / le32 / bswap64
    JmpImm,    // if dst op imm goto off
    JmpReg,    // if dst op src goto off
    Ja,        // goto off   (Ja32: gotol imm)
    Call,      // call imm (helper) / call pc+imm (local)
    Exit,
    Lddw,      // dst = imm64 (two slots)
    LddwTail,  // second slot of lddw, never executed
    Ldx,       // dst = *(uN *)(src + off)
    Ldxs,      // dst = *(sN *)(src + off)
    St,        // *(uN *)(dst + off) = imm
    Stx,       // *(uN *)(dst + off) = src
    Atomic,    // lock *(uN *)(dst + off) op= src, with fetch / xchg / cmpxchg
};

// Which extra field, besides the opcode byte, selects this operation.
enum class Select : uint8_t { None, Off, Imm, Src };

struct OpInfo {
    Op op;
    const char* name;   // stable identifier, e.g. "add64imm"
    uint8_t code;       // opcode byte
    Kind kind;
    bool is64;          // ALU64/JMP (64-bit) vs ALU/JMP32
    uint8_t size;       // memory access or swap width in bytes (0 when n/a)
    Select select;
    int32_t select_value;
    const char* sym;    // operator text: "+=", "s>", "be", "" ...
};

const OpInfo& op_info(Op op);

// The decoder's single mapping from a raw instruction to an Op; nullopt when
// the opcode byte or its selecting field is not a valid eBPF instruction.
std::optional<Op> decode_op(const RawInsn& raw);

// Legacy packet-access opcodes (BPF_LD | BPF_ABS / BPF_IND); recognised only
// so the refusal can say what they are.
bool is_legacy_packet_load(uint8_t code);

// Opcode-class constants from RFC 9669.
namespace bpf {
constexpr uint8_t LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05,
                  JMP32 = 0x06, ALU64 = 0x07;
constexpr uint8_t K = 0x00, X = 0x08;
constexpr uint8_t MEM = 0x60, MEMSX = 0x80, ATOMIC = 0xc0, IMM = 0x00;
constexpr uint8_t SZ_W = 0x00, SZ_H = 0x08, SZ_B = 0x10, SZ_DW = 0x18;
constexpr uint8_t FETCH = 0x01;
constexpr int32_t XCHG = 0xe0 | FETCH, CMPXCHG = 0xf0 | FETCH;
constexpr uint8_t CALL = 0x80;  // with JMP: a helper (src 0), a function (PSEUDO_CALL), a kfunc
constexpr uint8_t PSEUDO_MAP_FD = 1, PSEUDO_MAP_VALUE = 2, PSEUDO_CALL = 1, PSEUDO_KFUNC = 2;
// lddw of a subprogram's address (imm: its first instruction, relative as a
// call's), which bpf_loop and bpf_for_each_map_elem take as their callback.
constexpr uint8_t PSEUDO_FUNC = 4;
constexpr int kMaxFrames = 8;
constexpr int kStackSize = 512;
constexpr int kMaxTailCalls = 33;
}  // namespace bpf

}  // namespace xdpdk::vm
