#include "classic_ops.h"

#include <array>

namespace xdpdk::vm::cbpf {
namespace {

using namespace classic;

constexpr Op kNone = Op::Count;
constexpr OperandRule kAny = OperandRule::Any;

// Every opcode Linux's bpf_check_classic accepts (its codes[] table), with
// tcpdump -d's mnemonic and the eBPF operation it becomes.
constexpr ClassicOpInfo kClassicOps[] = {
    {ALU | ADD | K, "add", Operand::Imm, 0, Op::Add32Imm, kNone, kAny},
    {ALU | ADD | X, "add", Operand::RegX, 0, Op::Add32Reg, kNone, kAny},
    {ALU | SUB | K, "sub", Operand::Imm, 0, Op::Sub32Imm, kNone, kAny},
    {ALU | SUB | X, "sub", Operand::RegX, 0, Op::Sub32Reg, kNone, kAny},
    {ALU | MUL | K, "mul", Operand::Imm, 0, Op::Mul32Imm, kNone, kAny},
    {ALU | MUL | X, "mul", Operand::RegX, 0, Op::Mul32Reg, kNone, kAny},
    {ALU | DIV | K, "div", Operand::Imm, 0, Op::Div32Imm, kNone, OperandRule::NonZero},
    {ALU | DIV | X, "div", Operand::RegX, 0, Op::Div32Reg, kNone, OperandRule::NonZero},
    {ALU | MOD | K, "mod", Operand::Imm, 0, Op::Mod32Imm, kNone, OperandRule::NonZero},
    {ALU | MOD | X, "mod", Operand::RegX, 0, Op::Mod32Reg, kNone, OperandRule::NonZero},
    {ALU | AND | K, "and", Operand::Imm, 0, Op::And32Imm, kNone, kAny},
    {ALU | AND | X, "and", Operand::RegX, 0, Op::And32Reg, kNone, kAny},
    {ALU | OR | K, "or", Operand::Imm, 0, Op::Or32Imm, kNone, kAny},
    {ALU | OR | X, "or", Operand::RegX, 0, Op::Or32Reg, kNone, kAny},
    {ALU | XOR | K, "xor", Operand::Imm, 0, Op::Xor32Imm, kNone, kAny},
    {ALU | XOR | X, "xor", Operand::RegX, 0, Op::Xor32Reg, kNone, kAny},
    {ALU | LSH | K, "lsh", Operand::Imm, 0, Op::Lsh32Imm, kNone, OperandRule::Below32},
    {ALU | LSH | X, "lsh", Operand::RegX, 0, Op::Lsh32Reg, kNone, OperandRule::Below32},
    {ALU | RSH | K, "rsh", Operand::Imm, 0, Op::Rsh32Imm, kNone, OperandRule::Below32},
    {ALU | RSH | X, "rsh", Operand::RegX, 0, Op::Rsh32Reg, kNone, OperandRule::Below32},
    {ALU | NEG, "neg", Operand::None, 0, Op::Neg32, kNone, kAny},
    {LD | W | ABS, "ld", Operand::Packet, 4, kNone, kNone, kAny},
    {LD | H | ABS, "ldh", Operand::Packet, 2, kNone, kNone, kAny},
    {LD | B | ABS, "ldb", Operand::Packet, 1, kNone, kNone, kAny},
    {LD | W | LEN, "ld", Operand::Length, 0, kNone, kNone, kAny},
    {LD | W | IND, "ld", Operand::Packet, 4, kNone, kNone, kAny},
    {LD | H | IND, "ldh", Operand::Packet, 2, kNone, kNone, kAny},
    {LD | B | IND, "ldb", Operand::Packet, 1, kNone, kNone, kAny},
    {LD | IMM, "ld", Operand::Imm, 0, kNone, kNone, kAny},
    {LD | MEM, "ld", Operand::Memory, 0, kNone, kNone, kAny},
    {LDX | W | LEN, "ldx", Operand::Length, 0, kNone, kNone, kAny},
    {LDX | B | MSH, "ldxb", Operand::Packet, 1, kNone, kNone, kAny},
    {LDX | IMM, "ldx", Operand::Imm, 0, kNone, kNone, kAny},
    {LDX | MEM, "ldx", Operand::Memory, 0, kNone, kNone, kAny},
    {ST, "st", Operand::Memory, 0, kNone, kNone, kAny},
    {STX, "stx", Operand::Memory, 0, kNone, kNone, kAny},
    {MISC | TAX, "tax", Operand::None, 0, kNone, kNone, kAny},
    {MISC | TXA, "txa", Operand::None, 0, kNone, kNone, kAny},
    {RET | K, "ret", Operand::Imm, 0, kNone, kNone, kAny},
    {RET | A, "ret", Operand::None, 0, kNone, kNone, kAny},
    {JMP | JA, "ja", Operand::Imm, 0, Op::Ja, kNone, kAny},
    {JMP | JEQ | K, "jeq", Operand::Imm, 0, Op::Jeq32Imm, Op::Jne32Imm, kAny},
    {JMP | JEQ | X, "jeq", Operand::RegX, 0, Op::Jeq32Reg, Op::Jne32Reg, kAny},
    {JMP | JGE | K, "jge", Operand::Imm, 0, Op::Jge32Imm, Op::Jlt32Imm, kAny},
    {JMP | JGE | X, "jge", Operand::RegX, 0, Op::Jge32Reg, Op::Jlt32Reg, kAny},
    {JMP | JGT | K, "jgt", Operand::Imm, 0, Op::Jgt32Imm, Op::Jle32Imm, kAny},
    {JMP | JGT | X, "jgt", Operand::RegX, 0, Op::Jgt32Reg, Op::Jle32Reg, kAny},
    {JMP | JSET | K, "jset", Operand::Imm, 0, Op::Jset32Imm, kNone, kAny},
    {JMP | JSET | X, "jset", Operand::RegX, 0, Op::Jset32Reg, kNone, kAny},
};

// cBPF opcodes are 8 bits wide: each one's row in kClassicOps, -1 for none.
constexpr auto kRowOfCode = [] {
    std::array<int8_t, 256> rows{};
    rows.fill(-1);
    for (size_t i = 0; i < std::size(kClassicOps); ++i) rows[kClassicOps[i].code] = static_cast<int8_t>(i);
    return rows;
}();
static_assert(std::size(kClassicOps) < 128);

// Linux's ancillary loads (SKF_AD_*). The ones without a refusal read what
// XDP has too: the ingress device and queue of xdp_md, the CPU, a random
// number, and A ^ X (no packet at all).
constexpr Ancillary kAncillaries[] = {
    {0, "SKF_AD_PROTOCOL", "skb->protocol has no XDP counterpart (the EtherType is in the frame: ether[12:2])"},
    {4, "SKF_AD_PKTTYPE", "skb->pkt_type is decided by the stack after XDP"},
    {skf::IFINDEX, "SKF_AD_IFINDEX", nullptr},
    {12, "SKF_AD_NLATTR", "netlink attributes exist only on netlink sockets"},
    {16, "SKF_AD_NLATTR_NEST", "netlink attributes exist only on netlink sockets"},
    {20, "SKF_AD_MARK", "skb->mark is set by the stack after XDP"},
    // skb->queue_mapping, which for a received packet is the rx queue + 1
    // (skb_record_rx_queue): xdp_md's rx_queue_index + 1.
    {skf::QUEUE, "SKF_AD_QUEUE", nullptr},
    {28, "SKF_AD_HATYPE", "the device's ARPHRD type is not visible to XDP"},
    {32, "SKF_AD_RXHASH", "skb->hash is computed by the stack after XDP"},
    {skf::CPU, "SKF_AD_CPU", nullptr},
    {skf::ALU_XOR_X, "SKF_AD_ALU_XOR_X", nullptr},
    {44, "SKF_AD_VLAN_TAG", "an offloaded VLAN tag is not visible to XDP (the tag is in the frame: vlan)"},
    {48, "SKF_AD_VLAN_TAG_PRESENT", "an offloaded VLAN tag is not visible to XDP (the tag is in the frame: vlan)"},
    {52, "SKF_AD_PAY_OFFSET", "the flow dissector's payload offset is not computed at XDP"},
    {skf::RANDOM, "SKF_AD_RANDOM", nullptr},
    {60, "SKF_AD_VLAN_TPID", "an offloaded VLAN tag is not visible to XDP (the tag is in the frame: vlan)"},
};

}  // namespace

std::optional<ClassicOpInfo> classic_op(uint16_t code) {
    if (code >= kRowOfCode.size() || kRowOfCode[code] < 0) return std::nullopt;
    return kClassicOps[kRowOfCode[code]];
}

std::optional<Ancillary> ancillary(uint32_t k) {
    if (k < kAdOff) return std::nullopt;
    for (const auto& a : kAncillaries)
        if (kAdOff + a.offset == k) return a;
    return std::nullopt;
}

}  // namespace xdpdk::vm::cbpf
