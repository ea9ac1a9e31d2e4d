#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"
#include "vm/assembler.h"
#include "vm/disassembler.h"
#include "vm/helpers.h"
#include "vm/hex_bytes.h"

using namespace xdpdk::vm;

namespace {

bool same(const std::vector<RawInsn>& a, const std::vector<RawInsn>& b) {
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(RawInsn)) == 0);
}

std::string hex(const std::vector<RawInsn>& p) { return to_hex_program(p); }

std::vector<RawInsn> assemble_ok(const std::string& text) {
    auto r = assemble(text);
    EXPECT_TRUE(r.ok()) << text << "\n" << (r.ok() ? "" : r.error().str());
    return r.ok() ? r.value() : std::vector<RawInsn>{};
}

std::string assemble_error(const std::string& text) {
    auto r = assemble(text);
    EXPECT_FALSE(r.ok()) << text << " assembled to " << (r.ok() ? hex(r.value()) : "");
    return r.ok() ? "" : r.error().str();
}

struct Golden {
    const char* text;
    const char* bytes;  // as the kernel's struct bpf_insn lays them out
};

// Encodings written out by hand from RFC 9669, not through encode_insn.
const Golden kGolden[] = {
    {"r0 = 42", "b7 00 00 00 2a 00 00 00"},
    {"w1 += 5", "04 01 00 00 05 00 00 00"},
    {"r1 = -r1", "87 01 00 00 00 00 00 00"},
    {"w1 = -w1", "84 01 00 00 00 00 00 00"},
    {"r1 = *(u32 *)(r6 +0)", "61 61 00 00 00 00 00 00"},
    {"r1 = *(u32 *)(r6 + 0)", "61 61 00 00 00 00 00 00"},
    {"*(u64 *)(r10 -8) = r1", "7b 1a f8 ff 00 00 00 00"},
    {"*(u8 *)(r1 +2) = 7", "72 01 02 00 07 00 00 00"},
    {"if r2 == 0 goto +2", "15 02 02 00 00 00 00 00"},
    {"if w1 s> w2 goto -3", "6e 21 fd ff 00 00 00 00"},
    {"if r1 & 0x10 goto +1", "45 01 01 00 10 00 00 00"},
    {"goto +3", "05 00 03 00 00 00 00 00"},
    {"gotol +70000", "06 00 00 00 70 11 01 00"},
    {"r1 = 0 ll", "18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00"},
    {"r1 = 0x123456789 ll", "18 01 00 00 89 67 45 23 00 00 00 00 01 00 00 00"},
    {"call 6", "85 00 00 00 06 00 00 00"},
    {"call bpf_map_lookup_elem", "85 00 00 00 01 00 00 00"},
    {"call bpf_trace_printk#6", "85 00 00 00 06 00 00 00"},
    {"call pc+3", "85 10 00 00 03 00 00 00"},
    {"call pc-5", "85 10 00 00 fb ff ff ff"},
    {"exit", "95 00 00 00 00 00 00 00"},
    {"r1 = be16 r1", "dc 01 00 00 10 00 00 00"},
    {"r1 = le32 r1", "d4 01 00 00 20 00 00 00"},
    {"r1 = bswap64 r1", "d7 01 00 00 40 00 00 00"},
    {"r1 = (s8)r2", "bf 21 08 00 00 00 00 00"},
    {"w1 = (s16)w2", "bc 21 10 00 00 00 00 00"},
    {"r1 = *(s16 *)(r2 +4)", "89 21 04 00 00 00 00 00"},
    {"r1 s/= r2", "3f 21 01 00 00 00 00 00"},
    {"w1 s%= 3", "94 01 01 00 03 00 00 00"},
    {"r1 s>>= 3", "c7 01 00 00 03 00 00 00"},
    {"lock *(u64 *)(r1 +0) += r2", "db 21 00 00 00 00 00 00"},
    {"lock *(u32 *)(r1 +0) |= w2", "c3 21 00 00 40 00 00 00"},
    {"r2 = atomic_fetch_add((u64 *)(r1 +0), r2)", "db 21 00 00 01 00 00 00"},
    {"w2 = atomic_fetch_and((u32 *)(r1 +0), w2)", "c3 21 00 00 51 00 00 00"},
    {"r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)", "db 21 00 00 01 00 00 00"},
    {"r2 = xchg_64(r1 +0, r2)", "db 21 00 00 e1 00 00 00"},
    {"w2 = xchg32_32(r1 +0, w2)", "c3 21 00 00 e1 00 00 00"},
    {"r0 = cmpxchg_64(r1 +0, r0, r2)", "db 21 00 00 f1 00 00 00"},
    {"w0 = cmpxchg32_32(r1 +0, w0, w2)", "c3 21 00 00 f1 00 00 00"},
    {"r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)", "db 21 00 00 f1 00 00 00"},
    {"r2 = atomic64_xchg((u64 *)(r1 -16), r2)", "db 21 f0 ff e1 00 00 00"},
    {"r1 = -1", "b7 01 00 00 ff ff ff ff"},
    {"w1 = 0xffffffff", "b4 01 00 00 ff ff ff ff"},
    {"if r1 == 0xffffffff goto pc+1", "15 01 01 00 ff ff ff ff"},
    {"*(u64 *)(r10 - 8) = -2", "7a 0a f8 ff fe ff ff ff"},
    {".insn 0xff, 11, 0, -1, 7", "ff 0b ff ff 07 00 00 00"},
    {".invalid 0x8e, 1, 2, 3, 4", "8e 21 03 00 04 00 00 00"},
    // Dump prefixes: bpftool (line number, opcode) and llvm-objdump (bytes).
    {"   0: (b7) r0 = 0", "b7 00 00 00 00 00 00 00"},
    {"  12: (18) r1 = 0x100000002", "18 01 00 00 02 00 00 00 00 00 00 00 01 00 00 00"},
    {"       3:\t15 02 02 00 00 00 00 00\tif r2 == 0 goto +2 <LBB0_3>", "15 02 02 00 00 00 00 00"},
    // The kernel's disassembler (bpftool, verifier log): r registers in
    // 32-bit atomics, hex jump immediates, pc-relative targets.
    {"   3: (c3) lock *(u32 *)(r1 +0) += r2", "c3 21 00 00 00 00 00 00"},
    {"   4: (c3) r2 = atomic_fetch_add((u32 *)(r1 +0), r2)", "c3 21 00 00 01 00 00 00"},
    {"   5: (db) r0 = atomic64_cmpxchg((u64 *)(r1 +8), r0, r2)", "db 21 08 00 f1 00 00 00"},
    {"   6: (26) if w1 > 0x5 goto pc+1", "26 01 01 00 05 00 00 00"},
    {"   7: (85) call pc+3#bpf_prog_1234_sub", "85 10 00 00 03 00 00 00"},
    {"   8: (06) gotol pc-2", "06 00 00 00 fe ff ff ff"},
    {"r1 = *(u32 *)(r6 + 0x4)   # comment", "61 61 04 00 00 00 00 00"},
    {"exit ; done", "95 00 00 00 00 00 00 00"},
    {"exit // done", "95 00 00 00 00 00 00 00"},
};

