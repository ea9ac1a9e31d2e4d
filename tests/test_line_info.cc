// BTF line and function info through the load pipeline, with the kernel as
// the oracle: every built object is loaded both here and in the kernel (via
// libbpf), and `xdpdk prog dump xlated --linum` must put the same source
// lines and function prototypes above the same instructions as `bpftool
// prog dump xlated id N linum` does for the kernel's program; verifier
// refusals name the C line the kernel's verifier log names.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "kernel_oracle.h"
#include "test_support.h"
#include "vm/object.h"
#include "vm/source_lines.h"

using namespace xdpdk;
using namespace xdpdk::test;

namespace {

int quiet_libbpf(enum libbpf_print_level, const char*, va_list) { return 0; }

std::string bpftool_binary() {
    for (const char* path : {"/usr/sbin/bpftool", "/usr/bin/bpftool", "/usr/local/sbin/bpftool"})
        if (::access(path, X_OK) == 0) return path;
    return "";
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
}

// One instruction line of a dump, with the source line and the function
// (prototype) in force where it stands.
struct DumpInsn {
    uint32_t index;
    unsigned code;
    std::string line;  // the last "; ..." line above it ("" before any)
    std::string func;  // the last prototype line above it
    int64_t block;     // how many "; ..." lines came before it, less one
};

struct ParsedDump {
    std::vector<DumpInsn> insns;
    std::vector<std::string> source_lines;  // every "; ..." line, in order
    std::vector<std::string> prototypes;    // every "f(...):" line, in order
};

// The body of one program's dump, as bpftool and xdpdk print it.
ParsedDump parse_dump(const std::vector<std::string>& lines) {
    static const std::regex insn_re(R"(^ *(\d+): \(([0-9a-f]{2})\) .*$)");
    ParsedDump out;
    std::string line, func;
    for (const std::string& l : lines) {
        std::smatch m;
        if (std::regex_match(l, m, insn_re)) {
            out.insns.push_back({static_cast<uint32_t>(std::stoul(m[1])),
                                 static_cast<unsigned>(std::stoul(m[2], nullptr, 16)), line, func,
                                 static_cast<int64_t>(out.source_lines.size()) - 1});
        } else if (l.starts_with("; ")) {
            line = l;
            out.source_lines.push_back(l);
        } else if (!l.empty() && l.back() == ':') {
            func = l.substr(0, l.size() - 1);
            out.prototypes.push_back(func);
        } else if (!l.empty()) {
            ADD_FAILURE() << "unexpected dump line: " << l;
        }
    }
    return out;
}

// `xdpdk prog dump xlated --linum` of every XDP program, by program name.
std::map<std::string, ParsedDump> our_dumps(const std::string& object) {
    std::vector<std::string> args{xdpdk_binary(), "prog", "dump", "xlated", object, "--linum"};
    for (const auto& [map, size] : loader_map_sizes(object))
        args.insert(args.end(), {"--map-size", map + "=" + std::to_string(size)});
    const CommandResult r = run_command(args);
    std::map<std::string, ParsedDump> out;
    if (r.exit_code != 0) return out;
    static const std::regex header_re(R"(^prog '([^']+)' \(section [^)]*\):$)");
    std::string name;
    std::vector<std::string> body;
    auto flush = [&] {
        if (!name.empty()) out[name] = parse_dump(body);
        body.clear();
    };
    for (const std::string& l : lines_of(r.out)) {
        std::smatch m;
        if (std::regex_match(l, m, header_re)) {
            flush();
            name = m[1];
        } else {
            body.push_back(l);
        }
    }
    flush();
    return out;
}

// The instructions under each printed source line: their opcodes, and the
// function the first one is in.
struct Block {
    std::vector<unsigned> codes;
    std::string func;
};
std::vector<Block> blocks_of(const ParsedDump& dump) {
    std::vector<Block> blocks(dump.source_lines.size());
    for (const DumpInsn& in : dump.insns) {
        if (in.block < 0) continue;
        Block& b = blocks[static_cast<size_t>(in.block)];
        if (b.codes.empty()) b.func = in.func;
        b.codes.push_back(in.code);
    }
    return blocks;
}

// Instructions the kernel replaces by sequences of its own at load
// (do_misc_fixups, convert_ctx_accesses) and xdpdk does not: helper calls
// (inlined map lookups, tail calls, bpf_loop, ...), division and modulo by
// a register (the guards against zero), and 32-bit loads, which include the
// xdp_md fields read through the kernel's xdp_rxq_info and net_device.
bool kernel_rewrites(unsigned code) {
    switch (code) {
        case 0x85:                          // call
        case 0x3f: case 0x9f: case 0x3c: case 0x9c:  // div / mod by a register, 64 and 32 bits
        case 0x61:                          // ldx u32
            return true;
    }
    return false;
}

// The line of the source file holding `needle`, counted from 1.
uint32_t source_line_of(const std::string& path, const std::string& needle, std::string* text) {
    std::ifstream in(path);
    std::string line;
    for (uint32_t n = 1; std::getline(in, line); ++n)
        if (line.find(needle) != std::string::npos) {
            *text = line;
            return n;
        }
    return 0;
}

class LineInfoVsKernel : public ::testing::TestWithParam<std::string> {};

// Instruction for instruction where both programs have the same length;
// where the kernel's own rewrites (helper inlining, its xdp_md field
// sequences, division guards) made its program longer, every one of our
// instructions must stand, under the same line and function, where the
// alignment of the two opcode streams puts it in the kernel's. The lines
// printed and the prototypes are equal in both cases: the kernel's rewrites
// keep every line record (bpf_adj_linfo), only moving it.
TEST_P(LineInfoVsKernel, SameSourceLinesAboveTheSameInstructions) {
    if (const std::string& why = kernel_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
    const std::string bpftool = bpftool_binary();
    if (bpftool.empty()) GTEST_SKIP() << "bpftool is not installed";
    const std::string& object = GetParam();
    libbpf_set_print(quiet_libbpf);
    auto kobj = KernelObject::open(object);
    if (!kobj.ok()) GTEST_SKIP() << "libbpf does not open the object: " << kobj.error().str();
    for (const auto& [map, size] : loader_map_sizes(object)) ASSERT_TRUE((*kobj)->set_map_size(map, size).ok());
    if (auto st = (*kobj)->load(); !st.ok()) GTEST_SKIP() << "the kernel refuses the object: " << st.error().str();
    const auto ours = our_dumps(object);
    if (ours.empty()) GTEST_SKIP() << "xdpdk does not load the object";

    int compared = 0, same_length = 0;
    size_t total_lines = 0, rewritten_lines = 0;
    bpf_program* kprog;
    bpf_object__for_each_program(kprog, (*kobj)->raw()) {
        const auto mine = ours.find(bpf_program__name(kprog));
        if (mine == ours.end()) continue;  // not an XDP program here
        SCOPED_TRACE(mine->first);
        bpf_prog_info info{};
        uint32_t len = sizeof info;
        ASSERT_EQ(bpf_obj_get_info_by_fd(bpf_program__fd(kprog), &info, &len), 0);
        const CommandResult k =
            run_command({bpftool, "prog", "dump", "xlated", "id", std::to_string(info.id), "linum"});
        ASSERT_EQ(k.exit_code, 0) << k.err;
        const ParsedDump theirs = parse_dump(lines_of(k.out));
        const ParsedDump& us = mine->second;

        EXPECT_EQ(us.prototypes, theirs.prototypes);
        EXPECT_EQ(us.source_lines, theirs.source_lines);
        ASSERT_FALSE(us.insns.empty());
        if (us.insns.size() == theirs.insns.size()) {
            for (size_t i = 0; i < us.insns.size(); ++i) {
                EXPECT_EQ(us.insns[i].index, theirs.insns[i].index);
                EXPECT_EQ(us.insns[i].code, theirs.insns[i].code) << "insn " << us.insns[i].index;
                EXPECT_EQ(us.insns[i].line, theirs.insns[i].line) << "insn " << us.insns[i].index;
                EXPECT_EQ(us.insns[i].func, theirs.insns[i].func) << "insn " << us.insns[i].index;
            }
            ++same_length;
        } else if (us.source_lines == theirs.source_lines) {
            // The kernel's rewrites grew its program, so compare line by
            // line: the same instructions under each, or, where the kernel
            // rewrote one of ours, one the kernel rewrites.
            const auto ours_blocks = blocks_of(us), their_blocks = blocks_of(theirs);
            for (size_t k = 0; k < ours_blocks.size(); ++k) {
                const Block& a = ours_blocks[k];
                const Block& b = their_blocks[k];
                EXPECT_EQ(a.func, b.func) << us.source_lines[k];
                if (a.codes == b.codes) continue;
                ++rewritten_lines;
                EXPECT_TRUE(std::any_of(a.codes.begin(), a.codes.end(), kernel_rewrites))
                    << "the instructions under " << us.source_lines[k] << " differ, and none is one the kernel rewrites";
            }
        }
        ++compared;
        total_lines += us.source_lines.size();
        ++compared;
    }
    EXPECT_GT(compared, 0);
    RecordProperty("programs", compared);
    RecordProperty("programs_of_the_kernels_length", same_length);
    RecordProperty("source_lines", static_cast<int>(total_lines));
    RecordProperty("lines_the_kernel_rewrote", static_cast<int>(rewritten_lines));
}

std::string object_name(const ::testing::TestParamInfo<std::string>& info) {
    std::string name = info.param.substr(info.param.find_last_of('/') + 1);
    name = name.substr(0, name.find('.'));
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return name;
}

INSTANTIATE_TEST_SUITE_P(BuiltObjects, LineInfoVsKernel, ::testing::ValuesIn(built_objects()), object_name);

// What the kernel's verifier log names as the C line of the refused
// instruction: its last "; <line> @ <file>:<n>" before the end, and the
// index of the last instruction it processed (the refused one).
std::string kernel_refusal_line(const std::string& object, int64_t* insn) {
    std::vector<char> log(1 << 20);
    bpf_object_open_opts opts{};
    opts.sz = sizeof opts;
    opts.kernel_log_buf = log.data();
    opts.kernel_log_size = log.size();
    opts.kernel_log_level = 1;
    bpf_object* obj = bpf_object__open_file(object.c_str(), &opts);
    if (!obj) return "";
    const int rc = bpf_object__load(obj);
    bpf_object__close(obj);
    if (rc == 0) return "";
    static const std::regex insn_re(R"(^(\d+): \(.*$)");
    std::string last;
    for (const std::string& l : lines_of(log.data())) {
        std::smatch m;
        if (l.starts_with("; ")) last = l;
        else if (std::regex_match(l, m, insn_re)) *insn = std::stoll(m[1]);
    }
    return last;
}

TEST(LineInfoRefusal, NamesTheSourceLineInsideALinkedSubprogram) {
    const std::string object = test_prog_path("refused_fw_subprog");
    auto obj = vm::Object::open(object);
    ASSERT_TRUE(obj.ok()) << obj.error().str();
    const Status st = (*obj)->load();
    ASSERT_FALSE(st.ok());
    const Error& err = st.error();

    std::string text;
    const uint32_t line = source_line_of(source_path("tests/progs/refused_fw_subprog.bpf.c"), "if (ip->ihl < 5)", &text);
    ASSERT_GT(line, 0u);
    EXPECT_EQ(err.subject, "prog 'xdp_fw'");
    EXPECT_EQ(err.source, "refused_fw_subprog.bpf.c:" + std::to_string(line) + " '" + text + "'");
    EXPECT_EQ(err.str(), "prog 'xdp_fw': insn " + std::to_string(err.insn) + " (refused_fw_subprog.bpf.c:" +
                             std::to_string(line) + " '" + text + "'): " + err.reason);
    EXPECT_TRUE(err.reason.starts_with("invalid access to packet")) << err.reason;

    // The kernel's verifier log refuses the same instruction, under the same
    // line (its text trimmed, as it prints lines).
    if (const std::string& why = kernel_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
    libbpf_set_print(quiet_libbpf);
    int64_t kernel_insn = -1;
    const std::string kernel_line = kernel_refusal_line(object, &kernel_insn);
    ASSERT_FALSE(kernel_line.empty()) << "the kernel loaded the object";
    EXPECT_EQ(err.insn, kernel_insn);
    const std::string trimmed = text.substr(text.find_first_not_of(" \t"));
    EXPECT_EQ(kernel_line, "; " + trimmed + " @ refused_fw_subprog.bpf.c:" + std::to_string(line));

    // `prog verify -v` names each line as the kernel's log does, and the
    // last one before the refusal is the kernel's.
    const CommandResult v = run_command({xdpdk_binary(), "prog", "verify", object, "-v"});
    std::string our_last;
    for (const std::string& l : lines_of(v.out))
        if (l.starts_with("; ")) our_last = l;
    EXPECT_EQ(our_last, kernel_line) << v.out;
}

// The command line shows the same, as its one-line error.
TEST(LineInfoRefusal, VerifyCommandPrintsTheSourceLine) {
    const std::string object = test_prog_path("one_prog_refused");
    std::string text;
    const uint32_t line = source_line_of(source_path("tests/progs/one_prog_refused.bpf.c"), "return eth->h_proto", &text);
    ASSERT_GT(line, 0u);
    const CommandResult r = run_command({xdpdk_binary(), "prog", "verify", object, "--prog", "xdp_unchecked"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const std::string expected = "refused: prog 'xdp_unchecked': insn 1 (one_prog_refused.bpf.c:" +
                                 std::to_string(line) + " '" + text + "'): invalid access to packet";
    EXPECT_NE(r.out.find(expected), std::string::npos) << r.out;
}

// Without the kernel: each function placed by linking gets its BTF name and
// prototype at its new start, and its lines come along.
TEST(LineInfoLinking, SubprogramsKeepTheirNamesPrototypesAndLines) {
    auto obj = vm::Object::open(test_prog_path("loader_calls"));
    ASSERT_TRUE(obj.ok()) << obj.error().str();
    ASSERT_TRUE((*obj)->load().ok());
    auto prog = (*obj)->find_program("xdp_calls");
    ASSERT_TRUE(prog.ok());
    const vm::Program& p = **prog;
    std::vector<std::string> names, prototypes;
    for (const auto& f : p.func_info) {
        names.push_back(f.name);
        prototypes.push_back(f.prototype);
    }
    // Depth first, as libbpf appends them.
    EXPECT_EQ(names, (std::vector<std::string>{"xdp_calls", "global_helper", "middle", "leaf"}));
    EXPECT_EQ(prototypes.front(), "int xdp_calls(struct xdp_md * ctx)");
    EXPECT_EQ(prototypes.back(), "__u32 leaf(__u32 x)");
    ASSERT_EQ(p.func_info.front().insn, 0u);
    for (size_t i = 1; i < p.func_info.size(); ++i) EXPECT_GT(p.func_info[i].insn, p.func_info[i - 1].insn);

    // The leaf's body line sits inside the leaf, wherever linking put it.
    std::string text;
    const uint32_t line = source_line_of(source_path("tests/progs/loader_calls.bpf.c"), "return x * 3 + 1;", &text);
    ASSERT_GT(line, 0u);
    const uint32_t leaf_start = p.func_info.back().insn;
    bool found = false;
    for (const auto& l : p.line_info)
        if (l.line_num == line) {
            found = true;
            EXPECT_GE(l.insn, leaf_start);
            EXPECT_LT(l.insn, p.xlated.size());
            EXPECT_EQ(l.text, text);
            EXPECT_TRUE(l.file.ends_with("loader_calls.bpf.c")) << l.file;
        }
    EXPECT_TRUE(found);
    ASSERT_NE(p.line_at(leaf_start), nullptr);
    EXPECT_EQ(p.line_at(static_cast<uint32_t>(p.xlated.size() - 1))->text, "\treturn x * 3 + 1;");
}

// The kernel's rules for lines of removed code (bpf_adj_linfo_after_remove)
// and functions (adjust_subprog_starts_after_remove), on small cases; the
// differential test above checks them on real dead code.
struct Removal {
    std::vector<bool> removed;
    std::vector<int64_t> new_pos;
};
Removal removal(size_t count, std::vector<size_t> gone) {
    Removal r{std::vector<bool>(count, false), std::vector<int64_t>(count + 1)};
    for (size_t g : gone) r.removed[g] = true;
    int64_t kept = 0;
    for (size_t i = 0; i < count; ++i) {
        r.new_pos[i] = kept;
        if (!r.removed[i]) ++kept;
    }
    r.new_pos[count] = kept;
    return r;
}
std::vector<vm::LineInfo> lines_at(std::vector<uint32_t> insns) {
    std::vector<vm::LineInfo> out;
    for (uint32_t i : insns) out.push_back({i, "f.c", "line " + std::to_string(i), i + 10, 1});
    return out;
}
std::vector<std::pair<uint32_t, std::string>> summary(const std::vector<vm::LineInfo>& lines) {
    std::vector<std::pair<uint32_t, std::string>> out;
    for (const auto& l : lines) out.emplace_back(l.insn, l.text);
    return out;
}
using Summary = std::vector<std::pair<uint32_t, std::string>>;

TEST(LineInfoRemoval, RemovedLinesGoUnlessTheNextInstructionHasNone) {
    std::vector<vm::FuncInfo> funcs;
    // The first kept instruction after the run starts a line: the run's go.
    auto lines = lines_at({0, 2, 4});
    auto r = removal(6, {2, 3});
    vm::drop_removed_insns(r.removed, r.new_pos, lines, funcs);
    EXPECT_EQ(summary(lines), (Summary{{0, "line 0"}, {2, "line 4"}}));
    // It starts none: the run's last line moves onto it.
    lines = lines_at({0, 2, 3});
    vm::drop_removed_insns(r.removed, r.new_pos, lines, funcs);
    EXPECT_EQ(summary(lines), (Summary{{0, "line 0"}, {2, "line 3"}}));
    // Nothing is kept after the run: its lines go.
    lines = lines_at({0, 3});
    r = removal(5, {3, 4});
    vm::drop_removed_insns(r.removed, r.new_pos, lines, funcs);
    EXPECT_EQ(summary(lines), (Summary{{0, "line 0"}}));
}

TEST(LineInfoRemoval, FunctionsGoWhenEmptyAndStartAtTheirFirstKeptInstruction) {
    std::vector<vm::LineInfo> lines;
    auto funcs = std::vector<vm::FuncInfo>{{0, "main", "int main(void)"}, {3, "sub", "int sub(void)"}};
    auto r = removal(6, {3});
    vm::drop_removed_insns(r.removed, r.new_pos, lines, funcs);
    ASSERT_EQ(funcs.size(), 2u);
    EXPECT_EQ(funcs[1].insn, 3u);
    r = removal(5, {0, 1});
    vm::drop_removed_insns(r.removed, r.new_pos, lines, funcs);
    ASSERT_EQ(funcs.size(), 2u);
    EXPECT_EQ(funcs[0].insn, 0u);
    EXPECT_EQ(funcs[1].insn, 1u);
    r = removal(3, {1, 2});
    vm::drop_removed_insns(r.removed, r.new_pos, lines, funcs);
    ASSERT_EQ(funcs.size(), 1u);
    EXPECT_EQ(funcs[0].name, "main");
}

// Objects without .BTF.ext keep the plain format.
TEST(LineInfoRefusal, NoSourceWithoutLineInfo) {
    Error err = make_insn_error("prog 'p'", 3, "bad");
    EXPECT_EQ(err.str(), "prog 'p': insn 3: bad");
}

// A line text with a newline (a damaged or hand-made .BTF.ext) still gives a
// one-line error; tabs stay as the kernel's log prints them.
TEST(LineInfoRefusal, SourceTextStaysOnOneLine) {
    const std::vector<vm::LineInfo> lines = {{0, "/src/fw.bpf.c", "\tif (x)\n{ y; }\r", 88, 2}};
    Error err = vm::with_source_line(make_insn_error("prog 'p'", 3, "bad"), lines);
    EXPECT_EQ(err.str(), "prog 'p': insn 3 (fw.bpf.c:88 '\tif (x)\\n{ y; }\\r'): bad");
    EXPECT_EQ(err.str().find('\n'), std::string::npos);
    // The file name is the object's too (fuzzing found a carriage return).
    const std::vector<vm::LineInfo> odd_file = {{0, "/src/\rfw\n.c", "x", 88, 2}};
    EXPECT_EQ(vm::with_source_line(make_insn_error("prog 'p'", 3, "bad"), odd_file).str(),
              "prog 'p': insn 3 (\\rfw\\n.c:88 'x'): bad");
}

}  // namespace
