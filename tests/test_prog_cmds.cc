// `xdpdk prog dump xlated|jited` and `xdpdk bench`, run as users run them:
// the built binary on the sample objects. The dumps are checked against the
// same object loaded here (the instructions, the lddw origins, the JIT's
// offsets), the bench's verdicts against `xdpdk replay` on the same capture.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/replay/pcap_io.h"
#include "kernel_oracle.h"
#include "test_support.h"
#include "vm/assembler.h"
#include "vm/map.h"
#include "vm/object.h"
#include "vm/xdp.h"

using namespace xdpdk;
using namespace xdpdk::test;
using nlohmann::json;

namespace {

std::string verdicts_obj() { return test_prog_path("verdicts"); }
std::string sample_pcap() { return source_path("pcaps/sample.pcap"); }

CommandResult xdpdk_cmd(std::vector<std::string> args) {
    args.insert(args.begin(), xdpdk_binary());
    return run_command(args);
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
}

std::unique_ptr<vm::Object> load_object(const std::string& path) {
    auto obj = vm::Object::open(path);
    EXPECT_TRUE(obj.ok()) << (obj.ok() ? "" : obj.error().str());
    if (!obj.ok()) return nullptr;
    auto st = (*obj)->load();
    EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().str());
    return std::move(obj).value();
}

const vm::Program* program(const vm::Object& obj, const std::string& name) {
    auto prog = obj.find_program(name);
    EXPECT_TRUE(prog.ok()) << (prog.ok() ? "" : prog.error().str());
    return prog.ok() ? *prog : nullptr;
}

bool is_lddw_tail(const vm::Program& prog, size_t i) { return prog.insns.at(i).op == vm::Op::LddwTail; }

// One "  12: (bf) r6 = r1" line of an xlated dump.
struct XlatedLine {
    size_t index;
    unsigned code;
    std::string text;
};

std::vector<XlatedLine> parse_xlated(const std::vector<std::string>& lines) {
    static const std::regex line_re(R"(^ *(\d+): \(([0-9a-f]{2})\) (.+)$)");
    std::vector<XlatedLine> out;
    for (const auto& line : lines) {
        // Source lines and function prototypes (BTF line and func info) are
        // test_line_info's; here only the instructions count.
        if (line.starts_with("; ") || (!line.empty() && line.back() == ':')) continue;
        std::smatch m;
        if (!std::regex_match(line, m, line_re)) {
            ADD_FAILURE() << "not an instruction line: " << line;
            continue;
        }
        out.push_back({std::stoul(m[1]), static_cast<unsigned>(std::stoul(m[2], nullptr, 16)), m[3]});
    }
    return out;
}

// `map[name]` / `map[name]+off` as the assembler's number, so the line reads
// back; returns the annotation found ("" when none).
std::string strip_map_reference(std::string& text) {
    static const std::regex map_re(R"(map\[([^\]]+)\](\+\d+)?)");
    std::smatch m;
    if (!std::regex_search(text, m, map_re)) return "";
    const std::string found = m[0];
    text = m.prefix().str() + "0" + m.suffix().str();
    return found;
}