TEST(Assembler, GoldenEncodings) {
    for (const Golden& g : kGolden) {
        auto insns = assemble_ok(g.text);
        EXPECT_EQ(hex(insns), g.bytes) << g.text;
    }
}

TEST(Assembler, LabelsResolveForwardAndBackward) {
    auto p = assemble_ok(R"(
        r0 = 0
    loop:
        r0 += 1
        if r0 < 10 goto loop   # backward: -2
        goto done
        r0 = 99
    done: exit
    )");
    ASSERT_EQ(p.size(), 6u);
    EXPECT_EQ(p[2].off, -2);
    EXPECT_EQ(p[3].off, 1);
}

TEST(Assembler, CallByLabelIsLocalAndByNameIsHelper) {
    auto p = assemble_ok(
        "call sub\n"
        "call bpf_ktime_get_ns\n"
        "exit\n"
        "sub:\n"
        "r0 = 1\n"
        "exit\n");
    ASSERT_EQ(p.size(), 5u);
    EXPECT_EQ(p[0].src, 1);
    EXPECT_EQ(p[0].imm, 2);
    EXPECT_EQ(p[1].src, 0);
    EXPECT_EQ(p[1].imm, helper_id::KtimeGetNs);
}

TEST(Assembler, LabelCountsLddwAsTwoSlots) {
    auto p = assemble_ok("goto end\nr1 = 5 ll\nend: exit\n");
    ASSERT_EQ(p.size(), 4u);
    EXPECT_EQ(p[0].off, 2);
}

