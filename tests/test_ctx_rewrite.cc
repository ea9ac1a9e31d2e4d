// The xdp_md rewrite, fed by the verifier: loads it proved to read the
// context become loads of the runtime's XdpBuff; everything else is left as
// written, and unsafe context use never gets that far.
#include <gtest/gtest.h>

#include <cstddef>

#include "vm/program.h"
#include "vm/verifier/verifier.h"
#include "vm/xdp.h"
#include "vm/xdp_ctx_rewrite.h"

using namespace xdpdk;
using namespace xdpdk::vm;

namespace {
RawInsn ldxw(uint8_t dst, uint8_t src, int16_t off) { return {0x61, dst, src, off, 0}; }
RawInsn ldxdw(uint8_t dst, uint8_t src, int16_t off) { return {0x79, dst, src, off, 0}; }
RawInsn stxdw(uint8_t dst, uint8_t src, int16_t off) { return {0x7b, dst, src, off, 0}; }
RawInsn stdw(uint8_t dst, int16_t off, int32_t imm) { return {0x7a, dst, 0, off, imm}; }
RawInsn mov64(uint8_t dst, uint8_t src) { return {0xbf, dst, src, 0, 0}; }
RawInsn movimm(uint8_t dst, int32_t imm) { return {0xb7, dst, 0, 0, imm}; }
RawInsn addimm(uint8_t dst, int32_t imm) { return {0x07, dst, 0, 0, imm}; }
RawInsn exit_insn() { return {0x95, 0, 0, 0, 0}; }

// What Object::load does: verify as written, rewrite what the verifier saw.
Status verify_and_rewrite(std::vector<RawInsn>& p) {
    auto prog = make_program("prog 't'", p, ProgType::Xdp);
    if (!prog) return prog.error();
    auto info = verify(**prog);
    if (!info) return info.error();
    return rewrite_xdp_ctx("prog 't'", p, info->ctx_loads);
}
}  // namespace

TEST(CtxRewrite, PointerFieldsBecome64BitLoadsOfTheRuntimeContext) {
    std::vector<RawInsn> p = {ldxw(2, 1, 0), ldxw(3, 1, 4), ldxw(4, 1, 8), ldxw(5, 1, 12),
                              ldxw(6, 1, 16), movimm(0, 2), exit_insn()};
    ASSERT_TRUE(verify_and_rewrite(p).ok());
    EXPECT_EQ(p[0].code, 0x79);
    EXPECT_EQ(p[0].off, offsetof(XdpBuff, data));
    EXPECT_EQ(p[1].off, offsetof(XdpBuff, data_end));
    EXPECT_EQ(p[2].off, offsetof(XdpBuff, data_meta));
    EXPECT_EQ(p[3].code, 0x61);
    EXPECT_EQ(p[3].off, offsetof(XdpBuff, ingress_ifindex));
    EXPECT_EQ(p[4].off, offsetof(XdpBuff, rx_queue_index));
}

TEST(CtxRewrite, EgressIfindexMapsToTheRuntimeField) {
    // Refused for XDP programs by the verifier (devmap programs only), but
    // the layout knows the field.
    std::vector<RawInsn> p = {ldxw(2, 1, 20), movimm(0, 2), exit_insn()};
    const uint32_t loads[] = {0};
    ASSERT_TRUE(rewrite_xdp_ctx("prog 't'", p, loads).ok());
    EXPECT_EQ(p[0].off, offsetof(XdpBuff, egress_ifindex));
}

TEST(CtxRewrite, FollowsCopiesAndStackSpills) {
    // r6 = r1; *(u64 *)(r10 -8) = r6; r1 = 0; r7 = *(u64 *)(r10 -8); r2 = *(u32 *)(r7 +4); r3 = *(u32 *)(r6 +0)
    std::vector<RawInsn> p = {mov64(6, 1), stxdw(10, 6, -8), movimm(1, 0), ldxdw(7, 10, -8),
                              ldxw(2, 7, 4), ldxw(3, 6, 0), movimm(0, 2), exit_insn()};
    ASSERT_TRUE(verify_and_rewrite(p).ok());
    EXPECT_EQ(p[3].code, 0x79);  // the stack fill is untouched
    EXPECT_EQ(p[3].off, -8);
    EXPECT_EQ(p[4].code, 0x79);
    EXPECT_EQ(p[4].off, offsetof(XdpBuff, data_end));
    EXPECT_EQ(p[5].off, offsetof(XdpBuff, data));
}

TEST(CtxRewrite, NonContextLoadsAreUntouched) {
    std::vector<RawInsn> p = {stdw(10, -8, 0), ldxw(3, 10, -4), movimm(0, 2), exit_insn()};
    ASSERT_TRUE(verify_and_rewrite(p).ok());
    EXPECT_EQ(p[1].code, 0x61);
    EXPECT_EQ(p[1].off, -4);
}

TEST(CtxRewrite, UnsafeContextUseIsRefusedFirst) {
    std::vector<RawInsn> write = {{0x62, 1, 0, 12, 7}, movimm(0, 2), exit_insn()};
    auto r = verify_and_rewrite(write);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().insn, 0);
    EXPECT_NE(r.error().reason.find("read only"), std::string::npos) << r.error().str();

    std::vector<RawInsn> bad_off = {ldxw(2, 1, 24), movimm(0, 2), exit_insn()};
    r = verify_and_rewrite(bad_off);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().reason.find("off=24"), std::string::npos) << r.error().str();

    std::vector<RawInsn> narrow = {{0x69, 2, 1, 0, 0}, movimm(0, 2), exit_insn()};
    r = verify_and_rewrite(narrow);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().reason.find("size=2"), std::string::npos) << r.error().str();

    // The same load reads the stack on one path and the context on the other.
    std::vector<RawInsn> mixed = {stdw(10, -8, 0), ldxw(2, 1, 12), {0x15, 2, 0, 2, 0}, mov64(1, 10),
                                  addimm(1, -16),  ldxw(3, 1, 12), movimm(0, 2),       exit_insn()};
    r = verify_and_rewrite(mixed);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().insn, 5) << r.error().str();
    EXPECT_NE(r.error().reason.find("different pointers"), std::string::npos) << r.error().str();
}

TEST(CtxRewrite, RefusesToRewriteWhatIsNotAContextLoad) {
    std::vector<RawInsn> p = {movimm(0, 2), exit_insn()};
    const uint32_t loads[] = {0};
    auto r = rewrite_xdp_ctx("prog 't'", p, loads);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().insn, 0);
}

TEST(CtxRewrite, ContextPassedToSubprogramIsTracked) {
    // call pc+2; r0 = 2; exit; r2 = *(u32 *)(r1 +4); r0 = 0; exit
    std::vector<RawInsn> p = {{0x85, 0, 1, 0, 2}, movimm(0, 2), exit_insn(), ldxw(2, 1, 4), movimm(0, 0),
                              exit_insn()};
    ASSERT_TRUE(verify_and_rewrite(p).ok());
    EXPECT_EQ(p[3].code, 0x79);
    EXPECT_EQ(p[3].off, offsetof(XdpBuff, data_end));
}
