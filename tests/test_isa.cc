// Runs every tests/isa/*.data case through every engine. An engine is one row
// of kEngines: the interpreter, and the JIT with and without BMI2.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "isa_file.h"
#include "test_support.h"
#include "vm/disassembler.h"
#include "vm/engine.h"
#include "vm/jit/jit.h"
#include "vm/program.h"

using namespace xdpdk;
using namespace xdpdk::vm;

namespace {

struct Engine {
    const char* name;
    // Loads the program and runs it on `mem` (may be empty: r1 = 0); returns
    // r0, or the load error, or the fault that stopped the run.
    Result<uint64_t> (*run)(const std::vector<RawInsn>& program, std::vector<uint8_t>* mem);
};

Result<uint64_t> run_interpreter(const std::vector<RawInsn>& program, std::vector<uint8_t>* mem) {
    auto prog = make_program("prog 'isa'", program);
    if (!prog) return prog.error();
    ExecContext ex;
    const uint64_t r0 = run_raw(**prog, mem ? mem->data() : nullptr, mem ? mem->size() : 0, ex);
    if (ex.fault) return make_error("prog 'isa'", ex.fault);
    return r0;
}

Result<uint64_t> run_compiled(const std::vector<RawInsn>& program, std::vector<uint8_t>* mem,
                              const JitOptions& opts) {
    auto prog = make_program("prog 'isa'", program);
    if (!prog) return prog.error();
    if (auto st = jit_compile(**prog, opts); !st) return st.error();
    ExecContext ex;
    const uint64_t r0 = run_raw(**prog, mem ? mem->data() : nullptr, mem ? mem->size() : 0, ex);
    if (ex.fault) return make_error("prog 'isa'", ex.fault);
    return r0;
}

Result<uint64_t> run_jit(const std::vector<RawInsn>& program, std::vector<uint8_t>* mem) {
    return run_compiled(program, mem, JitOptions{});
}

// The JIT's code without BMI2 (shifts by register through rcx), as on CPUs
// that lack it.
Result<uint64_t> run_jit_without_bmi2(const std::vector<RawInsn>& program, std::vector<uint8_t>* mem) {
    JitOptions opts;
    opts.use_bmi2 = false;
    return run_compiled(program, mem, opts);
}

const Engine kEngines[] = {
    {"interp", run_interpreter},
    {"jit", run_jit},
    {"jit_nobmi2", run_jit_without_bmi2},
};

std::string isa_dir() { return test::source_path("tests/isa"); }

struct IsaParam {
    const Engine* engine;
    std::string path;
    friend void PrintTo(const IsaParam& p, std::ostream* os) { *os << p.engine->name << " " << p.path; }
};

class Isa : public testing::TestWithParam<IsaParam> {};

TEST_P(Isa, Case) {
    const auto& [engine, path] = GetParam();
    auto loaded = test::load_isa_case(path);
    ASSERT_TRUE(loaded.ok()) << loaded.error().str();
    test::IsaCase& c = *loaded;
    std::vector<uint8_t> mem = c.mem.value_or(std::vector<uint8_t>{});
    auto r0 = engine->run(c.program, c.mem && !mem.empty() ? &mem : nullptr);
    const std::string listing = disassemble(c.program);
    if (c.error) {
        ASSERT_FALSE(r0.ok()) << "expected error '" << *c.error << "', got r0 = 0x" << std::hex << r0.value()
                              << "\n" << listing;
        EXPECT_NE(r0.error().str().find(*c.error), std::string::npos)
            << "expected '" << *c.error << "' in: " << r0.error().str() << "\n" << listing;
        return;
    }
    ASSERT_TRUE(r0.ok()) << r0.error().str() << "\n" << listing;
    EXPECT_EQ(r0.value(), *c.result) << std::hex << "r0 = 0x" << r0.value() << ", expected 0x" << *c.result
                                     << "\n" << listing;
}

std::vector<IsaParam> all_cases() {
    std::vector<IsaParam> out;
    for (const Engine& e : kEngines)
        for (const std::string& f : test::list_isa_files(isa_dir())) out.push_back({&e, f});
    return out;
}

std::string case_name(const testing::TestParamInfo<IsaParam>& info) {
    std::string name = std::string(info.param.engine->name) + "_" +
                       std::filesystem::path(info.param.path).stem().string();
    for (char& ch : name)
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return name;
}

INSTANTIATE_TEST_SUITE_P(Data, Isa, testing::ValuesIn(all_cases()), case_name);

TEST(IsaFiles, ThereAreEnoughCases) {
    EXPECT_GE(test::list_isa_files(isa_dir()).size(), 150u) << isa_dir();
}

// Keeps coverage complete: every Op in the table is executed by at least one
// case that checks a result (error cases do not count).
TEST(IsaFiles, EveryOpIsCovered) {
    std::set<Op> seen;
    for (const std::string& f : test::list_isa_files(isa_dir())) {
        auto c = test::load_isa_case(f);
        ASSERT_TRUE(c.ok()) << c.error().str();
        if (!c->result) continue;
        for (size_t i = 0; i < c->program.size(); ++i) {
            auto op = decode_op(c->program[i]);
            if (!op) continue;
            seen.insert(*op);
            if (*op == Op::Lddw) ++i;
        }
    }
    for (int i = 0; i < kNumOps; ++i) {
        const Op op = static_cast<Op>(i);
        if (op_info(op).kind == Kind::LddwTail) continue;
        EXPECT_TRUE(seen.count(op)) << "no tests/isa case exercises " << op_info(op).name;
    }
}

TEST(IsaFiles, ParserRefusesMalformedCases) {
    EXPECT_FALSE(test::parse_isa_case("t", "-- result\n1\n").ok());                     // no asm
    EXPECT_FALSE(test::parse_isa_case("t", "-- asm\nexit\n").ok());                     // no result
    EXPECT_FALSE(test::parse_isa_case("t", "-- asm\nexit\n-- result\n1\n-- error\nx\n").ok());
    EXPECT_FALSE(test::parse_isa_case("t", "-- asm\nexit\n-- result\n0xzz\n").ok());
    EXPECT_FALSE(test::parse_isa_case("t", "-- asm\nexit\n-- mem\n0g\n-- result\n1\n").ok());
    EXPECT_FALSE(test::parse_isa_case("t", "-- asm\nexit\n-- output\n1\n").ok());
    auto bad_asm = test::parse_isa_case("t", "# header\n-- asm\nr0 = 0\nr0 += r11\nexit\n-- result\n0\n");
    ASSERT_FALSE(bad_asm.ok());
    EXPECT_NE(bad_asm.error().str().find("line 4"), std::string::npos) << bad_asm.error().str();
    auto good = test::parse_isa_case("t", "-- asm\nr0 = -1\nexit\n-- mem\n01 02\n-- result\n-1\n");
    ASSERT_TRUE(good.ok()) << good.error().str();
    EXPECT_EQ(good->result, ~uint64_t{0});
    EXPECT_EQ(good->mem, (std::vector<uint8_t>{1, 2}));
    EXPECT_EQ(good->program.size(), 2u);
}

}  // namespace
