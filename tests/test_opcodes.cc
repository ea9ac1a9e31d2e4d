#include <gtest/gtest.h>

#include <set>

#include "vm/opcodes.h"
#include "vm/program.h"

using namespace xdpdk::vm;

// Every Op is reachable from exactly its own raw encoding through decode_op.
TEST(Opcodes, EveryOpDecodesFromItsEncoding) {
    for (int i = 0; i < kNumOps; ++i) {
        const OpInfo& info = op_info(static_cast<Op>(i));
        if (info.kind == Kind::LddwTail) continue;
        RawInsn raw{info.code, 0, 0, 0, 0};
        if (info.select == Select::Off) raw.off = static_cast<int16_t>(info.select_value);
        if (info.select == Select::Imm) raw.imm = info.select_value;
        if (info.select == Select::Src) raw.src = static_cast<uint8_t>(info.select_value);
        auto op = decode_op(raw);
        ASSERT_TRUE(op.has_value()) << info.name;
        EXPECT_EQ(static_cast<int>(*op), i) << info.name;
    }
}

TEST(Opcodes, UnknownOpcodesAreRefusedWithIndex) {
    std::vector<RawInsn> raw = {{0xb7, 0, 0, 0, 0}, {0xff, 0, 0, 0, 0}, {0x95, 0, 0, 0, 0}};
    auto r = decode_program("prog 't'", raw);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().insn, 1);
    EXPECT_NE(r.error().str().find("unknown opcode 0xff"), std::string::npos) << r.error().str();
}

TEST(Opcodes, LegacyPacketLoadsAreNamed) {
    std::vector<RawInsn> raw = {{0x30, 0, 0, 0, 12}, {0x95, 0, 0, 0, 0}};
    auto r = decode_program("prog 't'", raw);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().reason.find("legacy packet access"), std::string::npos);
}

TEST(Opcodes, UnknownHelperIsNamed) {
    std::vector<RawInsn> raw = {{0x85, 0, 0, 0, 14}, {0x95, 0, 0, 0, 0}};  // bpf_get_current_pid_tgid
    auto r = decode_program("prog 't'", raw);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().reason.find("bpf_get_current_pid_tgid#14"), std::string::npos) << r.error().str();
}
