// Facts about classic BPF instructions, in tables: the opcodes Linux's
// bpf_check_classic allows (with their mnemonics and what their k means),
// and Linux's ancillary loads (SKF_AD_OFF + n), each with whether and how it
// runs at XDP.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "../opcodes.h"

namespace xdpdk::vm::cbpf {

// Field values of <linux/filter.h> / <pcap/bpf.h> (the same encoding).
namespace classic {
constexpr uint16_t LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;
constexpr uint16_t W = 0x00, H = 0x08, B = 0x10;
constexpr uint16_t IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, LEN = 0x80, MSH = 0xa0;
constexpr uint16_t K = 0x00, X = 0x08, A = 0x10;  // X: source operand; A: RET's
constexpr uint16_t ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60,
                   RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0;
constexpr uint16_t JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
constexpr uint16_t TAX = 0x00, TXA = 0x80;
constexpr uint32_t kMemWords = 16;    // BPF_MEMWORDS: the scratch memory M[]
constexpr uint32_t kMaxInsns = 4096;  // BPF_MAXINSNS
// Linux's negative load offsets (<linux/filter.h>): ancillary data, the
// network header, the link-layer header.
constexpr uint32_t kAdOff = 0xfffff000u, kNetOff = 0xfff00000u, kLlOff = 0xffe00000u;

constexpr uint16_t class_of(uint16_t code) { return code & 0x07; }
constexpr uint16_t size_of(uint16_t code) { return code & 0x18; }
constexpr uint16_t mode_of(uint16_t code) { return code & 0xe0; }
constexpr uint16_t op_of(uint16_t code) { return code & 0xf0; }
constexpr uint16_t src_of(uint16_t code) { return code & 0x08; }
}  // namespace classic

// How an instruction's operands are read, for checks and for text.
enum class Operand : uint8_t {
    None,      // neg, tax, txa, ret a
    Imm,       // k is a constant (ALU/JMP with K, ld #k, ret #k)
    Packet,    // k is a packet offset (ld abs, ldx msh), X+k for ld ind
    Memory,    // k indexes M[] (ld/ldx mem, st, stx)
    Length,    // ld/ldx #len
    RegX,      // the other operand is X
};

// What the operand (k, or X at run time) of an ALU operation must be:
// check_classic refuses a constant that breaks it, and the translation
// guards X as libpcap does.
enum class OperandRule : uint8_t {
    Any,
    NonZero,  // div, mod: by 0 the filter returns 0
    Below32,  // lsh, rsh: by 32 or more the result is 0
};

struct ClassicOpInfo {
    uint16_t code;
    const char* mnemonic;  // tcpdump -d's ("ldh", "jeq", "ret" ...)
    Operand operand;
    uint8_t load_size;     // packet load width in bytes (0: none)
    // The eBPF operation an ALU operation or a jump's test becomes (32-bit:
    // cBPF's width), and for a jump the negated test (Op::Count: none, or
    // not translated by a single operation).
    Op ebpf;
    Op inverse;
    OperandRule rule;
};

// The row of an allowed opcode, nullopt for one Linux refuses (every code
// above 0xff among them: cBPF opcodes are 8 bits wide).
std::optional<ClassicOpInfo> classic_op(uint16_t code);

// A Linux ancillary load (k = SKF_AD_OFF + offset).
struct Ancillary {
    uint32_t offset;     // SKF_AD_*
    const char* name;    // "SKF_AD_PROTOCOL"
    // Why it has no XDP meaning; nullptr when it has one (see translate).
    const char* refusal;
};

// The row for k in SKF_AD_OFF's range, nullopt for an unknown one.
std::optional<Ancillary> ancillary(uint32_t k);

// SKF_AD_* of the ancillary loads that do have an XDP meaning.
namespace skf {
constexpr uint32_t IFINDEX = 8, QUEUE = 24, CPU = 36, ALU_XOR_X = 40, RANDOM = 56;
}

}  // namespace xdpdk::vm::cbpf
