// The JIT against the interpreter on random valid programs (tests/progfuzz).
// The normal run checks 100,000 programs; the long run is opt-in:
//
//   XDPDK_DIFF_PROGRAMS=10000000 build/tests/test_jit_diff --gtest_filter='JitDiff.*'
//
// XDPDK_DIFF_FIRST_SEED moves the window of seeds. Every disagreement is
// written as tests/isa/regress-<seed>.data (XDPDK_DIFF_REGRESS_DIR elsewhere),
// a permanent ISA case run on both engines.
#include <gtest/gtest.h>

#include <chrono>
#include <cinttypes>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "isa_file.h"
#include "progfuzz/differential.h"
#include "progfuzz/program_generator.h"
#include "test_support.h"
#include "vm/assembler.h"
#include "vm/disassembler.h"
#include "vm/helpers.h"
#include "vm/program.h"

using namespace xdpdk;
using namespace xdpdk::progfuzz;

namespace {

uint64_t env_count(const char* name, uint64_t fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return fallback;
    char* end = nullptr;
    const uint64_t n = std::strtoull(v, &end, 10);
    return *end == '\0' ? n : fallback;
}

std::string regress_dir() {
    const char* dir = std::getenv("XDPDK_DIFF_REGRESS_DIR");
    return dir && *dir ? dir : test::source_path("tests/isa");
}

// Every instruction of a program, skipping lddw's second slot.
std::vector<vm::Op> ops_of(const std::vector<vm::RawInsn>& program) {
    std::vector<vm::Op> ops;
    for (size_t i = 0; i < program.size(); ++i) {
        auto op = vm::decode_op(program[i]);
        if (!op) continue;
        ops.push_back(*op);
        if (*op == vm::Op::Lddw) ++i;
    }
    return ops;
}

Outcome add_one_to_r0(vm::Program& prog, const GeneratedCase& c) {
    Outcome o = run_interpreter(prog, c);
    ++o.r0;
    return o;
}

Outcome flip_last_buffer_byte(vm::Program& prog, const GeneratedCase& c) {
    Outcome o = run_interpreter(prog, c);
    o.mem.back() ^= 1;
    return o;
}

Outcome refuse(vm::Program&, const GeneratedCase&) { return Outcome::refusal("prog 'x': insn 3: not handled"); }

TEST(ProgramGenerator, IsDeterministic) {
    for (uint64_t seed : {1ull, 2ull, 99ull, 123456789ull}) {
        const GeneratedCase a = generate_case(seed), b = generate_case(seed);
        EXPECT_EQ(vm::disassemble(a.program), vm::disassemble(b.program)) << seed;
        EXPECT_EQ(a.mem, b.mem) << seed;
    }
    EXPECT_NE(vm::disassemble(generate_case(1).program), vm::disassemble(generate_case(2).program));
}

TEST(ProgramGenerator, ProgramsDecodeAndStayInTheSizeRange) {
    constexpr int kCases = 2000;
    size_t total = 0, largest = 0;
    for (uint64_t seed = 1; seed <= kCases; ++seed) {
        const GeneratedCase c = generate_case(seed);
        auto prog = vm::make_program("prog 'gen'", c.program);
        ASSERT_TRUE(prog.ok()) << "seed " << seed << ": " << prog.error().str() << "\n"
                               << vm::disassemble(c.program);
        ASSERT_FALSE(c.mem.empty());
        ASSERT_EQ(c.mem.size() % 8, 0u);
        total += c.program.size();
        largest = std::max(largest, c.program.size());
    }
    const double average = static_cast<double>(total) / kCases;
    EXPECT_GE(average, 20.0);
    EXPECT_LE(average, 80.0);
    EXPECT_LE(largest, 250u);
}

// The generator must reach every operation of the opcode table (lddw's second
// slot aside) and both deterministic helpers, or the JIT goes untested there.
TEST(ProgramGenerator, CoversEveryOperation) {
    std::set<vm::Op> seen;
    std::set<int32_t> helpers;
    for (uint64_t seed = 1; seed <= 3000; ++seed) {
        const GeneratedCase c = generate_case(seed);
        for (size_t i = 0; i < c.program.size(); ++i) {
            auto op = vm::decode_op(c.program[i]);
            if (op == vm::Op::Call) helpers.insert(c.program[i].imm);
        }
        for (vm::Op op : ops_of(c.program)) seen.insert(op);
    }
    for (int i = 0; i < vm::kNumOps; ++i) {
        const vm::Op op = static_cast<vm::Op>(i);
        if (op == vm::Op::LddwTail) continue;
        EXPECT_TRUE(seen.count(op)) << "no generated program uses " << vm::op_info(op).name;
    }
    EXPECT_TRUE(helpers.count(vm::helper_id::GetSmpProcessorId));
    EXPECT_TRUE(helpers.count(vm::helper_id::CsumDiff));
}

// Checks the generator's bookkeeping: registers it considers dead are
// overwritten with poison (two different values), and the engines' stacks
// start with different fill patterns. A program that reads a dead register or
// an unwritten stack byte then gives a different result.
TEST(ProgramGenerator, ProgramsReadOnlyWhatTheyWrote) {
    for (uint64_t seed = 1; seed <= 5000; ++seed) {
        const GeneratedCase plain = generate_case(seed);
        const GeneratedCase a = generate_case(seed, {.poison = true, .poison_value = 0x0123456789abcdefull});
        const GeneratedCase b = generate_case(seed, {.poison = true, .poison_value = 0xfedcba9876543210ull});
        ASSERT_EQ(a.mem, plain.mem);
        auto pp = vm::make_program("plain", plain.program);
        auto pa = vm::make_program("poison a", a.program);
        auto pb = vm::make_program("poison b", b.program);
        ASSERT_TRUE(pp.ok() && pa.ok() && pb.ok()) << "seed " << seed;
        const Outcome want = run_interpreter(**pp, plain);
        const Outcome with_a = run_interpreter(**pa, a);
        const Outcome with_b = run_interpreter_over(**pb, b, 0x3c);
        ASSERT_TRUE(want.refused.empty() && want.fault.empty()) << "seed " << seed << ": " << want.refused << want.fault;
        ASSERT_EQ(with_a, want) << "seed " << seed << " reads a register or stack byte it never wrote\n"
                                << vm::disassemble(a.program);
        ASSERT_EQ(with_b, want) << "seed " << seed << " reads a register or stack byte it never wrote\n"
                                << vm::disassemble(b.program);
    }
}

TEST(JitDiff, ReportsAndRecordsADisagreement) {
    const GeneratedCase c = generate_case(7);
    auto same = compare_engines(c, run_interpreter, "interp", run_interpreter, "interp");
    EXPECT_FALSE(same.has_value()) << same->report;

    auto diff = compare_engines(c, run_interpreter, "interp", add_one_to_r0, "broken");
    ASSERT_TRUE(diff.has_value());
    EXPECT_EQ(diff->seed, 7u);
    EXPECT_NE(diff->report.find("seed 7"), std::string::npos) << diff->report;
    EXPECT_NE(diff->report.find(vm::disassemble(c.program)), std::string::npos) << diff->report;

    const std::string dir = test::temp_dir();
    auto path = write_regression(dir, *diff);
    ASSERT_TRUE(path.ok()) << path.error().str();
    EXPECT_EQ(*path, dir + "/regress-7.data");

    // The file is an ISA case expecting the interpreter's r0 for this program.
    auto parsed = test::load_isa_case(*path);
    ASSERT_TRUE(parsed.ok()) << parsed.error().str() << "\n" << diff->regression;
    EXPECT_EQ(vm::disassemble(parsed->program), vm::disassemble(c.program));
    EXPECT_EQ(parsed->mem, c.mem);
    auto prog = vm::make_program("p", c.program);
    ASSERT_TRUE(prog.ok());
    ASSERT_TRUE(parsed->result.has_value());
    GeneratedCase on_cpu0 = c;
    on_cpu0.cpu = 0;
    EXPECT_EQ(*parsed->result, run_interpreter(**prog, on_cpu0).r0);
    std::filesystem::remove_all(dir);
}

// Cases run with cpu = seed % 4, but the ISA runner uses cpu 0: a regression
// file expects what the interpreter gives there.
TEST(JitDiff, RegressionFilesExpectTheResultOnCpu0) {
    for (uint64_t seed = 1; seed < 5000; ++seed) {
        const GeneratedCase c = generate_case(seed);
        if (c.cpu == 0) continue;
        auto prog = vm::make_program("p", c.program);
        ASSERT_TRUE(prog.ok());
        GeneratedCase on_cpu0 = c;
        on_cpu0.cpu = 0;
        const uint64_t r0_cpu0 = run_interpreter(**prog, on_cpu0).r0;
        if (run_interpreter(**prog, c).r0 == r0_cpu0) continue;  // the cpu does not matter here

        auto diff = compare_engines(c, run_interpreter, "interp", add_one_to_r0, "broken");
        ASSERT_TRUE(diff.has_value());
        auto parsed = test::parse_isa_case("regress", diff->regression);
        ASSERT_TRUE(parsed.ok()) << parsed.error().str();
        EXPECT_EQ(parsed->result, r0_cpu0);
        EXPECT_NE(diff->regression.find("found with cpu " + std::to_string(c.cpu)), std::string::npos);
        return;
    }
    FAIL() << "no generated program reads bpf_get_smp_processor_id into its result";
}

TEST(JitDiff, TheBufferAloneIsADisagreementAndR0ShowsIt) {
    const GeneratedCase c = generate_case(11);
    auto diff = compare_engines(c, run_interpreter, "interp", flip_last_buffer_byte, "broken");
    ASSERT_TRUE(diff.has_value());
    const size_t last_word = (c.mem.size() - 1) / 8 * 8;
    EXPECT_NE(diff->report.find("bytes " + std::to_string(last_word) + ".."), std::string::npos) << diff->report;
    EXPECT_NE(diff->regression.find("final buffers differ"), std::string::npos) << diff->regression;

    // The epilogue folds the buffer into r0: changing one byte before it
    // runs changes the result.
    GeneratedCase changed = c;
    changed.mem.back() ^= 1;
    auto prog = vm::make_program("p", c.program);
    ASSERT_TRUE(prog.ok());
    EXPECT_NE(run_interpreter(**prog, c).r0, run_interpreter(**prog, changed).r0);
}

TEST(JitDiff, ARefusalIsADisagreement) {
    auto diff = compare_engines(generate_case(5), run_interpreter, "interp", refuse, "jit");
    ASSERT_TRUE(diff.has_value());
    EXPECT_NE(diff->report.find("refused: prog 'x': insn 3: not handled"), std::string::npos) << diff->report;
    EXPECT_FALSE(diff->regression.empty());
}

TEST(JitDiff, RandomProgramsAgree) {
    const uint64_t count = env_count("XDPDK_DIFF_PROGRAMS", 100'000);
    const uint64_t first = env_count("XDPDK_DIFF_FIRST_SEED", 1);
    constexpr int kMaxReported = 10;
    int mismatches = 0;
    const auto start = std::chrono::steady_clock::now();
    for (uint64_t seed = first; seed < first + count && mismatches < kMaxReported; ++seed) {
        const GeneratedCase c = generate_case(seed);
        auto diff = compare_engines(c, run_interpreter, "interp", run_jit, jit_engine_name(seed));
        if ((seed - first + 1) % 1'000'000 == 0)
            std::fprintf(stderr, "[jit_diff] %" PRIu64 " programs checked\n", seed - first + 1);
        if (!diff) continue;
        ++mismatches;
        std::string where = "(no regression file: nothing to expect)";
        if (!diff->regression.empty()) {
            auto path = write_regression(regress_dir(), *diff);
            where = path.ok() ? "regression test written to " + *path : path.error().str();
        }
        ADD_FAILURE() << diff->report << where;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("[jit_diff] %" PRIu64 " programs from seed %" PRIu64 ", interp vs jit: %d mismatches, %.1f s\n", count,
                first, mismatches, seconds);
    if (mismatches >= kMaxReported) std::printf("[jit_diff] stopped after %d mismatches\n", kMaxReported);
}

}  // namespace