TEST(ProgDumpXlated, EveryInstructionReadsBackAsTheLoadedProgram) {
    auto obj = load_object(verdicts_obj());
    ASSERT_TRUE(obj);
    const vm::Program* prog = program(*obj, "xdp_verdicts");
    ASSERT_TRUE(prog);

    auto r = xdpdk_cmd({"prog", "dump", "xlated", verdicts_obj(), "--prog", "xdp_verdicts"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto lines = lines_of(r.out);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], "prog 'xdp_verdicts' (section xdp):");
    lines.erase(lines.begin());
    auto parsed = parse_xlated(lines);

    // One line per instruction, lddw tails left out, in order.
    std::vector<size_t> expected_indexes;
    for (size_t i = 0; i < prog->xlated.size(); ++i)
        if (!is_lddw_tail(*prog, i)) expected_indexes.push_back(i);
    ASSERT_EQ(parsed.size(), expected_indexes.size());

    std::map<size_t, std::string> annotations;
    std::string text;
    for (size_t k = 0; k < parsed.size(); ++k) {
        EXPECT_EQ(parsed[k].index, expected_indexes[k]);
        EXPECT_EQ(parsed[k].code, prog->xlated.at(parsed[k].index).code) << "insn " << parsed[k].index;
        std::string insn = parsed[k].text;
        const std::string annotation = strip_map_reference(insn);
        if (!annotation.empty()) annotations[parsed[k].index] = annotation;
        text += insn + "\n";
    }
    auto assembled = vm::assemble(text);
    ASSERT_TRUE(assembled.ok()) << assembled.error().str();
    ASSERT_EQ(assembled->size(), prog->xlated.size());

    // Every lddw the loader relocated names its map (and offset), and
    // nothing else does; those slots hold pointers, the rest must match.
    std::set<size_t> origin_slots;
    for (const auto& origin : prog->lddw_origins) {
        origin_slots.insert(origin.insn);
        origin_slots.insert(origin.insn + 1);
        // Appending, because GCC 12 misreports `"x" + std::string&&` (-Wrestrict).
        std::string expected = "map[";
        expected.append(origin.map->name()).append("]");
        if (origin.value) expected.append("+").append(std::to_string(origin.offset));
        EXPECT_EQ(annotations[origin.insn], expected) << "insn " << origin.insn;
    }
    EXPECT_EQ(annotations.size(), prog->lddw_origins.size());
    for (size_t i = 0; i < prog->xlated.size(); ++i) {
        const auto& want = prog->xlated[i];
        const auto& got = (*assembled)[i];
        EXPECT_EQ(got.code, want.code) << "insn " << i;
        EXPECT_EQ(got.dst, want.dst) << "insn " << i;
        EXPECT_EQ(got.src, want.src) << "insn " << i;
        EXPECT_EQ(got.off, want.off) << "insn " << i;
        if (!origin_slots.count(i)) {
            EXPECT_EQ(got.imm, want.imm) << "insn " << i;
        }
    }
}

