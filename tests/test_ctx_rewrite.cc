#include <gtest/gtest.h>

#include <cstddef>

#include "vm/xdp.h"
#include "vm/xdp_ctx_rewrite.h"

using namespace xdpdk::vm;

namespace {
RawInsn ldxw(uint8_t dst, uint8_t src, int16_t off) { return {0x61, dst, src, off, 0}; }
RawInsn ldxdw(uint8_t dst, uint8_t src, int16_t off) { return {0x79, dst, src, off, 0}; }
RawInsn stxdw(uint8_t dst, uint8_t src, int16_t off) { return {0x7b, dst, src, off, 0}; }
RawInsn mov64(uint8_t dst, uint8_t src) { return {0xbf, dst, src, 0, 0}; }
RawInsn movimm(uint8_t dst, int32_t imm) { return {0xb7, dst, 0, 0, imm}; }
RawInsn exit_insn() { return {0x95, 0, 0, 0, 0}; }
}  // namespace

TEST(CtxRewrite, PointerFieldsBecome64BitLoadsOfTheRuntimeContext) {
    std::vector<RawInsn> p = {ldxw(2, 1, 0), ldxw(3, 1, 4), ldxw(4, 1, 8), ldxw(5, 1, 12),
                              ldxw(6, 1, 16), ldxw(7, 1, 20), movimm(0, 2), exit_insn()};
    ASSERT_TRUE(rewrite_xdp_ctx("prog 't'", p).ok());
    EXPECT_EQ(p[0].code, 0x79);
    EXPECT_EQ(p[0].off, offsetof(XdpBuff, data));
    EXPECT_EQ(p[1].off, offsetof(XdpBuff, data_end));
    EXPECT_EQ(p[2].off, offsetof(XdpBuff, data_meta));
    EXPECT_EQ(p[3].code, 0x61);
    EXPECT_EQ(p[3].off, offsetof(XdpBuff, ingress_ifindex));
    EXPECT_EQ(p[4].off, offsetof(XdpBuff, rx_queue_index));
    EXPECT_EQ(p[5].off, offsetof(XdpBuff, egress_ifindex));
}

TEST(CtxRewrite, FollowsCopiesAndStackSpills) {
    // r6 = r1; *(u64 *)(r10 -8) = r6; r1 = 0; r7 = *(u64 *)(r10 -8); r2 = *(u32 *)(r7 +4)
    std::vector<RawInsn> p = {mov64(6, 1), stxdw(10, 6, -8), movimm(1, 0), ldxdw(7, 10, -8),
                              ldxw(2, 7, 4), ldxw(3, 1, 4), movimm(0, 2), exit_insn()};
    // r1 = 0 then *(u32 *)(r1 + 4) is not a ctx access: must be left alone.
    p[5] = ldxw(3, 6, 0);
    ASSERT_TRUE(rewrite_xdp_ctx("prog 't'", p).ok());
    EXPECT_EQ(p[4].code, 0x79);
    EXPECT_EQ(p[4].off, offsetof(XdpBuff, data_end));
    EXPECT_EQ(p[5].off, offsetof(XdpBuff, data));
}

TEST(CtxRewrite, NonContextLoadsAreUntouched) {
    std::vector<RawInsn> p = {ldxw(2, 1, 0), ldxw(3, 2, 4), movimm(0, 2), exit_insn()};
    ASSERT_TRUE(rewrite_xdp_ctx("prog 't'", p).ok());
    EXPECT_EQ(p[1].code, 0x61);
    EXPECT_EQ(p[1].off, 4);
}

TEST(CtxRewrite, RefusesWritesBadOffsetsAndMixedPaths) {
    std::vector<RawInsn> write = {{0x62, 1, 0, 0, 7}, movimm(0, 2), exit_insn()};
    auto r = rewrite_xdp_ctx("prog 't'", write);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().insn, 0);
    EXPECT_NE(r.error().reason.find("read only"), std::string::npos);

    std::vector<RawInsn> bad_off = {ldxw(2, 1, 24), movimm(0, 2), exit_insn()};
    r = rewrite_xdp_ctx("prog 't'", bad_off);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().reason.find("offset 24"), std::string::npos);

    std::vector<RawInsn> narrow = {{0x69, 2, 1, 0, 0}, movimm(0, 2), exit_insn()};
    r = rewrite_xdp_ctx("prog 't'", narrow);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().reason.find("4-byte"), std::string::npos);

    // if r2 == 0 goto +1; r1 = r10; r3 = *(u32 *)(r1 +0)
    std::vector<RawInsn> mixed = {{0x15, 2, 0, 1, 0}, mov64(1, 10), ldxw(3, 1, 0), movimm(0, 2), exit_insn()};
    r = rewrite_xdp_ctx("prog 't'", mixed);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().insn, 2);
    EXPECT_NE(r.error().reason.find("some paths"), std::string::npos);
}

TEST(CtxRewrite, ContextPassedToSubprogramIsTracked) {
    // call pc+2; r0 = 2; exit; r2 = *(u32 *)(r1 +4); r0 = 0; exit
    std::vector<RawInsn> p = {{0x85, 0, 1, 0, 2}, movimm(0, 2), exit_insn(), ldxw(2, 1, 4), movimm(0, 0),
                              exit_insn()};
    ASSERT_TRUE(rewrite_xdp_ctx("prog 't'", p).ok());
    EXPECT_EQ(p[3].code, 0x79);
    EXPECT_EQ(p[3].off, offsetof(XdpBuff, data_end));
}
