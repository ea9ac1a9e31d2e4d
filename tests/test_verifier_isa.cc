// Raw programs are verified before `xdpdk exec` runs them: every tests/isa
// case that computes a result must pass the verifier (RFC 9669 semantics,
// r1 pointing to its memory), so the conformance path never refuses a
// valid program.
#include <gtest/gtest.h>

#include "isa_file.h"
#include "test_support.h"
#include "vm/disassembler.h"
#include "vm/program.h"
#include "vm/verifier/verifier.h"

using namespace xdpdk;

namespace {

TEST(VerifierIsa, EveryIsaCaseWithAResultIsAccepted) {
    int checked = 0;
    for (const std::string& path : test::list_isa_files(test::source_path("tests/isa"))) {
        auto c = test::load_isa_case(path);
        ASSERT_TRUE(c.ok()) << c.error().str();
        if (!c->result) continue;
        auto prog = vm::make_program("prog '" + c->name + "'", c->program, vm::ProgType::Raw);
        ASSERT_TRUE(prog.ok()) << prog.error().str();
        vm::VerifyEnv env;
        env.type = vm::ProgType::Raw;
        env.mem_size = c->mem ? c->mem->size() : 0;
        auto info = vm::verify(**prog, env);
        EXPECT_TRUE(info.ok()) << c->name << ": " << (info.ok() ? "" : info.error().str()) << "\n"
                               << vm::disassemble(c->program);
        ++checked;
    }
    EXPECT_GT(checked, 200);
}

}  // namespace
