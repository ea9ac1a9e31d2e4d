// `xdpdk prog verify PROG.o [-v] [--strict]`: the verdict per program, the
// reason and path for a refusal, the per-instruction log with -v, and the
// unprivileged loader's rules with --strict.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>

#include "test_support.h"

using namespace xdpdk;

namespace {

TEST(ProgVerify, AcceptsTheLoadBalancer) {
    auto r = test::run_command({test::xdpdk_binary(), "prog", "verify", test::prog_path("load_balancer")});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("prog 'xdp_load_balancer': accepted ("), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(" insns processed"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("\n0: "), std::string::npos) << "no instruction log without -v:\n" << r.out;
}

TEST(ProgVerify, VerboseLogShowsStatesPerInstruction) {
    auto r = test::run_command({test::xdpdk_binary(), "prog", "verify", "-v", test::prog_path("mac_swap")});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    // The log opens on the program's first C line, as the kernel's does.
    EXPECT_EQ(r.out.rfind("; int xdp_mac_swap(struct xdp_md *ctx) @ mac_swap.bpf.c:", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("\n0: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("R1=ctx()"), std::string::npos) << r.out;
    // After the bounds check the packet pointer carries its proven range.
    EXPECT_NE(r.out.find("pkt(r=14)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("prog 'xdp_mac_swap': accepted"), std::string::npos) << r.out;
}

// xdp_pass.o with its `r0 = 2` turned into `r0 = r5`, which nothing wrote.
TEST(ProgVerify, RefusesAMutatedObjectWithReasonAndInsn) {
    std::string elf = test::read_file(test::prog_path("xdp_pass"));
    const std::array<char, 16> mov_exit = {'\xb7', 0, 0, 0, 2, 0, 0, 0, '\x95', 0, 0, 0, 0, 0, 0, 0};
    auto at = std::search(elf.begin(), elf.end(), mov_exit.begin(), mov_exit.end());
    ASSERT_NE(at, elf.end()) << "xdp_pass.o no longer holds `r0 = 2; exit`";
    at[0] = '\xbf';  // mov64 reg
    at[1] = 0x50;    // dst r0, src r5
    at[4] = 0;
    const std::string dir = test::temp_dir();
    test::write_file(dir + "/bad.o", elf);
    auto r = test::run_command({test::xdpdk_binary(), "prog", "verify", dir + "/bad.o"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.out.find("refused: prog 'xdp_pass_all': insn 0 (xdp_pass.bpf.c:10 '\treturn XDP_PASS;'): R5 !read_ok"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("path: "), std::string::npos) << r.out;
}

// priv_lb subtracts packet pointers (and stores one into a map): root's
// rules (the default) allow it, the unprivileged ones refuse it.
TEST(ProgVerify, StrictAppliesTheUnprivilegedRules) {
    const std::string obj = test::test_prog_path("priv_lb");
    auto def = test::run_command({test::xdpdk_binary(), "prog", "verify", obj});
    EXPECT_EQ(def.exit_code, 0) << def.out << def.err;
    EXPECT_NE(def.out.find("prog 'lb_priv': accepted"), std::string::npos) << def.out;
    auto strict = test::run_command({test::xdpdk_binary(), "prog", "verify", "--strict", obj});
    EXPECT_EQ(strict.exit_code, 1) << strict.out << strict.err;
    EXPECT_NE(strict.out.find("refused: prog 'lb_priv': insn "), std::string::npos) << strict.out;
    EXPECT_NE(strict.out.find("pointer -= pointer prohibited"), std::string::npos) << strict.out;
}

// Global functions are verified on their own, after the paths that call them.
TEST(ProgVerify, VerboseLogShowsGlobalFunctionsVerifiedOnTheirOwn) {
    auto r = test::run_command({test::xdpdk_binary(), "prog", "verify", "-v", test::test_prog_path("priv_global_funcs")});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const size_t call = r.out.find("func#1 ('gf_eth_proto') is global and assumed valid.");
    const size_t own = r.out.find("Validating gf_eth_proto() func#1...");
    EXPECT_NE(call, std::string::npos) << r.out;
    EXPECT_NE(own, std::string::npos) << r.out;
    EXPECT_LT(call, own) << r.out;
}

// replay and bench load with the same rules.
TEST(ProgVerify, ReplayAndBenchTakeStrict) {
    const std::string obj = test::test_prog_path("priv_lb");
    const std::string pcap = test::source_path("pcaps/sample.pcap");
    auto replay = test::run_command({test::xdpdk_binary(), "replay", obj, pcap, "--engine", "interp"});
    EXPECT_EQ(replay.exit_code, 0) << replay.out << replay.err;
    auto strict = test::run_command({test::xdpdk_binary(), "replay", obj, pcap, "--strict"});
    EXPECT_NE(strict.exit_code, 0) << strict.out << strict.err;
    EXPECT_NE(strict.err.find("pointer -= pointer prohibited"), std::string::npos) << strict.err;
    auto bench = test::run_command({test::xdpdk_binary(), "bench", obj, "--pcap", pcap, "--engines", "interp",
                                    "--duration", "0.05", "--quiet", "--strict"});
    EXPECT_NE(bench.exit_code, 0) << bench.out << bench.err;
    EXPECT_NE((bench.out + bench.err).find("pointer -= pointer prohibited"), std::string::npos) << bench.out << bench.err;
}

}  // namespace
