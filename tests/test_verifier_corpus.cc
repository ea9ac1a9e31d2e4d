// The verifier's corpus: every tests/verifier/*.data program is refused for
// the expected reason at the expected instruction (or accepted, for the
// safe programs that show what must stay allowed), under the unprivileged
// rules (--strict) and under the default privileged ones, and the corpus
// covers every refusal class.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.h"
#include "test_verifier_case.h"
#include "vm/disassembler.h"

using namespace xdpdk;

namespace {

std::string corpus_dir() { return test::source_path("tests/verifier"); }

class Corpus : public testing::TestWithParam<std::string> {};

void expect_verdict(const test::VerifierCase& c, const test::CaseExpect& e, bool strict) {
    SCOPED_TRACE(strict ? "strict (unprivileged) rules" : "default (privileged) rules");
    const test::CaseVerdict v = test::run_verifier_case(c, strict);
    const std::string listing = vm::disassemble(c.program);
    if (e.accept) {
        EXPECT_TRUE(v.accepted) << v.error.str() << "\n" << listing;
        return;
    }
    ASSERT_FALSE(v.accepted) << "expected refusal '" << e.error << "'\n" << listing;
    EXPECT_NE(v.error.reason.find(e.error), std::string::npos)
        << "expected '" << e.error << "' in: " << v.error.str() << "\n" << listing;
    if (e.error_insn) {
        EXPECT_EQ(v.error.insn, *e.error_insn) << v.error.str() << "\n" << listing;
    }
}

TEST_P(Corpus, Verdict) {
    auto loaded = test::load_verifier_case(GetParam());
    ASSERT_TRUE(loaded.ok()) << loaded.error().str();
    expect_verdict(*loaded, loaded->strict_expect(), true);
    expect_verdict(*loaded, loaded->privileged, false);
}

std::string case_name(const testing::TestParamInfo<std::string>& info) {
    std::string name = std::filesystem::path(info.param).stem().string();
    for (char& ch : name)
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return name;
}

INSTANTIATE_TEST_SUITE_P(Data, Corpus, testing::ValuesIn(test::list_verifier_cases(corpus_dir())), case_name);

TEST(CorpusFiles, AtLeast150UnsafePrograms) {
    size_t unsafe = 0;
    for (const std::string& f : test::list_verifier_cases(corpus_dir())) {
        auto c = test::load_verifier_case(f);
        ASSERT_TRUE(c.ok()) << c.error().str();
        unsafe += !c->accept;
    }
    EXPECT_GE(unsafe, 150u);
}

// Each refusal class of the verifier issue, by the words of its reason.
TEST(CorpusFiles, EveryRefusalClassIsCovered) {
    const std::pair<const char*, const char*> kClasses[] = {
        {"jump out of the program", "out of range"},
        {"jump into the middle of lddw", "into the middle of lddw"},
        {"unreachable instruction", "unreachable insn"},
        {"falling off the end", "falls"},
        {"uninitialised register", "!read_ok"},
        {"uninitialised stack", "is not initialised)"},
        {"write to r10", "frame pointer r10 is read only"},
        {"packet access beyond the check", "invalid access to packet"},
        {"ctx access at an invalid offset or size", "invalid bpf_context access off="},
        {"ctx write", "the context is read only"},
        {"map value out of range", "invalid access to map value"},
        {"lookup result without NULL check", "map_value_or_null"},
        {"helper argument of the wrong type", " expected="},
        {"helper argument of the wrong size", "zero-sized read"},
        {"stack out of bounds", "the stack frame is fp-512 to fp"},
        {"misaligned stack access", "misaligned stack access"},
        {"pointer + pointer", "pointer += pointer prohibited"},
        {"unbounded scalar + packet pointer", "unbounded min value"},
        {"pointer leaked into a map", "leaks addr into map"},
        {"pointer returned", "R0 is not a known value"},
        {"endless loop", "infinite loop detected"},
        {"instruction budget", "program too complex"},
        {"call depth", "frames is too deep"},
        {"combined stack", "combined stack size"},
    };
    std::vector<std::string> reasons;
    for (const std::string& f : test::list_verifier_cases(corpus_dir())) {
        auto c = test::load_verifier_case(f);
        ASSERT_TRUE(c.ok()) << c.error().str();
        if (!c->accept) reasons.push_back(c->error);
        if (!c->privileged.accept) reasons.push_back(c->privileged.error);
    }
    for (const auto& [what, class_words] : kClasses) {
        // A copy: C++20 lambdas cannot capture structured bindings (clang 14).
        const std::string_view words = class_words;
        const bool covered = std::any_of(reasons.begin(), reasons.end(),
                                         [&](const std::string& r) { return r.find(words) != std::string::npos; });
        EXPECT_TRUE(covered) << "no corpus case refuses for: " << what << " (\"" << words << "\")";
    }
}

TEST(CorpusFiles, ParserRefusesMalformedCases) {
    EXPECT_FALSE(test::parse_verifier_case("t", "-- error\nx\n").ok());                  // no asm
    EXPECT_FALSE(test::parse_verifier_case("t", "-- asm\nexit\n").ok());                 // no verdict
    EXPECT_FALSE(test::parse_verifier_case("t", "-- asm\nexit\n-- error\nx\n-- accept\n").ok());
    EXPECT_FALSE(test::parse_verifier_case("t", "-- asm\nr1 = map[nope] ll\nexit\n-- accept\n").ok());
    EXPECT_FALSE(test::parse_verifier_case("t", "-- maps\nm bogus 4 4 1\n-- asm\nexit\n-- accept\n").ok());
    EXPECT_FALSE(test::parse_verifier_case("t", "-- asm\nexit\n-- accept\n-- kernel\nmaybe: x\n").ok());
    EXPECT_FALSE(test::parse_verifier_case("t", "-- asm\nexit\n-- accept\n-- privileged\n").ok());
    EXPECT_FALSE(test::parse_verifier_case("t", "-- asm\nexit\n-- accept\n-- unprivileged\nmaybe: x\n").ok());
    auto priv = test::parse_verifier_case("t", "-- asm\nr0 = *(u64 *)(r10 -8)\nexit\n-- error\ninsn 0: x\n-- privileged\naccept\n");
    ASSERT_TRUE(priv.ok()) << priv.error().str();
    EXPECT_FALSE(priv->accept);
    EXPECT_TRUE(priv->privileged.accept);
    auto good = test::parse_verifier_case(
        "t", "-- maps\nm array 4 8 1\n-- asm\nr1 = map_value[m+4] ll\nr0 = 0\nexit\n-- error\ninsn 3: R0 x\n");
    ASSERT_TRUE(good.ok()) << good.error().str();
    EXPECT_EQ(good->error_insn, 3);
    EXPECT_EQ(good->error, "R0 x");
    ASSERT_EQ(good->map_refs.size(), 1u);
    EXPECT_TRUE(good->map_refs[0].value);
    EXPECT_EQ(good->map_refs[0].offset, 4u);
}

}  // namespace
