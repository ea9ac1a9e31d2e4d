// Bad input never crashes or hangs the verifier: random instruction streams
// end in a verdict with a well-formed error, and programs whose paths
// explode are refused by the instruction budget in bounded time.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "progfuzz/program_generator.h"
#include "vm/assembler.h"
#include "vm/program.h"
#include "vm/verifier/verifier.h"

using namespace xdpdk;
using namespace xdpdk::vm;

namespace {

std::vector<RawInsn> random_program(std::mt19937_64& rng) {
    const int n = 2 + int(rng() % 40);
    std::vector<RawInsn> p;
    // Registers start initialised, so more programs get past the first use.
    for (uint8_t r = 0; r < 10; ++r)
        if (r != 1) p.push_back(encode_insn(Op::Mov64Imm, r, 0, 0, int32_t(rng() % 16)));
    while (int(p.size()) < n + 9) {
        const Op op = static_cast<Op>(rng() % kNumOps);
        if (op_info(op).kind == Kind::LddwTail) continue;
        const auto dst = uint8_t(rng() % 11), src = uint8_t(rng() % 11);
        const auto off = int16_t(int(rng() % 24) - 12);
        const auto imm = int32_t(rng() % 3 ? int(rng() % 64) - 8 : int32_t(rng()));
        p.push_back(encode_insn(op, dst, op == Op::CallLocal ? 1 : src, off, imm));
        if (op == Op::Lddw) p.push_back(RawInsn{0, 0, 0, 0, int32_t(rng())});
    }
    p.push_back(RawInsn{0x95, 0, 0, 0, 0});
    return p;
}

TEST(VerifierFuzz, RandomProgramsGetAVerdict) {
    std::mt19937_64 rng(2024);
    int decoded = 0, accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        std::vector<RawInsn> raw = random_program(rng);
        const size_t n = raw.size();
        auto prog = make_program("prog 'fuzz'", std::move(raw), ProgType::Xdp);
        if (!prog) continue;
        ++decoded;
        for (int mode = 0; mode < 4; ++mode) {
            VerifyEnv env;
            env.type = mode & 1 ? ProgType::Raw : ProgType::Xdp;
            env.strict = mode & 2;
            env.mem_size = 16;
            env.insn_budget = 20000;  // random loops would each take the full budget
            auto info = verify(**prog, env);
            if (info) {
                ++accepted;
                continue;
            }
            const Error& e = info.error();
            ASSERT_FALSE(e.reason.empty());
            ASSERT_EQ(e.subject, "prog 'fuzz'");
            ASSERT_TRUE(e.insn >= -1 && e.insn < int64_t(n)) << e.str();
        }
    }
    EXPECT_GT(decoded, 1000);
    EXPECT_GT(accepted, 10);
}

// 30 independent branches, each leaving a different live value: 2^30 paths,
// none of which prunes another, since the final comparison (decided on every
// path) makes the sum precise all the way back.
TEST(VerifierFuzz, PathExplosionHitsTheBudget) {
    std::string text = "r6 = *(u32 *)(r1 +12)\nr0 = 0\n";
    for (int i = 0; i < 30; ++i)
        text += "if r6 & " + std::to_string(1u << i) + " goto +1\nr0 += " + std::to_string(1u << i) + "\n";
    text += "if r0 > 0x7fffffff goto +1\nexit\nexit\n";
    auto raw = assemble(text);
    ASSERT_TRUE(raw.ok()) << raw.error().str();
    auto prog = make_program("prog 'paths'", std::move(raw).value(), ProgType::Xdp);
    ASSERT_TRUE(prog.ok());
    const auto start = std::chrono::steady_clock::now();
    auto info = verify(**prog);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_FALSE(info.ok());
    EXPECT_NE(info.error().reason.find("program too complex"), std::string::npos) << info.error().str();
    EXPECT_LT(s, 10.0);
    // A smaller budget refuses sooner, the same way.
    VerifyEnv small;
    small.insn_budget = 1000;
    auto quick = verify(**prog, small);
    ASSERT_FALSE(quick.ok());
    EXPECT_NE(quick.error().reason.find("more than 1000 instructions"), std::string::npos) << quick.error().str();
}

// Precision tracking and stack liveness only let kept states stand for more
// states; they must never let a program through that comparing every scalar
// and slot exactly refuses. Safe generated programs, with a few offsets and
// immediates changed so that some become unsafe (an access out of bounds, a
// loop bound off), are verified both ways.
TEST(VerifierFuzz, PruningNeverAcceptsWhatExactStatesRefuse) {
    std::mt19937_64 rng(1313);
    int accepted = 0, refused = 0;
    for (uint64_t seed = 0; seed < 1000; ++seed) {
        progfuzz::GeneratedCase c = progfuzz::generate_case(seed);
        const int mutations = 1 + int(rng() % 3);
        for (int m = 0; m < mutations; ++m) {
            vm::RawInsn& in = c.program[rng() % c.program.size()];
            const int cls = in.code & 7;
            const bool mem = cls == 1 || cls == 2 || cls == 3;  // ldx, st, stx
            const bool imm_src = (cls == 4 || cls == 7 || cls == 5 || cls == 6) && !(in.code & 0x08) &&
                                 in.code != 0x85 && in.code != 0x95 && in.code != 0x05;
            if (mem && (in.code & 0xe0) == 0x60 && rng() % 2)
                in.off = int16_t(in.off + int(rng() % 33) - 16);  // an access moved
            else if ((imm_src && (in.code & 0xf0) != 0xd0) || (cls == 2 && (in.code & 0xe0) == 0x60))
                in.imm = rng() % 4 ? in.imm + int(rng() % 17) - 8 : int32_t(rng() % 512);  // a constant changed
        }
        auto prog = make_program("prog 'mutant'", c.program, ProgType::Raw);
        if (!prog) continue;
        VerifyEnv env;
        env.type = ProgType::Raw;
        env.mem_size = c.mem.size();
        env.insn_budget = 50000;
        auto pruned = verify(**prog, env);
        env.exact_states = true;
        auto exact = verify(**prog, env);
        if (!pruned.ok()) {
            ++refused;
            continue;
        }
        ++accepted;
        if (!exact.ok() && exact.error().reason.find("too complex") == std::string::npos)
            ADD_FAILURE() << "seed " << seed << ": accepted with pruning, refused with exact states: "
                          << exact.error().str();
    }
    EXPECT_GT(accepted, 100);
    EXPECT_GT(refused, 100);
    std::printf("  %d mutants accepted, %d refused\n", accepted, refused);
}

}  // namespace