TEST(ProgDumpXlated, ContextLoadsAppearRewrittenToTheRuntimeLayout) {
    auto r = xdpdk_cmd({"prog", "dump", "xlated", verdicts_obj(), "--prog", "xdp_verdicts"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto lines = lines_of(r.out);
    lines.erase(lines.begin());
    // The context register: r1, and registers copied from it before the
    // first call (which clobbers r1).
    std::set<std::string> ctx = {"r1"};
    static const std::regex copy_re(R"(^(r\d+) = r1$)");
    static const std::regex ctx_load_re(R"(^r\d+ = \*\((u\d+) \*\)\((r\d+) \+(\d+)\)$)");
    std::set<std::pair<std::string, long>> ctx_loads;
    for (const auto& line : parse_xlated(lines)) {
        if (line.text.starts_with("call")) break;
        std::smatch m;
        if (std::regex_match(line.text, m, copy_re)) ctx.insert(m[1]);
        if (std::regex_match(line.text, m, ctx_load_re) && ctx.count(m[2])) ctx_loads.insert({m[1], std::stol(m[3])});
    }
    // ctx->data and ctx->data_end are 32-bit fields of xdp_md; after the
    // rewrite they are 64-bit loads at XdpBuff's offsets.
    EXPECT_TRUE(ctx_loads.count({"u64", static_cast<long>(offsetof(vm::XdpBuff, data))})) << r.out;
    EXPECT_TRUE(ctx_loads.count({"u64", static_cast<long>(offsetof(vm::XdpBuff, data_end))})) << r.out;
    for (const auto& [type, off] : ctx_loads) EXPECT_EQ(type, "u64") << "ctx load at +" << off << " not rewritten";
}

TEST(ProgDumpXlated, SameTextOnEveryRun) {
    // The relocated instructions hold heap pointers, which differ between
    // processes; the dump must not show them.
    auto a = xdpdk_cmd({"prog", "dump", "xlated", verdicts_obj()});
    auto b = xdpdk_cmd({"prog", "dump", "xlated", verdicts_obj()});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    EXPECT_EQ(a.out, b.out);
    EXPECT_NE(a.out.find(" ll\n"), std::string::npos);  // there are lddw to show
    static const std::regex raw_pointer(R"(r\d+ = 0x[0-9a-f]{9,} ll)");
    EXPECT_FALSE(std::regex_search(a.out, raw_pointer)) << a.out;
}

TEST(ProgDumpXlated, WithoutProgDumpsEveryXdpProgram) {
    auto obj = load_object(verdicts_obj());
    ASSERT_TRUE(obj);
    std::vector<std::string> expected;
    for (const auto& p : obj->programs())
        if (p->type == vm::ProgType::Xdp) expected.push_back("prog '" + p->name + "' (section " + p->section + "):");
    ASSERT_GE(expected.size(), 2u);

    auto r = xdpdk_cmd({"prog", "dump", "xlated", verdicts_obj()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> headers;
    for (const auto& line : lines_of(r.out))
        if (line.starts_with("prog '")) headers.push_back(line);
    EXPECT_EQ(headers, expected);
    EXPECT_EQ(r.out.find("tc_ingress"), std::string::npos);
}

// One x86 line of a jited dump: "   1f:\t<bytes>  mnemonic operands".
struct CodeLine {
    uint64_t offset;
    std::vector<uint8_t> bytes;  // with --opcodes
    std::string mnemonic;
    std::string operands;
};

struct JitedGroup {
    std::string label;  // "; 3: r1 = r2", "; prologue", ...
    std::vector<CodeLine> code;
};

std::vector<JitedGroup> parse_jited(const std::vector<std::string>& lines, bool opcodes) {
    static const std::regex code_re(R"(^ *([0-9a-f]+):\t(.*)$)");
    static const std::regex bytes_re(R"(^((?:[0-9a-f]{2} )+) *(\S.*)$)");
    std::vector<JitedGroup> groups;
    for (const auto& line : lines) {
        if (line.starts_with(";")) {
            groups.push_back({line, {}});
            continue;
        }
        std::smatch m;
        if (!std::regex_match(line, m, code_re) || groups.empty()) {
            ADD_FAILURE() << "unexpected line: " << line;
            continue;
        }
        CodeLine code{std::stoull(m[1], nullptr, 16), {}, m[2], {}};
        if (opcodes) {
            std::smatch b;
            const std::string rest = m[2];
            if (!std::regex_match(rest, b, bytes_re)) {
                ADD_FAILURE() << "no bytes in: " << line;
                continue;
            }
            std::istringstream hex(b[1].str());
            std::string byte;
            while (hex >> byte) code.bytes.push_back(static_cast<uint8_t>(std::stoul(byte, nullptr, 16)));
            code.mnemonic = b[2];
        }
        const size_t space = code.mnemonic.find(' ');
        if (space != std::string::npos) code.operands = code.mnemonic.substr(code.mnemonic.find_first_not_of(' ', space));
        code.mnemonic = code.mnemonic.substr(0, space);
        groups.back().code.push_back(std::move(code));
    }
    return groups;
}

TEST(ProgDumpJited, GroupsMachineCodeUnderEveryEbpfInstruction) {
    auto obj = load_object(verdicts_obj());
    ASSERT_TRUE(obj);
    const vm::Program* prog = program(*obj, "xdp_verdicts");
    ASSERT_TRUE(prog);
    auto xlated = xdpdk_cmd({"prog", "dump", "xlated", verdicts_obj(), "--prog", "xdp_verdicts"});
    ASSERT_EQ(xlated.exit_code, 0) << xlated.err;
    auto xlated_lines = lines_of(xlated.out);
    xlated_lines.erase(xlated_lines.begin());
    const auto insns = parse_xlated(xlated_lines);

    auto r = xdpdk_cmd({"prog", "dump", "jited", verdicts_obj(), "--prog", "xdp_verdicts", "--opcodes"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto lines = lines_of(r.out);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], "prog 'xdp_verdicts' (section xdp):");
    lines.erase(lines.begin());
    const auto groups = parse_jited(lines, true);

    // "; N: <the xlated text of N>" for every instruction, in order, between
    // the prologue and the epilogue.
    std::vector<std::string> expected_labels = {"; prologue"};
    for (const auto& insn : insns) expected_labels.push_back("; " + std::to_string(insn.index) + ": " + insn.text);
    expected_labels.push_back("; epilogue and out-of-line code");
    std::vector<std::string> labels;
    for (const auto& g : groups) labels.push_back(g.label);
    EXPECT_EQ(labels, expected_labels);

    // The listing covers the code without gaps: each instruction's bytes
    // end where the next begins. Capstone decoded real x86 instructions.
    uint64_t next = 0;
    std::set<std::string> mnemonics;
    size_t code_lines = 0;
    for (const auto& g : groups) {
        for (const auto& c : g.code) {
            EXPECT_EQ(c.offset, next) << g.label;
            EXPECT_FALSE(c.bytes.empty());
            next = c.offset + c.bytes.size();
            mnemonics.insert(c.mnemonic);
            ++code_lines;
        }
    }
    EXPECT_GT(code_lines, insns.size());
    EXPECT_FALSE(mnemonics.count(".byte"));
    for (const char* m : {"pushq", "popq", "retq", "movq", "callq"}) EXPECT_TRUE(mnemonics.count(m)) << m;
    // The program's first load reads the packet; its group holds a load.
    bool saw_memory_load = false;
    for (const auto& g : groups)
        if (g.label.find("= *(u8 *)") != std::string::npos)
            for (const auto& c : g.code) saw_memory_load |= c.mnemonic.starts_with("mov");
    EXPECT_TRUE(saw_memory_load);
}

TEST(ProgDumpJited, WithoutOpcodesShowsOnlyTheInstructions) {
    auto r = xdpdk_cmd({"prog", "dump", "jited", prog_path("xdp_pass")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto lines = lines_of(r.out);
    ASSERT_FALSE(lines.empty());
    lines.erase(lines.begin());
    const auto groups = parse_jited(lines, false);
    ASSERT_GE(groups.size(), 3u);
    EXPECT_EQ(groups[1].label, "; 0: r0 = 2");
    ASSERT_FALSE(groups[1].code.empty());
    // r0 = 2 is a move of 2 into r0's register, however the JIT encodes it.
    EXPECT_TRUE(groups[1].code[0].mnemonic.starts_with("mov")) << groups[1].code[0].mnemonic;
    EXPECT_TRUE(groups[1].code[0].operands.starts_with("$2, %")) << groups[1].code[0].operands;
    // Without bytes, each line begins with the mnemonic.
    EXPECT_EQ(r.out.find("48 c7"), std::string::npos);
}

TEST(ProgCommands, ErrorsAreOneLineAndFail) {
    struct Case {
        std::vector<std::string> args;
        std::string expected;  // in the message
    };
    const std::vector<Case> cases = {
        {{"prog", "dump", "xlated", "/nonexistent/x.o"}, "/nonexistent/x.o"},
        {{"prog", "dump", "jited", "/nonexistent/x.o"}, "/nonexistent/x.o"},
        {{"prog", "dump", "xlated", verdicts_obj(), "--prog", "nope"}, "nope"},
        {{"prog", "dump", "jited", verdicts_obj(), "--prog", "tc_ingress"}, "not an XDP program"},
        {{"prog", "dump", "xlated", verdicts_obj(), "--set", "no_such_var=1"}, "no_such_var"},
        {{"bench", verdicts_obj(), "--pcap", "/nonexistent/p.pcap"}, "/nonexistent/p.pcap"},
        {{"bench", verdicts_obj(), "--pcap", sample_pcap(), "--engines", "jit,fast"}, "unknown engine 'fast'"},
        {{"bench", verdicts_obj(), "--pcap", sample_pcap(), "--duration", "0"}, "--duration"},
        {{"bench", verdicts_obj(), "--pcap", sample_pcap(), "--prog", "nope"}, "nope"},
        {{"bench", "/nonexistent/x.o", "--pcap", sample_pcap()}, "/nonexistent/x.o"},
        {{"prog", "verify", test_prog_path("loader_tc_only")}, "not an XDP program: the section makes it a tc"},
        {{"prog", "verify", test_prog_path("loader_sections"), "--prog", "xdp"}, "section 'xdp': is ambiguous"},
        {{"prog", "verify", test_prog_path("map_sized_by_loader")}, "--map-size proto_packets=N"},
        {{"prog", "verify", verdicts_obj(), "--map-size", "jump"}, "expected NAME=N"},
        {{"prog", "verify", verdicts_obj(), "--map-size", "jump=x"}, "whole number"},
        {{"prog", "verify", verdicts_obj(), "--map-size", "no_map=4"}, "the object has no map 'no_map'"},
        // A typo is named before the maps it left without a size.
        {{"prog", "verify", test_prog_path("map_sized_by_loader"), "--map-size", "src_packet=4"},
         "--map-size src_packet=4: the object has no map 'src_packet'"},
        {{"prog", "verify", test_prog_path("map_sized_by_loader"), "--map-size", "src_packets=8", "--map-size",
          "proto_packets=4294967295"},
         "(size 4294967295 from --map-size)"},
        {{"prog", "show", "/nonexistent/x.o"}, "/nonexistent/x.o"},
        {{"prog", "show", verdicts_obj(), "--prog", "nope"}, "nope"},
        {{"replay", verdicts_obj(), sample_pcap(), "--map-size", "ports=0"}, "at least one entry"},
    };
    for (const auto& c : cases) {
        auto r = xdpdk_cmd(c.args);
        std::string cmd;
        for (const auto& a : c.args) cmd += a + " ";
        EXPECT_NE(r.exit_code, 0) << cmd;
        EXPECT_TRUE(r.out.empty()) << cmd << "\n" << r.out;
        EXPECT_TRUE(r.err.starts_with("xdpdk: ")) << cmd << "\n" << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << cmd << "\n" << r.err;
        EXPECT_NE(r.err.find(c.expected), std::string::npos) << cmd << "\n" << r.err;
    }
}

// ---- prog verify: the options every loading command has ----

TEST(ProgVerify, ProgSetAndMapSizeAreAppliedAsReplayAppliesThem) {
    const std::string knobs = test_prog_path("rodata_knobs");
    auto off = xdpdk_cmd({"prog", "verify", knobs});
    auto on = xdpdk_cmd({"prog", "verify", knobs, "--prog", "xdp_knobs", "--set", "peek_len=64"});
    ASSERT_EQ(off.exit_code, 0) << off.err;
    ASSERT_EQ(on.exit_code, 0) << on.err;
    // The knob is a constant: the peek branch is verified only when on.
    EXPECT_NE(off.out, on.out);

    auto one = xdpdk_cmd({"prog", "verify", test_prog_path("xdp_named_sections"), "--prog", "xdp_tx_back"});
    ASSERT_EQ(one.exit_code, 0) << one.err;
    EXPECT_EQ(lines_of(one.out).size(), 1u) << one.out;
    EXPECT_TRUE(one.out.starts_with("prog 'xdp_tx_back': accepted (")) << one.out;

    auto sized = xdpdk_cmd({"prog", "verify", test_prog_path("map_sized_by_loader"), "--map-size", "src_packets=8",
                            "--map-size", "proto_packets=3"});
    EXPECT_EQ(sized.exit_code, 0) << sized.err;
}

// ---- prog show ----

TEST(ProgShow, ListsEveryProgramWithSectionTypeAndWhetherItLoads) {
    auto r = xdpdk_cmd({"prog", "show", test_prog_path("xdp_named_sections"), "-j"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json progs = json::parse(r.out);
    ASSERT_EQ(progs.size(), 8u);
    EXPECT_EQ(progs[0]["name"], "xdp_stats_func");
    EXPECT_EQ(progs[0]["section"], "xdp_stats");
    EXPECT_EQ(progs[0]["type"], "xdp");
    EXPECT_EQ(progs[0]["loaded"], true);
    EXPECT_EQ(progs[0]["map_names"], json::array({"xdp_stats_map"}));
    EXPECT_EQ(progs[4]["attach_type"], "xdp/devmap");
    EXPECT_EQ(progs[6]["attach_type"], "xdp/cpumap");
    EXPECT_EQ(progs[7]["type"], "tracepoint (BPF_PROG_TYPE_TRACEPOINT)");
    EXPECT_EQ(progs[7]["loaded"], false);
    // The loaded program's size is what prog dump xlated lists.
    const auto obj = load_object(test_prog_path("xdp_named_sections"));
    EXPECT_EQ(progs[3]["bytes_xlated"], program(*obj, "xdp_tx_back")->xlated.size() * 8);
    // The kernel's tag (equal to Linux's: test_loader_compat ProgTag), 16 hex digits.
    ASSERT_TRUE(progs[3].contains("tag"));
    EXPECT_EQ(progs[3]["tag"].get<std::string>().size(), 16u);
    EXPECT_NE(progs[3]["tag"], progs[2]["tag"]);

    // An object whose maps need sizes is listed; its program says what it needs.
    auto text = xdpdk_cmd({"prog", "show", test_prog_path("map_sized_by_loader")});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_EQ(text.out, "count_sources: xdp  section xdp\n\tnot loaded: map 'proto_packets': max_entries is 0: the "
                        "program's loader sets its size before load; give one with --map-size proto_packets=N\n"
                        "\thelpers bpf_map_lookup_elem bpf_map_update_elem\n\tmap types percpu_array hash\n");
    auto sized = xdpdk_cmd({"prog", "show", test_prog_path("map_sized_by_loader"), "--map-size", "src_packets=8",
                            "--map-size", "proto_packets=3"});
    ASSERT_EQ(sized.exit_code, 0) << sized.err;
    EXPECT_TRUE(sized.out.starts_with("count_sources: xdp  section xdp\n\ttag ")) << sized.out;
    EXPECT_NE(sized.out.find("maps proto_packets src_packets"), std::string::npos) << sized.out;
}

// Each program lists the helpers it calls and the map types it uses, and
// whether xdpdk has each; a program using what xdpdk lacks says which, and
// the object (a bloom filter map) still lists.
TEST(ProgShow, ListsHelpersAndMapTypesWithWhetherXdpdkHasThem) {
    const std::string obj = test_prog_path("unavailable_features");
    auto r = xdpdk_cmd({"prog", "show", obj, "-j"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json progs = json::parse(r.out);
    ASSERT_EQ(progs.size(), 2u);
    EXPECT_EQ(progs[0]["name"], "uses_available");
    EXPECT_EQ(progs[0]["helpers"], json::parse(R"([{"id":118,"name":"bpf_jiffies64","available":true},
                                                    {"id":87,"name":"bpf_map_push_elem","available":true}])"));
    EXPECT_EQ(progs[0]["map_types"], json::parse(R"([{"type":22,"name":"queue","available":true}])"));
    EXPECT_EQ(progs[1]["name"], "uses_unavailable");
    EXPECT_EQ(progs[1]["loaded"], false);
    // Each helper xdpdk lacks carries the refusal, with why.
    EXPECT_EQ(progs[1]["helpers"],
              json::parse(R"([{"id":14,"name":"bpf_get_current_pid_tgid","available":false,
                               "reason":"helper bpf_get_current_pid_tgid#14 is not provided by xdpdk: it reads the kernel task a packet happened to interrupt; xdpdk's workers are not kernel tasks"},
                              {"id":87,"name":"bpf_map_push_elem","available":true}])"));
    EXPECT_EQ(progs[1]["map_types"], json::parse(R"([{"type":30,"name":"bloom_filter","available":false}])"));
    // The object's bloom filter keeps either program from loading here.
    EXPECT_NE(progs[0]["reason"].get<std::string>().find("bloom_filter"), std::string::npos) << progs[0].dump();

    auto text = xdpdk_cmd({"prog", "show", obj});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("uses_available: xdp  section xdp\n\tnot loaded: "), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("\thelpers bpf_jiffies64 bpf_map_push_elem\n\tmap types queue\n"), std::string::npos)
        << text.out;
    EXPECT_NE(text.out.find("\thelpers bpf_get_current_pid_tgid (unavailable in xdpdk) bpf_map_push_elem\n"
                            "\tmap types bloom_filter (unavailable in xdpdk)\n\thelper bpf_get_current_pid_tgid#14 "
                            "is not provided by xdpdk: it reads the kernel task"),
              std::string::npos)
        << text.out;

    // A loaded program lists them too (global data shows as an array).
    auto loaded = xdpdk_cmd({"prog", "show", test_prog_path("map_queue_stack"), "-j"});
    ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
    const json q = json::parse(loaded.out);
    ASSERT_EQ(q.size(), 1u);
    EXPECT_EQ(q[0]["loaded"], true) << q[0].dump();
    std::set<std::string> helpers, types;
    for (const auto& h : q[0]["helpers"]) {
        helpers.insert(h["name"].get<std::string>());
        EXPECT_TRUE(h["available"].get<bool>()) << h.dump();
    }
    for (const auto& t : q[0]["map_types"]) types.insert(t["name"].get<std::string>());
    EXPECT_EQ(helpers, (std::set<std::string>{"bpf_map_lookup_elem", "bpf_map_push_elem", "bpf_map_pop_elem",
                                              "bpf_map_peek_elem"}));
    EXPECT_EQ(types, (std::set<std::string>{"array", "queue", "stack"}));
}

// ---- bench ----

uint64_t pcap_packet_count(const std::string& path) {
    auto reader = cli::PcapReader::open(path);
    EXPECT_TRUE(reader.ok());
    if (!reader.ok()) return 0;
    uint64_t n = 0;
    for (;;) {
        auto next = (*reader)->next();
        if (!next.ok() || !*next) break;
        ++n;
    }
    return n;
}

const json* engine_row(const json& report, const std::string& name) {
    for (const auto& e : report.at("engines"))
        if (e.at("engine") == name) return &e;
    return nullptr;
}

json bench_json(std::vector<std::string> args) {
    args.insert(args.begin(), {"bench", "--json", "--quiet", "--duration", "0.15"});
    auto r = xdpdk_cmd(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");  // --quiet: no progress line
    try {
        return json::parse(r.out);
    } catch (const json::exception& e) {
        ADD_FAILURE() << e.what() << "\n" << r.out;
        return json::object();
    }
}

// The kernel row ran, or says why not; only a machine without bpf() rights
// may skip it.
void expect_kernel_row(const json& report) {
    const json* kernel = engine_row(report, "kernel");
    ASSERT_TRUE(kernel);
    if (!kernel_unavailable_reason().empty()) {
        EXPECT_EQ(kernel->at("status"), "skipped");
        EXPECT_FALSE(kernel->at("reason").get<std::string>().empty());
        return;
    }
    ASSERT_EQ(kernel->at("status"), "ok") << kernel->dump();
    EXPECT_GT(kernel->at("ns_per_packet").get<double>(), 0);
    EXPECT_GT(kernel->at("packets").get<uint64_t>(), 0u);
}

TEST(Bench, EveryEngineRunsWholePassesWithReplaysVerdicts) {
    // replay's per-action counts for one pass of the capture.
    auto replay = xdpdk_cmd({"replay", verdicts_obj(), sample_pcap()});
    ASSERT_EQ(replay.exit_code, 0) << replay.err;
    std::map<std::string, uint64_t> per_pass;
    static const std::regex row_re(R"(^(XDP_\w+) +(\d+) +\d+$)");
    for (const auto& line : lines_of(replay.out)) {
        std::smatch m;
        if (std::regex_match(line, m, row_re)) per_pass[m[1]] = std::stoull(m[2]);
    }
    ASSERT_EQ(per_pass.size(), 5u) << replay.out;

    const json report = bench_json({verdicts_obj(), "--pcap", sample_pcap()});
    const uint64_t pcap_packets = pcap_packet_count(sample_pcap());
    ASSERT_GT(pcap_packets, 0u);
    EXPECT_EQ(report.at("pcap_packets"), pcap_packets);
    EXPECT_EQ(report.at("prog"), "xdp_verdicts");
    EXPECT_GT(report.at("distinct_packets").get<uint64_t>(), 0u);
    EXPECT_LE(report.at("distinct_packets").get<uint64_t>(), pcap_packets);
    ASSERT_EQ(report.at("engines").size(), 3u);

    for (const char* name : {"jit", "interp"}) {
        const json* row = engine_row(report, name);
        ASSERT_TRUE(row) << name;
        ASSERT_EQ(row->at("status"), "ok") << row->dump();
        const uint64_t packets = row->at("packets");
        ASSERT_GT(packets, 0u);
        EXPECT_EQ(packets % pcap_packets, 0u) << name;
        const double ns = row->at("ns_per_packet");
        EXPECT_GT(ns, 0) << name;
        EXPECT_NEAR(row->at("mpps").get<double>(), 1e3 / ns, 1e-6 * (1e3 / ns)) << name;
        EXPECT_NEAR(row->at("run_ns").get<double>() / static_cast<double>(packets), ns, 1e-6 * ns);
        const uint64_t passes = packets / pcap_packets;
        for (const auto& [action, count] : per_pass)
            EXPECT_EQ(row->at("verdicts").at(action).get<uint64_t>(), passes * count) << name << " " << action;
    }
    expect_kernel_row(report);
    if (kernel_unavailable_reason().empty()) {
        const json* kernel = engine_row(report, "kernel");
        uint64_t sum = 0;
        for (const auto& [action, count] : kernel->at("verdicts").items()) sum += count.get<uint64_t>();
        EXPECT_EQ(sum, kernel->at("packets").get<uint64_t>());
    }
}

// The kernel engine loads what the VM loads: the chosen program beside one
// that no verifier accepts, and programs in sections libbpf has no type for.
TEST(Bench, KernelEngineLoadsOnlyTheProgramThatRuns) {
    expect_kernel_row(bench_json({test_prog_path("one_prog_refused"), "--prog", "xdp_checked", "--pcap",
                                  sample_pcap(), "--engines", "jit,kernel"}));
    expect_kernel_row(bench_json({test_prog_path("xdp_named_sections"), "--prog", "xdp_stats_func", "--pcap",
                                  sample_pcap(), "--engines", "jit,kernel"}));
}

TEST(Bench, GlobalsReachEveryEngine) {
    // max_frame_len = 1 drops every frame; the default passes IP frames.
    const json dropped =
        bench_json({prog_path("global_config"), "--pcap", sample_pcap(), "--set", "max_frame_len=1"});
    for (const auto& row : dropped.at("engines")) {
        if (row.at("status") != "ok") continue;
        EXPECT_EQ(row.at("verdicts").at("XDP_DROP"), row.at("packets")) << row.dump();
    }
    expect_kernel_row(dropped);
    const json passed = bench_json({prog_path("global_config"), "--pcap", sample_pcap(), "--engines", "interp"});
    EXPECT_GT(passed.at("engines").at(0).at("verdicts").at("XDP_PASS").get<uint64_t>(), 0u);
}

TEST(Bench, MapsInReachEveryEngine) {
    // xdp_jump tail-calls slot 0 of `jump`: XDP_TX from xdp_stage2 when it
    // is filled, its own XDP_DROP when not.
    const std::string maps = temp_dir() + "/maps.json";
    write_file(maps, R"({"jump": [{"key": "00000000", "prog": "xdp_stage2"}]})");
    const json report = bench_json({verdicts_obj(), "--pcap", sample_pcap(), "--prog", "xdp_jump", "--maps-in", maps});
    EXPECT_EQ(report.at("prog"), "xdp_jump");
    for (const auto& row : report.at("engines")) {
        if (row.at("status") != "ok") continue;
        EXPECT_EQ(row.at("verdicts").at("XDP_TX"), row.at("packets")) << row.dump();
    }
    expect_kernel_row(report);
    const json empty = bench_json({verdicts_obj(), "--pcap", sample_pcap(), "--prog", "xdp_jump", "--engines", "jit"});
    const json& row = empty.at("engines").at(0);
    EXPECT_EQ(row.at("verdicts").at("XDP_DROP"), row.at("packets")) << row.dump();
}

TEST(Bench, TableHasARowPerEngineAndAProgressLine) {
    auto r = xdpdk_cmd({"bench", prog_path("xdp_drop"), "--pcap", sample_pcap(), "--duration", "0.15", "--engines",
                        "interp,jit"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto lines = lines_of(r.out);
    ASSERT_GE(lines.size(), 4u) << r.out;
    EXPECT_TRUE(lines[0].starts_with("prog ")) << lines[0];
    static const std::regex row_re(R"(^(\w+) +(\d+) +([0-9.]+) +([0-9.]+) +XDP_DROP (\d+)$)");
    std::vector<std::string> engines;
    for (const auto& line : lines) {
        std::smatch m;
        if (!std::regex_match(line, m, row_re)) continue;
        engines.push_back(m[1]);
        EXPECT_EQ(m[2], m[5]) << line;  // every run dropped
        EXPECT_GT(std::stod(m[3]), 0) << line;
    }
    EXPECT_EQ(engines, (std::vector<std::string>{"interp", "jit"}));
    EXPECT_NE(r.err.find("\rinterp: "), std::string::npos) << r.err;
}

std::string write_pcap(const std::vector<std::vector<uint8_t>>& packets) {
    const std::string path = temp_dir() + "/packets.pcap";
    auto writer = cli::PcapWriter::open(path, 1);  // DLT_EN10MB
    EXPECT_TRUE(writer.ok());
    if (!writer.ok()) return path;
    for (const auto& p : packets) (*writer)->write({}, static_cast<uint32_t>(p.size()), p);
    EXPECT_TRUE((*writer)->close().ok());
    return path;
}

TEST(Bench, KernelLeavesOutFramesItRefusesAndSaysSo) {
    // BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header; the
    // VM engines run them.
    if (!kernel_unavailable_reason().empty()) GTEST_SKIP() << kernel_unavailable_reason();
    std::vector<uint8_t> frame(60, 0);
    frame[12] = 0x08;  // IPv4
    const std::vector<uint8_t> runt(10, 0);

    const json only_runts = bench_json({prog_path("xdp_pass"), "--pcap", write_pcap({runt}), "--engines", "interp,kernel"});
    const json* kernel = engine_row(only_runts, "kernel");
    ASSERT_TRUE(kernel);
    EXPECT_EQ(kernel->at("status"), "skipped");
    EXPECT_NE(kernel->at("reason").get<std::string>().find("shorter than 14 bytes"), std::string::npos);
    EXPECT_EQ(engine_row(only_runts, "interp")->at("status"), "ok");

    const json mixed = bench_json({prog_path("xdp_pass"), "--pcap", write_pcap({runt, frame}), "--engines", "kernel"});
    kernel = engine_row(mixed, "kernel");
    ASSERT_TRUE(kernel);
    ASSERT_EQ(kernel->at("status"), "ok") << kernel->dump();
    EXPECT_NE(kernel->at("note").get<std::string>().find("left out 1 packet shorter than 14 bytes"),
              std::string::npos);
    EXPECT_EQ(kernel->at("verdicts").at("XDP_PASS"), kernel->at("packets"));
}

}  // namespace