TEST(Assembler, GotolLabelUsesImmediate) {
    auto p = assemble_ok("gotol end\nr0 = 1\nend: exit\n");
    ASSERT_EQ(p.size(), 3u);
    EXPECT_EQ(p[0].imm, 1);
    EXPECT_EQ(p[0].off, 0);
}

struct BadText {
    const char* text;
    const char* reason;
};

const BadText kBad[] = {
    {"r11 = 0", "bad register r11"},
    {"r0 = 0x80000000", "does not fit a signed 32-bit field"},
    {"r0 = 2147483648", "does not fit a signed 32-bit field"},
    {"w0 = -2147483649", "does not fit a signed 32-bit field"},
    {"*(u64 *)(r10 -8) = 0xffffffff", "does not fit a signed 32-bit field"},
    {"r1 = *(u32 *)(r6 +40000)", "does not fit a signed 16-bit offset"},
    {"goto +40000", "does not fit 16 bits"},
    {"goto 3", "needs a sign"},
    {"frobnicate r1", "unknown instruction"},
    {"r1 = w2", "differ in width"},
    {"if r1 > w2 goto +1", "differ in width"},
    {"r1 = -r2", "in place"},
    {"r1 = be16 r2", "in place"},
    {"w1 = (s32)w2", "no sign-extending move"},
    {"r1 = *(u128 *)(r2 +0)", "cannot load type u128"},
    {"r2 = atomic_fetch_add((u64 *)(r1 +0), r3)", "source register"},
    {"r1 = cmpxchg_64(r1 +0, r0, r2)", "r0"},
    {"lock *(u16 *)(r1 +0) += r2", "u32 or u64"},
    {"call nowhere", "unknown label or helper 'nowhere'"},
    {"call bpf_map_lookup_elem#2", "is #1, not #2"},
    {"goto nowhere\nexit", "unknown label 'nowhere'"},
    {"a: exit\na: exit", "label 'a' defined twice"},
    {"w1 = 5 ll", "lddw loads 64 bits"},
    {"r1 = 0x1ffffffffffffffff ll", "does not fit 64 bits"},
    {"exit now", "unexpected 'now'"},
    {"r1 = 0x12g", "bad number"},
};

TEST(Assembler, ErrorsNameLineReasonAndText) {
    for (const BadText& b : kBad) {
        const std::string err = assemble_error(b.text);
        EXPECT_NE(err.find(b.reason), std::string::npos) << b.text << " -> " << err;
        EXPECT_NE(err.find("line "), std::string::npos) << err;
    }
    const std::string err = assemble_error("r0 = 0\n\n  r0 += r12\nexit\n");
    EXPECT_NE(err.find("asm: line 3: bad register r12"), std::string::npos) << err;
    EXPECT_NE(err.find("`r0 += r12`"), std::string::npos) << err;
}

TEST(Assembler, LabelBeyondJumpOffsetRangeIsRefused) {
    std::string body;
    for (int i = 0; i < 40000; ++i) body += "r0 = 0\n";
    body += "far: exit\n";
    const std::string err = assemble_error("goto far\n" + body);
    EXPECT_NE(err.find("beyond the 16-bit jump offset"), std::string::npos) << err;
    auto p = assemble_ok("gotol far\n" + body);
    ASSERT_FALSE(p.empty());
    EXPECT_EQ(p[0].imm, 40000);
}

