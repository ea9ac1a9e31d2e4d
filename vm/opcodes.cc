#include "opcodes.h"

#include <array>

namespace xdpdk::vm {
namespace {

#define XDPDK_OP_FOUR_NAME_(n) #n "64imm", #n "64reg", #n "32imm", #n "32reg",
#define XDPDK_OP_ONE_NAME_(n) #n,
constexpr const char* kOpNames[] = {XDPDK_OPS(XDPDK_OP_FOUR_NAME_, XDPDK_OP_ONE_NAME_)};
#undef XDPDK_OP_FOUR_NAME_
#undef XDPDK_OP_ONE_NAME_
static_assert(sizeof(kOpNames) / sizeof(kOpNames[0]) == kNumOps);

constexpr Op at(Op base, int delta) { return static_cast<Op>(static_cast<int>(base) + delta); }

struct AluSpec {
    Op base;  // the n##64Imm member of a FOUR group
    uint8_t code;
    const char* sym;
    int32_t off;  // value of `off` that selects it (sdiv/smod use 1)
};

constexpr AluSpec kAlu[] = {
    {Op::Add64Imm, 0x00, "+=", 0},  {Op::Sub64Imm, 0x10, "-=", 0},   {Op::Mul64Imm, 0x20, "*=", 0},
    {Op::Div64Imm, 0x30, "/=", 0},  {Op::Or64Imm, 0x40, "|=", 0},    {Op::And64Imm, 0x50, "&=", 0},
    {Op::Lsh64Imm, 0x60, "<<=", 0}, {Op::Rsh64Imm, 0x70, ">>=", 0},  {Op::Mod64Imm, 0x90, "%=", 0},
    {Op::Xor64Imm, 0xa0, "^=", 0},  {Op::Mov64Imm, 0xb0, "=", 0},    {Op::Arsh64Imm, 0xc0, "s>>=", 0},
    {Op::Sdiv64Imm, 0x30, "s/=", 1}, {Op::Smod64Imm, 0x90, "s%=", 1},
};

struct JmpSpec {
    Op base;
    uint8_t code;
    const char* sym;
};

constexpr JmpSpec kJmp[] = {
    {Op::Jeq64Imm, 0x10, "=="},  {Op::Jgt64Imm, 0x20, ">"},    {Op::Jge64Imm, 0x30, ">="},
    {Op::Jset64Imm, 0x40, "&"},  {Op::Jne64Imm, 0x50, "!="},   {Op::Jsgt64Imm, 0x60, "s>"},
    {Op::Jsge64Imm, 0x70, "s>="}, {Op::Jlt64Imm, 0xa0, "<"},   {Op::Jle64Imm, 0xb0, "<="},
    {Op::Jslt64Imm, 0xc0, "s<"}, {Op::Jsle64Imm, 0xd0, "s<="},
};

struct OneSpec {
    Op op;
    uint8_t code;
    Kind kind;
    bool is64;
    uint8_t size;
    Select select;
    int32_t value;
    const char* sym;
};

using enum Kind;
constexpr OneSpec kOne[] = {
    {Op::Neg64, 0x87, Neg, true, 0, Select::Off, 0, "-"},
    {Op::Neg32, 0x84, Neg, false, 0, Select::Off, 0, "-"},
    {Op::Movsx64x8, 0xbf, MovSx, true, 1, Select::Off, 8, "s8"},
    {Op::Movsx64x16, 0xbf, MovSx, true, 2, Select::Off, 16, "s16"},
    {Op::Movsx64x32, 0xbf, MovSx, true, 4, Select::Off, 32, "s32"},
    {Op::Movsx32x8, 0xbc, MovSx, false, 1, Select::Off, 8, "s8"},
    {Op::Movsx32x16, 0xbc, MovSx, false, 2, Select::Off, 16, "s16"},
    {Op::Le16, 0xd4, Endian, false, 2, Select::Imm, 16, "le"},
    {Op::Le32, 0xd4, Endian, false, 4, Select::Imm, 32, "le"},
    {Op::Le64, 0xd4, Endian, false, 8, Select::Imm, 64, "le"},
    {Op::Be16, 0xdc, Endian, false, 2, Select::Imm, 16, "be"},
    {Op::Be32, 0xdc, Endian, false, 4, Select::Imm, 32, "be"},
    {Op::Be64, 0xdc, Endian, false, 8, Select::Imm, 64, "be"},
    {Op::Bswap16, 0xd7, Endian, true, 2, Select::Imm, 16, "bswap"},
    {Op::Bswap32, 0xd7, Endian, true, 4, Select::Imm, 32, "bswap"},
    {Op::Bswap64, 0xd7, Endian, true, 8, Select::Imm, 64, "bswap"},
    {Op::Ja, 0x05, Kind::Ja, true, 0, Select::None, 0, "goto"},
    {Op::Ja32, 0x06, Kind::Ja, false, 0, Select::None, 0, "gotol"},
    {Op::Call, 0x85, Kind::Call, true, 0, Select::Src, 0, "call"},
    {Op::CallLocal, 0x85, Kind::Call, true, 0, Select::Src, 1, "call"},
    {Op::Exit, 0x95, Kind::Exit, true, 0, Select::None, 0, "exit"},
    {Op::Lddw, 0x18, Kind::Lddw, true, 8, Select::None, 0, "ll"},
    {Op::LddwTail, 0x00, Kind::LddwTail, true, 0, Select::None, 0, ""},
    {Op::LdxB, 0x71, Ldx, true, 1, Select::None, 0, "u8"},
    {Op::LdxH, 0x69, Ldx, true, 2, Select::None, 0, "u16"},
    {Op::LdxW, 0x61, Ldx, true, 4, Select::None, 0, "u32"},
    {Op::LdxDW, 0x79, Ldx, true, 8, Select::None, 0, "u64"},
    {Op::LdxsB, 0x91, Ldxs, true, 1, Select::None, 0, "s8"},
    {Op::LdxsH, 0x89, Ldxs, true, 2, Select::None, 0, "s16"},
    {Op::LdxsW, 0x81, Ldxs, true, 4, Select::None, 0, "s32"},
    {Op::StB, 0x72, St, true, 1, Select::None, 0, "u8"},
    {Op::StH, 0x6a, St, true, 2, Select::None, 0, "u16"},
    {Op::StW, 0x62, St, true, 4, Select::None, 0, "u32"},
    {Op::StDW, 0x7a, St, true, 8, Select::None, 0, "u64"},
    {Op::StxB, 0x73, Stx, true, 1, Select::None, 0, "u8"},
    {Op::StxH, 0x6b, Stx, true, 2, Select::None, 0, "u16"},
    {Op::StxW, 0x63, Stx, true, 4, Select::None, 0, "u32"},
    {Op::StxDW, 0x7b, Stx, true, 8, Select::None, 0, "u64"},
    {Op::AtomicAddW, 0xc3, Atomic, false, 4, Select::Imm, 0x00, "+="},
    {Op::AtomicOrW, 0xc3, Atomic, false, 4, Select::Imm, 0x40, "|="},
    {Op::AtomicAndW, 0xc3, Atomic, false, 4, Select::Imm, 0x50, "&="},
    {Op::AtomicXorW, 0xc3, Atomic, false, 4, Select::Imm, 0xa0, "^="},
    {Op::AtomicFetchAddW, 0xc3, Atomic, false, 4, Select::Imm, 0x01, "fetch_add"},
    {Op::AtomicFetchOrW, 0xc3, Atomic, false, 4, Select::Imm, 0x41, "fetch_or"},
    {Op::AtomicFetchAndW, 0xc3, Atomic, false, 4, Select::Imm, 0x51, "fetch_and"},
    {Op::AtomicFetchXorW, 0xc3, Atomic, false, 4, Select::Imm, 0xa1, "fetch_xor"},
    {Op::AtomicXchgW, 0xc3, Atomic, false, 4, Select::Imm, 0xe1, "xchg"},
    {Op::AtomicCmpxchgW, 0xc3, Atomic, false, 4, Select::Imm, 0xf1, "cmpxchg"},
    {Op::AtomicAddDW, 0xdb, Atomic, true, 8, Select::Imm, 0x00, "+="},
    {Op::AtomicOrDW, 0xdb, Atomic, true, 8, Select::Imm, 0x40, "|="},
    {Op::AtomicAndDW, 0xdb, Atomic, true, 8, Select::Imm, 0x50, "&="},
    {Op::AtomicXorDW, 0xdb, Atomic, true, 8, Select::Imm, 0xa0, "^="},
    {Op::AtomicFetchAddDW, 0xdb, Atomic, true, 8, Select::Imm, 0x01, "fetch_add"},
    {Op::AtomicFetchOrDW, 0xdb, Atomic, true, 8, Select::Imm, 0x41, "fetch_or"},
    {Op::AtomicFetchAndDW, 0xdb, Atomic, true, 8, Select::Imm, 0x51, "fetch_and"},
    {Op::AtomicFetchXorDW, 0xdb, Atomic, true, 8, Select::Imm, 0xa1, "fetch_xor"},
    {Op::AtomicXchgDW, 0xdb, Atomic, true, 8, Select::Imm, 0xe1, "xchg"},
    {Op::AtomicCmpxchgDW, 0xdb, Atomic, true, 8, Select::Imm, 0xf1, "cmpxchg"},
};

constexpr std::array<OpInfo, kNumOps> build_table() {
    std::array<OpInfo, kNumOps> t{};
    for (int i = 0; i < kNumOps; ++i) t[i].op = Op::Count;  // marks a hole; checked below
    for (const auto& a : kAlu) {
        // 64imm, 64reg, 32imm, 32reg
        const uint8_t cls[4] = {bpf::ALU64 | bpf::K, bpf::ALU64 | bpf::X, bpf::ALU | bpf::K,
                                bpf::ALU | bpf::X};
        for (int v = 0; v < 4; ++v) {
            Op op = at(a.base, v);
            t[static_cast<int>(op)] = OpInfo{op,  kOpNames[static_cast<int>(op)],
                                             static_cast<uint8_t>(a.code | cls[v]),
                                             (v % 2 == 0) ? AluImm : AluReg,
                                             v < 2, 0, Select::Off, a.off, a.sym};
        }
    }
    for (const auto& j : kJmp) {
        const uint8_t cls[4] = {bpf::JMP | bpf::K, bpf::JMP | bpf::X, bpf::JMP32 | bpf::K,
                                bpf::JMP32 | bpf::X};
        for (int v = 0; v < 4; ++v) {
            Op op = at(j.base, v);
            t[static_cast<int>(op)] = OpInfo{op,  kOpNames[static_cast<int>(op)],
                                             static_cast<uint8_t>(j.code | cls[v]),
                                             (v % 2 == 0) ? JmpImm : JmpReg,
                                             v < 2, 0, Select::None, 0, j.sym};
        }
    }
    for (const auto& o : kOne) {
        t[static_cast<int>(o.op)] = OpInfo{o.op,   kOpNames[static_cast<int>(o.op)], o.code, o.kind,
                                           o.is64, o.size, o.select, o.value, o.sym};
    }
    return t;
}

constexpr std::array<OpInfo, kNumOps> kTable = build_table();

constexpr bool table_complete() {
    for (int i = 0; i < kNumOps; ++i)
        if (kTable[i].op != static_cast<Op>(i)) return false;
    return true;
}
static_assert(table_complete(), "every Op needs exactly one entry in the opcode table");

// Candidates per opcode byte, so decoding is a short scan.
struct ByCode {
    std::array<std::array<Op, 12>, 256> ops{};
    std::array<uint8_t, 256> count{};
};

constexpr ByCode build_by_code() {
    ByCode b{};
    for (const auto& info : kTable) {
        if (info.kind == LddwTail) continue;
        b.ops[info.code][b.count[info.code]++] = info.op;
    }
    return b;
}

constexpr ByCode kByCode = build_by_code();

}  // namespace

const OpInfo& op_info(Op op) { return kTable[static_cast<int>(op)]; }

std::optional<Op> decode_op(const RawInsn& raw) {
    for (int i = 0; i < kByCode.count[raw.code]; ++i) {
        const OpInfo& info = kTable[static_cast<int>(kByCode.ops[raw.code][i])];
        switch (info.select) {
            case Select::None: return info.op;
            case Select::Off:
                if (raw.off == info.select_value) return info.op;
                break;
            case Select::Imm:
                if (raw.imm == info.select_value) return info.op;
                break;
            case Select::Src:
                if (raw.src == info.select_value) return info.op;
                break;
        }
    }
    return std::nullopt;
}

bool is_legacy_packet_load(uint8_t code) {
    const uint8_t cls = code & 0x07, mode = code & 0xe0;
    return cls == bpf::LD && (mode == 0x20 || mode == 0x40);
}

}  // namespace xdpdk::vm
