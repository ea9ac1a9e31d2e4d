// No false refusals: every sample program and every clang-built test object
// (all of which the kernel accepts, see test_kernel_diff) passes the
// verifier when loaded.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.h"
#include "vm/object.h"
#include "vm/verifier/verifier.h"

using namespace xdpdk;
using namespace xdpdk::vm;

namespace {

class Samples : public testing::TestWithParam<std::string> {};

TEST_P(Samples, Accepted) {
    ObjectOptions opts;
    opts.engine = EngineKind::Interp;
    std::string log;
    opts.verifier_log = &log;
    opts.map_sizes = xdpdk::test::loader_map_sizes(GetParam());
    auto obj = Object::open(GetParam(), opts);
    ASSERT_TRUE(obj.ok()) << obj.error().str();
    auto st = (*obj)->load();
    // one_prog_refused holds a program no verifier accepts, on purpose
    // (test_loader_compat loads its other program alone, and the kernel
    // refuses it too: test_verifier_kernel).
    if (GetParam().find("one_prog_refused") != std::string::npos) {
        ASSERT_FALSE(st.ok());
        EXPECT_EQ(st.error().subject, "prog 'xdp_unchecked'");
        return;
    }
    EXPECT_TRUE(st.ok()) << st.error().str();
    std::printf("%s", log.c_str());
}

std::string name_of(const testing::TestParamInfo<std::string>& info) {
    std::string n = std::filesystem::path(info.param).parent_path().filename().string() + "_" +
                    std::filesystem::path(info.param).stem().string();
    for (char& c : n)
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
    return n;
}

INSTANTIATE_TEST_SUITE_P(All, Samples, testing::ValuesIn(xdpdk::test::built_objects()), name_of);

TEST(SamplesList, FindsTheObjects) { EXPECT_GE(xdpdk::test::built_objects().size(), 20u); }

}  // namespace