// Every instruction line llvm-objdump -d prints for the built sample programs
// assembles to the bytes it shows beside it. llvm-objdump 14 prints a local
// call as `call N`, like a helper call, so those lines are left out.
TEST(Assembler, ReadsLlvmObjdumpOfSamplePrograms) {
    const std::string objdump = "/usr/bin/llvm-objdump";
    if (!std::filesystem::exists(objdump)) GTEST_SKIP() << "no " << objdump;
    const std::filesystem::path progs = std::filesystem::path(xdpdk::test::prog_path("x")).parent_path();
    const std::regex insn_line(R"(^\s+\d+:\t((?:[0-9a-f]{2} )*[0-9a-f]{2})\t.*)");
    int checked = 0;
    for (const auto& entry : std::filesystem::directory_iterator(progs)) {
        if (entry.path().extension() != ".o") continue;
        auto dump = xdpdk::test::run_command({objdump, "-d", entry.path().string()});
        ASSERT_EQ(dump.exit_code, 0) << dump.err;
        std::istringstream lines(dump.out);
        std::string line;
        while (std::getline(lines, line)) {
            std::smatch m;
            if (!std::regex_match(line, m, insn_line)) continue;
            const std::string bytes = m[1];
            if (bytes.starts_with("85 1")) continue;
            auto insns = assemble(line);
            ASSERT_TRUE(insns.ok()) << entry.path() << ": " << insns.error().str();
            EXPECT_EQ(hex(*insns), bytes) << entry.path() << ": " << line;
            ++checked;
        }
    }
    EXPECT_GT(checked, 100) << "sample programs in " << progs;
}

// ---- disassembler ----

TEST(Disassembler, PrintsOneConsistentStyle) {
    const struct {
        std::vector<RawInsn> prog;
        const char* text;
    } cases[] = {
        {{encode_insn(Op::Jeq64Imm, 2, 0, 2, 0)}, "if r2 == 0 goto +2"},
        {{encode_insn(Op::Jsgt32Reg, 1, 2, -3, 0)}, "if w1 s> w2 goto -3"},
        {{encode_insn(Op::LdxW, 1, 6, 0, 0)}, "r1 = *(u32 *)(r6 +0)"},
        {{encode_insn(Op::StxDW, 10, 1, -8, 0)}, "*(u64 *)(r10 -8) = r1"},
        {{encode_insn(Op::Call, 0, 0, 0, 1)}, "call bpf_map_lookup_elem#1"},
        {{encode_insn(Op::Call, 0, 0, 0, 99999)}, "call 99999"},
        {{encode_insn(Op::CallLocal, 0, 0, 0, -5)}, "call pc-5"},
        {{encode_insn(Op::Lddw, 1, 0, 0, 0x23456789), RawInsn{0, 0, 0, 0, 1}}, "r1 = 0x123456789 ll"},
        {{encode_insn(Op::AtomicFetchAddDW, 1, 2, 0, 0)}, "r2 = atomic_fetch_add((u64 *)(r1 +0), r2)"},
        {{encode_insn(Op::AtomicCmpxchgW, 1, 2, 4, 0)}, "w0 = cmpxchg32_32(r1 +4, w0, w2)"},
        {{encode_insn(Op::AtomicXorW, 1, 2, 0, 0)}, "lock *(u32 *)(r1 +0) ^= w2"},
        {{encode_insn(Op::Movsx32x8, 1, 2, 0, 0)}, "w1 = (s8)w2"},
        {{encode_insn(Op::Be16, 3, 0, 0, 0)}, "r3 = be16 r3"},
        {{RawInsn{0xff, 1, 2, 3, 4}}, ".invalid 0xff, 1, 2, 3, 4"},
        // A register ALU op with an immediate set has no mnemonic form.
        {{RawInsn{0x0f, 1, 2, 0, 9}}, ".insn 0x0f, 1, 2, 0, 9"},
        // lddw with a map-fd pseudo source has not been relocated.
        {{RawInsn{0x18, 1, 1, 0, 5}, RawInsn{0, 0, 0, 0, 0}}, ".insn 0x18, 1, 1, 0, 5"},
    };
    for (const auto& c : cases) EXPECT_EQ(disassemble_insn(c.prog, 0), c.text);
}

TEST(Disassembler, ProgramListingSkipsLddwSecondSlot) {
    auto p = assemble_ok("r1 = 7 ll\nr0 = 0\nexit\n");
    EXPECT_EQ(disassemble(p), "   0: r1 = 0x7 ll\n   2: r0 = 0\n   3: exit\n");
}

TEST(Disassembler, IncompleteLddwAtTheEndIsRaw) {
    std::vector<RawInsn> p = {encode_insn(Op::Lddw, 1, 0, 0, 5)};
    EXPECT_EQ(disassemble_insn(p, 0), ".insn 0x18, 1, 0, 0, 5");
}

