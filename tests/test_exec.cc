// `xdpdk exec` as conformance suites drive it: program hex on stdin, memory
// hex as the argument, r0 in hex (or the reason) on stdout.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>

#include "isa_file.h"
#include "test_support.h"
#include "vm/assembler.h"
#include "vm/hex_bytes.h"

using namespace xdpdk;

namespace {

std::string program_hex(const std::string& text) {
    auto insns = vm::assemble(text);
    EXPECT_TRUE(insns.ok()) << (insns.ok() ? "" : insns.error().str());
    return insns.ok() ? vm::to_hex_program(*insns) : "";
}

test::CommandResult exec(const std::string& program, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {test::xdpdk_binary(), "exec"};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_command(args, program);
}

std::string hex_line(uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%" PRIx64 "\n", v);
    return buf;
}

TEST(Exec, PrintsR0InLowercaseHex) {
    auto r = exec(program_hex("r0 = 0xabcd\nexit"));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "abcd\n");
    r = exec(program_hex("r0 = -1\nexit"));
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "ffffffffffffffff\n");
}

TEST(Exec, MemoryArgumentIsR1AndItsLengthR2) {
    auto r = exec(program_hex("r0 = *(u32 *)(r1 +0)\nr0 <<= 8\nr0 |= r2\nexit"), {"01 02 03 04 05"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "403020105\n");
}

TEST(Exec, MemoryIsWritable) {
    auto r = exec(program_hex("*(u16 *)(r1 +1) = 0x7766\nr0 = *(u32 *)(r1 +0)\nexit"), {"0x11 0x22 0x33 0x44"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "44776611\n");
}

TEST(Exec, WithoutMemoryR1AndR2AreZero) {
    const std::string prog = program_hex("r0 = r1\nr0 |= r2\nr0 += 9\nexit");
    for (auto extra : {std::vector<std::string>{}, std::vector<std::string>{""}}) {
        auto r = exec(prog, extra);
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        EXPECT_EQ(r.out, "9\n");
    }
}

TEST(Exec, AcceptsPrefixedAndRunTogetherProgramBytes) {
    auto r = exec("0xb7 0x00 0x00 0x00 0x2a 0x00 0x00 0x00\n9500000000000000\n");
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "2a\n");
}

struct Failure {
    std::string program;
    std::vector<std::string> args;
    const char* reason;
};

TEST(Exec, FailuresPrintTheReasonAndExitNonZero) {
    const Failure cases[] = {
        {"b7 00 00 00 2a 00 00 00 9", {}, "odd number of hex digits in '9'"},
        {"b7 00 00 00 2a 00 00 0g", {}, "bad hex digit 'g'"},
        {"b7 00 00 00 2a 00 00 00 95", {}, "9 bytes, not a multiple of 8"},
        {"", {}, "program has no instructions"},
        {program_hex("r0 = 1\nexit"), {"0 1"}, "MEM: odd number of hex digits"},
        {program_hex(".insn 0xff, 0, 0, 0, 0\nexit"), {}, "insn 0: unknown opcode 0xff"},
        {program_hex("r0 = 1"), {}, "last instruction is not exit or goto"},
        {program_hex("call 14\nexit"), {}, "helper bpf_get_current_pid_tgid#14 is not provided by xdpdk"},
        {program_hex("f: call f\nexit"), {"--engine", "interp"}, "insn 0: recursive call"},
        {program_hex("r0 = 1\nexit"), {"--engine", "turbo"}, "unknown engine 'turbo'"},
        {program_hex("f: call f\nexit"), {}, "insn 0: recursive call"},
        {program_hex("r0 = *(u64 *)(r1 +0)\nexit"), {"00 01 02 03"}, "insn 0: invalid access to memory, mem_size=4"},
    };
    for (const Failure& f : cases) {
        auto r = exec(f.program, f.args);
        EXPECT_NE(r.exit_code, 0) << f.reason << ": " << r.out;
        EXPECT_NE(r.out.find(f.reason), std::string::npos) << "expected '" << f.reason << "' in: " << r.out;
    }
}

// Every tests/isa case that uses memory, through the command line: the
// conformance-plugin path gives the same r0 as the library.
TEST(Exec, IsaCasesWithMemory) {
    int ran = 0;
    for (const std::string& path : test::list_isa_files(test::source_path("tests/isa"))) {
        auto c = test::load_isa_case(path);
        ASSERT_TRUE(c.ok()) << c.error().str();
        if (!c->mem || !c->result) continue;
        auto r = exec(vm::to_hex_program(c->program), {vm::to_hex_bytes(*c->mem)});
        EXPECT_EQ(r.exit_code, 0) << c->name << ": " << r.out << r.err;
        EXPECT_EQ(r.out, hex_line(*c->result)) << c->name;
        ++ran;
    }
    EXPECT_GT(ran, 20);
}

}  // namespace
