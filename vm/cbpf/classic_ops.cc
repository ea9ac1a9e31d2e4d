#include "classic_ops.h"

namespace xdpdk::vm::cbpf {
namespace {

using namespace classic;

// Every opcode Linux's bpf_check_classic accepts (its codes[] table), with
// tcpdump -d's mnemonic.
constexpr ClassicOpInfo kClassicOps[] = {
    {ALU | ADD | K, "add", Operand::Imm, 0},   {ALU | ADD | X, "add", Operand::RegX, 0},
    {ALU | SUB | K, "sub", Operand::Imm, 0},   {ALU | SUB | X, "sub", Operand::RegX, 0},
    {ALU | MUL | K, "mul", Operand::Imm, 0},   {ALU | MUL | X, "mul", Operand::RegX, 0},
    {ALU | DIV | K, "div", Operand::Imm, 0},   {ALU | DIV | X, "div", Operand::RegX, 0},
    {ALU | MOD | K, "mod", Operand::Imm, 0},   {ALU | MOD | X, "mod", Operand::RegX, 0},
    {ALU | AND | K, "and", Operand::Imm, 0},   {ALU | AND | X, "and", Operand::RegX, 0},
    {ALU | OR | K, "or", Operand::Imm, 0},     {ALU | OR | X, "or", Operand::RegX, 0},
    {ALU | XOR | K, "xor", Operand::Imm, 0},   {ALU | XOR | X, "xor", Operand::RegX, 0},
    {ALU | LSH | K, "lsh", Operand::Imm, 0},   {ALU | LSH | X, "lsh", Operand::RegX, 0},
    {ALU | RSH | K, "rsh", Operand::Imm, 0},   {ALU | RSH | X, "rsh", Operand::RegX, 0},
    {ALU | NEG, "neg", Operand::None, 0},
    {LD | W | ABS, "ld", Operand::Packet, 4},  {LD | H | ABS, "ldh", Operand::Packet, 2},
    {LD | B | ABS, "ldb", Operand::Packet, 1}, {LD | W | LEN, "ld", Operand::Length, 0},
    {LD | W | IND, "ld", Operand::Packet, 4},  {LD | H | IND, "ldh", Operand::Packet, 2},
    {LD | B | IND, "ldb", Operand::Packet, 1}, {LD | IMM, "ld", Operand::Imm, 0},
    {LD | MEM, "ld", Operand::Memory, 0},      {LDX | W | LEN, "ldx", Operand::Length, 0},
    {LDX | B | MSH, "ldxb", Operand::Packet, 1}, {LDX | IMM, "ldx", Operand::Imm, 0},
    {LDX | MEM, "ldx", Operand::Memory, 0},    {ST, "st", Operand::Memory, 0},
    {STX, "stx", Operand::Memory, 0},          {MISC | TAX, "tax", Operand::None, 0},
    {MISC | TXA, "txa", Operand::None, 0},     {RET | K, "ret", Operand::Imm, 0},
    {RET | A, "ret", Operand::None, 0},        {JMP | JA, "ja", Operand::Imm, 0},
    {JMP | JEQ | K, "jeq", Operand::Imm, 0},   {JMP | JEQ | X, "jeq", Operand::RegX, 0},
    {JMP | JGE | K, "jge", Operand::Imm, 0},   {JMP | JGE | X, "jge", Operand::RegX, 0},
    {JMP | JGT | K, "jgt", Operand::Imm, 0},   {JMP | JGT | X, "jgt", Operand::RegX, 0},
    {JMP | JSET | K, "jset", Operand::Imm, 0}, {JMP | JSET | X, "jset", Operand::RegX, 0},
};

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
    for (const auto& op : kClassicOps)
        if (op.code == code) return op;
    return std::nullopt;
}

std::optional<Ancillary> ancillary(uint32_t k) {
    if (k < kAdOff) return std::nullopt;
    for (const auto& a : kAncillaries)
        if (kAdOff + a.offset == k) return a;
    return std::nullopt;
}

}  // namespace xdpdk::vm::cbpf