// For every Op with varied operands: disassemble, assemble, same bytes.
TEST(RoundTrip, EveryOpWithSeveralOperandValues) {
    struct Operands {
        uint8_t dst, src;
        int16_t off;
        int32_t imm;
    };
    const Operands values[] = {
        {0, 0, 0, 0}, {1, 2, 1, 1}, {9, 10, -1, -1}, {10, 1, 32767, 2147483647},
        {5, 6, -32768, -2147483647 - 1}, {3, 4, 255, 0x10000}, {7, 8, -8, 6},
    };
    for (int i = 0; i < kNumOps; ++i) {
        const Op op = static_cast<Op>(i);
        if (op_info(op).kind == Kind::LddwTail) continue;
        for (const Operands& v : values) {
            std::vector<RawInsn> prog = {encode_insn(op, v.dst, v.src, v.off, v.imm)};
            if (op == Op::Lddw) prog.push_back(RawInsn{0, 0, 0, 0, ~v.imm ^ 0x5a5a});
            const std::string text = disassemble(prog);
            EXPECT_EQ(text.find(".insn"), std::string::npos) << op_info(op).name << ": " << text;
            auto back = assemble(text);
            ASSERT_TRUE(back.ok()) << op_info(op).name << ": " << text << back.error().str();
            EXPECT_TRUE(same(back.value(), prog))
                << op_info(op).name << ": " << text << hex(prog) << " vs " << hex(back.value());
        }
    }
}

// Any bytes at all survive disassemble -> assemble, through .insn/.invalid
// where there is no mnemonic.
TEST(RoundTrip, ArbitraryBytes) {
    std::mt19937_64 rng(12345);
    for (int round = 0; round < 300; ++round) {
        std::vector<RawInsn> prog(1 + rng() % 12);
        for (auto& insn : prog) {
            uint64_t bits = rng();
            // Mostly real opcodes, so that mnemonics get exercised.
            if (rng() % 4 != 0) {
                const OpInfo& info = op_info(static_cast<Op>(rng() % kNumOps));
                bits = (bits & ~uint64_t{0xff}) | info.code;
            }
            std::memcpy(&insn, &bits, sizeof insn);
        }
        const std::string text = disassemble(prog);
        auto back = assemble(text);
        ASSERT_TRUE(back.ok()) << text << back.error().str();
        EXPECT_TRUE(same(back.value(), prog)) << text;
    }
}

// ---- hex ----

TEST(HexBytes, AcceptsSpacedRunTogetherAndPrefixedBytes) {
    auto b = parse_hex_bytes("  0a 0xFF\n1b2c\t0x00 ");
    ASSERT_TRUE(b.ok()) << b.error().str();
    EXPECT_EQ(*b, (std::vector<uint8_t>{0x0a, 0xff, 0x1b, 0x2c, 0x00}));
    auto empty = parse_hex_bytes(" \n ");
    ASSERT_TRUE(empty.ok());
    EXPECT_TRUE(empty->empty());
}

TEST(HexBytes, RefusesOddDigitsBadDigitsAndPartialInstructions) {
    auto odd = parse_hex_bytes("0a b");
    ASSERT_FALSE(odd.ok());
    EXPECT_NE(odd.error().str().find("odd number of hex digits in 'b'"), std::string::npos) << odd.error().str();
    auto bad = parse_hex_bytes("0a zz");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().str().find("bad hex digit 'z'"), std::string::npos) << bad.error().str();
    auto wide = parse_hex_bytes("0x1234");
    ASSERT_FALSE(wide.ok());
    EXPECT_NE(wide.error().str().find("not one byte"), std::string::npos);
    auto partial = parse_hex_program("95 00 00 00 00 00 00 00 b7");
    ASSERT_FALSE(partial.ok());
    EXPECT_NE(partial.error().str().find("9 bytes, not a multiple of 8"), std::string::npos) << partial.error().str();
}

TEST(HexBytes, ProgramRoundTrip) {
    auto p = assemble_ok("r0 = 0x1234\nexit\n");
    auto back = parse_hex_program(to_hex_program(p));
    ASSERT_TRUE(back.ok());
    EXPECT_TRUE(same(*back, p));
}

}  // namespace
