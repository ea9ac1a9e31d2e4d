// The ELF object loader: programs and subprogram linking, maps (legacy, BTF,
// global data) checked against libbpf's reading of the same objects, global
// variables, relocations, and refusals of damaged objects made by mutating
// good ones in memory.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <elf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.h"
#include "vm/elf_file.h"
#include "vm/engine.h"
#include "vm/object.h"
#include "vm/xdp.h"

namespace xdpdk::test {
namespace {

using vm::GlobalVar;
using vm::Map;
using vm::Object;
using vm::Program;
using vm::ProgType;

int quiet_libbpf(enum libbpf_print_level, const char*, va_list) { return 0; }

std::vector<uint8_t> file_bytes(const std::string& path) {
    const std::string s = read_file(path);
    return {s.begin(), s.end()};
}

std::unique_ptr<Object> open_test_prog(const std::string& name) {
    auto obj = Object::open(test_prog_path(name));
    EXPECT_TRUE(obj.ok()) << (obj.ok() ? "" : obj.error().str());
    return obj.ok() ? std::move(obj).value() : nullptr;
}

std::string open_error(std::span<const uint8_t> bytes, const std::string& name = "bad.o") {
    auto obj = Object::open_memory(bytes, name);
    return obj.ok() ? "(opened)" : obj.error().str();
}

const GlobalVar* find_global(const Object& obj, const std::string& name) {
    for (const GlobalVar& g : obj.globals())
        if (g.name == name) return &g;
    return nullptr;
}

template <class T>
T read_global(const Object& obj, const std::string& name) {
    const GlobalVar* g = find_global(obj, name);
    EXPECT_NE(g, nullptr) << name;
    EXPECT_EQ(g ? g->size : 0, sizeof(T)) << name;
    T v{};
    if (g && g->size == sizeof(T)) std::memcpy(&v, g->map->value_base() + g->offset, sizeof v);
    return v;
}

// Writes a global through its map after load, as a control plane would.
template <class T>
void write_global(const Object& obj, const std::string& name, T v) {
    const GlobalVar* g = find_global(obj, name);
    ASSERT_NE(g, nullptr) << name;
    ASSERT_EQ(g->size, sizeof(T)) << name;
    std::memcpy(g->map->value_base() + g->offset, &v, sizeof v);
}

template <class T>
Status set_global(Object& obj, const std::string& name, T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    return obj.set_global(name, std::span<const uint8_t>(p, sizeof v));
}

// Runs a program that does not look at its packet.
uint64_t run(const Program& prog) {
    uint8_t frame[64] = {};
    vm::XdpBuff xdp{frame, frame + sizeof frame, frame, frame, 1, 0, 0, sizeof frame};
    vm::ExecContext ex;
    return vm::run_xdp(prog, xdp, ex);
}

Program& program(const Object& obj, const std::string& name) {
    auto p = obj.find_program(name);
    if (!p.ok()) throw std::runtime_error(p.error().str());
    return *p.value();
}

uint64_t lddw_imm64(const Program& p, uint32_t pc) {
    return static_cast<uint32_t>(p.xlated[pc].imm) | (uint64_t{static_cast<uint32_t>(p.xlated[pc + 1].imm)} << 32);
}

// Instruction count of every function symbol, from the object's own symbol table.
std::map<std::string, uint32_t> function_sizes(const std::string& path) {
    auto elf = vm::ElfFile::parse(file_bytes(path), path);
    std::map<std::string, uint32_t> sizes;
    if (!elf.ok()) return sizes;
    for (const vm::ElfSymbol& s : elf->symbols())
        if (s.type == STT_FUNC) sizes[s.name] = static_cast<uint32_t>(s.size / 8);
    return sizes;
}

// ---------------------------------------------------------------- calls

uint32_t leaf(uint32_t x) { return x * 3 + 1; }
uint32_t middle(uint32_t x) { return leaf(x) + leaf(x + 7); }
uint32_t global_helper(uint32_t x) { return middle(x) ^ 0x55; }

class CallsTest : public ::testing::TestWithParam<const char*> {};

TEST_P(CallsTest, SubprogramsAreAppendedOnceAndCallsReachThem) {
    auto obj = open_test_prog(GetParam());
    ASSERT_TRUE(obj);
    ASSERT_TRUE(obj->load().ok());
    const auto sizes = function_sizes(test_prog_path(GetParam()));

    // Each subprogram is appended once, however many call sites reach it.
    const Program& calls = program(*obj, "xdp_calls");
    EXPECT_EQ(calls.xlated.size(),
              sizes.at("xdp_calls") + sizes.at("global_helper") + sizes.at("middle") + sizes.at("leaf"));
    const Program& devmap = program(*obj, "xdp_devmap_calls");
    EXPECT_EQ(devmap.xlated.size(), sizes.at("xdp_devmap_calls") + sizes.at("middle") + sizes.at("leaf"));
    const Program& leaf_only = program(*obj, "xdp_leaf");
    EXPECT_EQ(leaf_only.xlated.size(), sizes.at("xdp_leaf") + sizes.at("leaf"));
    const Program& order = program(*obj, "xdp_order");
    EXPECT_EQ(order.xlated.size(),
              sizes.at("xdp_order") + sizes.at("twice_leaf") + sizes.at("leaf") + sizes.at("plus_one"));

    // Every local call lands on the first instruction of an appended function.
    for (const Program* p : {&calls, &devmap, &leaf_only, &order}) {
        for (size_t pc = 0; pc < p->insns.size(); ++pc) {
            if (p->insns[pc].op != vm::Op::CallLocal) continue;
            const int64_t target = int64_t(pc) + p->insns[pc].imm + 1;
            EXPECT_GE(target, sizes.at(p->name)) << p->name << " pc " << pc;
            EXPECT_LT(target, int64_t(p->insns.size())) << p->name << " pc " << pc;
        }
    }

    for (uint32_t input : {0u, 1u, 5u, 1000u, 0xfffffu}) {
        write_global(*obj, "input", input);
        const uint32_t before = read_global<uint32_t>(*obj, "middle_calls");
        EXPECT_EQ(run(calls), global_helper(input) & 0xffff) << input;
        EXPECT_EQ(run(leaf_only), leaf(input)) << input;
        EXPECT_EQ(run(devmap), uint32_t(middle(input) + leaf(1))) << input;
        EXPECT_EQ(run(order), uint32_t(leaf(input) * 2 + input + 1)) << input;
        EXPECT_EQ(read_global<uint32_t>(*obj, "middle_calls"), before + 2) << input;
    }
}

INSTANTIATE_TEST_SUITE_P(Cpu, CallsTest, ::testing::Values("loader_calls", "loader_calls_v3"));

// The kernel (through libbpf) lays subprograms out the same way: its
// translated program matches ours instruction for instruction (opcodes and
// destination registers; immediates hold kernel addresses).
TEST_P(CallsTest, LayoutMatchesTheKernelsTranslatedProgram) {
    libbpf_set_print(quiet_libbpf);
    bpf_object* kobj = bpf_object__open_file(test_prog_path(GetParam()).c_str(), nullptr);
    ASSERT_NE(kobj, nullptr);
    if (int err = bpf_object__load(kobj); err != 0) {
        bpf_object__close(kobj);
        GTEST_SKIP() << "the kernel refused to load the object: " << std::strerror(-err);
    }
    auto obj = open_test_prog(GetParam());
    ASSERT_TRUE(obj);
    ASSERT_TRUE(obj->load().ok());
    int compared = 0;
    bpf_program* kprog;
    bpf_object__for_each_program(kprog, kobj) {
        SCOPED_TRACE(bpf_program__name(kprog));
        bpf_prog_info info{};
        uint32_t len = sizeof info;
        ASSERT_EQ(bpf_obj_get_info_by_fd(bpf_program__fd(kprog), &info, &len), 0);
        std::vector<bpf_insn> xlated(info.xlated_prog_len / sizeof(bpf_insn));
        info = bpf_prog_info{};
        info.xlated_prog_len = static_cast<uint32_t>(xlated.size() * sizeof(bpf_insn));
        info.xlated_prog_insns = reinterpret_cast<uint64_t>(xlated.data());
        len = sizeof info;
        ASSERT_EQ(bpf_obj_get_info_by_fd(bpf_program__fd(kprog), &info, &len), 0);

        const Program& ours = program(*obj, bpf_program__name(kprog));
        ASSERT_EQ(ours.xlated.size(), xlated.size());
        for (size_t pc = 0; pc < xlated.size(); ++pc) {
            EXPECT_EQ(ours.xlated[pc].code, xlated[pc].code) << "insn " << pc;
            EXPECT_EQ(ours.xlated[pc].dst, xlated[pc].dst_reg) << "insn " << pc;
        }
        ++compared;
    }
    EXPECT_EQ(compared, 4);
    bpf_object__close(kobj);
}

// ---------------------------------------------------------------- globals

TEST(ObjectGlobals, DataSectionsBecomeArrayMapsNamedLikeLibbpf) {
    auto obj = open_test_prog("loader_globals");
    ASSERT_TRUE(obj);
    EXPECT_EQ(obj->name(), "loader_globals");
    struct Expected {
        const char* name;
        uint32_t value_size;
    };
    // Object-name prefix cut to 8 characters; sections with a second dot unprefixed.
    const Expected expected[] = {{"loader_g.rodata", 12}, {"loader_g.data", 8},    {".data.custom", 4},
                                 {".rodata.custom", 4},   {".rodata.str1.1", 22}, {"loader_g.bss", 17}};
    ASSERT_EQ(obj->maps().size(), std::size(expected));
    for (size_t i = 0; i < std::size(expected); ++i) {
        const Map& m = *obj->maps()[i];
        EXPECT_EQ(m.name(), expected[i].name);
        EXPECT_EQ(m.type(), vm::MapType::Array);
        EXPECT_EQ(m.spec().key_size, 4u);
        EXPECT_EQ(m.spec().value_size, expected[i].value_size) << m.name();
        EXPECT_EQ(m.spec().max_entries, 1u);
    }
    // Initial contents: .data holds data_value = 100, the string section the literal.
    const uint32_t key = 0;
    std::vector<uint8_t> value(22);
    ASSERT_EQ(obj->find_map(".rodata.str1.1")->user_lookup(&key, value.data()), 0);
    EXPECT_EQ(std::string(reinterpret_cast<char*>(value.data())), "loader string literal");
    EXPECT_EQ(read_global<uint32_t>(*obj, "data_value"), 100u);
    EXPECT_EQ(read_global<uint32_t>(*obj, "static_data"), 5u);
    EXPECT_EQ(read_global<uint32_t>(*obj, "custom_ro"), 9u);
    EXPECT_EQ(read_global<uint64_t>(*obj, "bss_counter"), 0u);
}

TEST(ObjectGlobals, ListsVariablesWithTheirSectionsAndOffsets) {
    auto obj = open_test_prog("loader_globals");
    ASSERT_TRUE(obj);
    struct Expected {
        const char* name;
        const char* section;
        uint32_t size;
    };
    const Expected expected[] = {{"cfg", ".rodata", 8},         {"ro_scalar", ".rodata", 4},
                                 {"input", ".bss", 4},          {"bss_counter", ".bss", 8},
                                 {"picked_char", ".bss", 1},    {"data_value", ".data", 4},
                                 {"static_data", ".data", 4},   {"custom_data", ".data.custom", 4},
                                 {"custom_ro", ".rodata.custom", 4}};
    EXPECT_EQ(obj->globals().size(), std::size(expected));
    std::vector<std::pair<const Map*, uint32_t>> spans;
    for (const Expected& e : expected) {
        const GlobalVar* g = find_global(*obj, e.name);
        ASSERT_NE(g, nullptr) << e.name;
        EXPECT_EQ(g->section, e.section) << e.name;
        EXPECT_EQ(g->size, e.size) << e.name;
        EXPECT_LE(g->offset + g->size, g->map->spec().value_size) << e.name;
        EXPECT_EQ(g->offset % std::min<uint32_t>(g->size, 8), 0u) << e.name;
        for (const auto& [map, off] : spans)
            EXPECT_FALSE(map == g->map && off == g->offset) << e.name << " shares its offset with another variable";
        spans.emplace_back(g->map, g->offset);
    }
}

TEST(ObjectGlobals, SetBeforeLoadThenRunSeesTheValues) {
    auto obj = open_test_prog("loader_globals");
    ASSERT_TRUE(obj);
    struct Config {
        uint32_t multiplier, addend;
    };
    ASSERT_TRUE(set_global(*obj, "cfg", Config{2, 10}).ok());
    ASSERT_TRUE(set_global(*obj, "input", uint32_t{5}).ok());
    ASSERT_TRUE(obj->load().ok());
    const Program& p = program(*obj, "xdp_globals");

    // x * multiplier + addend + ro_scalar + (static_data after increment)
    EXPECT_EQ(run(p), 5u * 2 + 10 + 7 + 6);
    EXPECT_EQ(read_global<uint64_t>(*obj, "bss_counter"), 1u);
    EXPECT_EQ(read_global<uint32_t>(*obj, "data_value"), 105u);
    EXPECT_EQ(read_global<uint32_t>(*obj, "custom_data"), 21u + 9u);
    EXPECT_EQ(read_global<char>(*obj, "picked_char"), std::string("loader string literal")[5]);

    write_global(*obj, "input", uint32_t{11});
    EXPECT_EQ(run(p), 11u * 2 + 10 + 7 + 7);
    EXPECT_EQ(read_global<char>(*obj, "picked_char"), std::string("loader string literal")[11]);
    EXPECT_EQ(read_global<uint32_t>(*obj, "data_value"), 116u);

    // .rodata maps are frozen by load(), the others stay writable.
    for (const auto& m : obj->maps())
        EXPECT_EQ(m->frozen(), m->name().find(".rodata") != std::string::npos) << m->name();
}

TEST(ObjectGlobals, LddwPointsIntoTheMapValueAndRecordsItsOrigin) {
    auto obj = open_test_prog("loader_globals");
    ASSERT_TRUE(obj);
    ASSERT_TRUE(obj->load().ok());
    const Program& p = program(*obj, "xdp_globals");
    ASSERT_FALSE(p.lddw_origins.empty());
    std::set<std::string> maps_seen;
    for (const vm::LddwOrigin& o : p.lddw_origins) {
        ASSERT_LT(o.insn + 1, p.xlated.size());
        EXPECT_EQ(p.xlated[o.insn].code, 0x18);
        EXPECT_EQ(p.xlated[o.insn].src, 0);
        EXPECT_TRUE(o.value);
        auto* map = const_cast<Map*>(o.map);
        EXPECT_EQ(lddw_imm64(p, o.insn), reinterpret_cast<uint64_t>(map->value_base() + o.offset));
        maps_seen.insert(o.map->name());
    }
    // Every data section the program touches, string literals included.
    EXPECT_EQ(maps_seen, (std::set<std::string>{"loader_g.rodata", "loader_g.data", ".data.custom",
                                                ".rodata.custom", ".rodata.str1.1", "loader_g.bss"}));
}

TEST(ObjectGlobals, SetGlobalRefusals) {
    auto obj = open_test_prog("loader_globals");
    ASSERT_TRUE(obj);
    auto wrong_size = set_global(*obj, "cfg", uint32_t{1});
    ASSERT_FALSE(wrong_size.ok());
    EXPECT_EQ(wrong_size.error().str(), "elf '" + test_prog_path("loader_globals") + "': global 'cfg' is 8 bytes, got 4");

    auto unknown = set_global(*obj, "inptu", uint32_t{1});
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().str().find("no global variable 'inptu'; did you mean: input"), std::string::npos)
        << unknown.error().str();

    ASSERT_TRUE(obj->load().ok());
    auto late = set_global(*obj, "input", uint32_t{1});
    ASSERT_FALSE(late.ok());
    EXPECT_NE(late.error().str().find("cannot be set after load()"), std::string::npos);
    auto again = obj->load();
    ASSERT_FALSE(again.ok());
    EXPECT_NE(again.error().str().find("already loaded"), std::string::npos);
}

// ---------------------------------------------------------------- maps

TEST(ObjectMaps, LegacyMapsSectionDefinesMapsBySymbol) {
    auto obj = open_test_prog("loader_legacy_maps");
    ASSERT_TRUE(obj);
    // The struct initializer's constant lands in a .rodata.cst16 data map.
    ASSERT_EQ(obj->maps().size(), 3u);
    EXPECT_EQ(obj->maps()[0]->name(), "legacy_array");
    EXPECT_EQ(obj->maps()[1]->name(), "legacy_hash");
    EXPECT_EQ(obj->maps()[2]->name(), ".rodata.cst16");
    const Map* array = obj->find_map("legacy_array");
    const Map* hash = obj->find_map("legacy_hash");
    ASSERT_TRUE(array && hash);
    EXPECT_EQ(array->type(), vm::MapType::Array);
    EXPECT_EQ(array->spec().key_size, 4u);
    EXPECT_EQ(array->spec().value_size, 8u);
    EXPECT_EQ(array->spec().max_entries, 4u);
    EXPECT_EQ(hash->type(), vm::MapType::Hash);
    EXPECT_EQ(hash->spec().key_size, 8u);
    EXPECT_EQ(hash->spec().value_size, 16u);
    EXPECT_EQ(hash->spec().max_entries, 64u);

    ASSERT_TRUE(obj->load().ok());
    const Program& p = program(*obj, "xdp_legacy");
    for (const vm::LddwOrigin& o : p.lddw_origins) {
        EXPECT_FALSE(o.value);
        EXPECT_EQ(lddw_imm64(p, o.insn), reinterpret_cast<uint64_t>(o.map));
    }
    EXPECT_EQ(run(p), vm::XDP_PASS);
    EXPECT_EQ(run(p), vm::XDP_PASS);
    const uint32_t slot = 2;
    uint64_t count = 0;
    ASSERT_EQ(array->user_lookup(&slot, &count), 0);
    EXPECT_EQ(count, 2u);
    const uint64_t key = 7;
    uint64_t pair[2] = {};
    ASSERT_EQ(hash->user_lookup(&key, pair), 0);
    EXPECT_EQ(pair[0], 11u);
    EXPECT_EQ(pair[1], 22u);
}

TEST(ObjectMaps, BtfMapsOfSeveralTypes) {
    auto obj = open_test_prog("loader_btf_maps");
    ASSERT_TRUE(obj);
    struct Expected {
        const char* name;
        vm::MapType type;
        uint32_t key, value, max, flags;
    };
    const Expected expected[] = {
        {"flows", vm::MapType::Hash, 8, 8, 1024, 0},  // struct flow_key padded to 8
        {"sized_array", vm::MapType::Array, 4, 12, 16, 0},
        {"percpu_stats", vm::MapType::PercpuArray, 4, 16, 4, 0},
        {"recent", vm::MapType::LruHash, 8, 4, 128, 0},
        {"prefixes", vm::MapType::LpmTrie, 8, 4, 32, 1},  // BPF_F_NO_PREALLOC
        {"percpu_hash", vm::MapType::PercpuHash, 4, 8, 8, 0},
        {"ports", vm::MapType::Devmap, 4, 4, 8, 0x80},  // the kernel adds BPF_F_RDONLY_PROG
        {"jumps", vm::MapType::ProgArray, 4, 4, 4, 0},
    };
    for (const Expected& e : expected) {
        const Map* m = obj->find_map(e.name);
        ASSERT_NE(m, nullptr) << e.name;
        EXPECT_EQ(m->type(), e.type) << e.name;
        EXPECT_EQ(m->spec().key_size, e.key) << e.name;
        EXPECT_EQ(m->spec().value_size, e.value) << e.name;
        EXPECT_EQ(m->spec().max_entries, e.max) << e.name;
        EXPECT_EQ(m->spec().flags, e.flags) << e.name;
    }
}

TEST(ObjectMaps, ProgArrayIsFilledFromItsStaticValuesAtLoad) {
    auto obj = open_test_prog("loader_btf_maps");
    ASSERT_TRUE(obj);
    Map* jumps = obj->find_map("jumps");
    ASSERT_NE(jumps, nullptr);
    EXPECT_EQ(jumps->program_at(1), nullptr);  // filled by load(), once programs exist
    ASSERT_TRUE(obj->load().ok());
    EXPECT_EQ(jumps->program_at(0), nullptr);
    EXPECT_EQ(jumps->program_at(1), &program(*obj, "xdp_jump_one"));
    EXPECT_EQ(jumps->program_at(2), nullptr);
    EXPECT_EQ(jumps->program_at(3), &program(*obj, "xdp_jump_three"));

    const Program& entry = program(*obj, "xdp_btf_maps");
    const std::pair<uint32_t, uint64_t> cases[] = {{0, 7}, {1, 41}, {2, 7}, {3, 43}, {9, 7}};
    for (const auto& [input, expected] : cases) {
        write_global(*obj, "input", input);
        EXPECT_EQ(run(entry), expected) << input;
    }
    // The entry program's map writes landed in the maps the loader built.
    const uint8_t flow_key[8] = {0x01, 0x00, 0x00, 0x0a, 80, 0, 6, 0};
    uint64_t flow_count = 0;
    EXPECT_EQ(obj->find_map("flows")->user_lookup(flow_key, &flow_count), 0);
    EXPECT_EQ(flow_count, 1u);
}

// ---------------------------------------------------------------- sections

TEST(ObjectSections, ProgramTypesFromSectionNames) {
    auto obj = open_test_prog("loader_sections");
    ASSERT_TRUE(obj);
    EXPECT_EQ(obj->license(), "Dual BSD/GPL");
    struct Expected {
        const char* name;
        const char* section;
        ProgType type;
        bool frags;
    };
    const Expected expected[] = {
        {"kprobe_nanosleep", "kprobe/sys_nanosleep", ProgType::Other, false},
        {"xdp_first", "xdp", ProgType::Xdp, false},
        {"xdp_second", "xdp", ProgType::Xdp, false},
        {"xdp_with_frags", "xdp.frags", ProgType::Xdp, true},
        {"xdp_frags_cpumap", "xdp.frags/cpumap", ProgType::Xdp, true},
        {"tc_classifier", "tc", ProgType::Other, false},
        {"socket_filter", "socket", ProgType::Other, false},
    };
    ASSERT_EQ(obj->programs().size(), std::size(expected));
    for (size_t i = 0; i < std::size(expected); ++i) {
        const Program& p = *obj->programs()[i];
        EXPECT_EQ(p.name, expected[i].name);
        EXPECT_EQ(p.section, expected[i].section);
        EXPECT_EQ(p.type, expected[i].type) << p.name;
        EXPECT_EQ(p.frags, expected[i].frags) << p.name;
    }

    // The kprobe calls a helper this runtime lacks: it is not decoded, so load succeeds.
    ASSERT_TRUE(obj->load().ok());
    for (const auto& p : obj->programs())
        EXPECT_EQ(p->insns.empty(), p->type != ProgType::Xdp) << p->name;
    EXPECT_EQ(run(program(*obj, "xdp_first")), vm::XDP_PASS);
    EXPECT_EQ(run(program(*obj, "xdp_second")), vm::XDP_DROP);
    EXPECT_EQ(run(program(*obj, "xdp.frags")), vm::XDP_TX);
    EXPECT_EQ(run(program(*obj, "xdp_frags_cpumap")), vm::XDP_ABORTED);
}

TEST(ObjectSections, FindProgramByNameOrSection) {
    auto obj = open_test_prog("loader_sections");
    ASSERT_TRUE(obj);
    // Two programs share section "xdp": the section name alone is ambiguous.
    auto by_section = obj->find_program("xdp");
    ASSERT_FALSE(by_section.ok());
    EXPECT_EQ(by_section.error().str(), "section 'xdp': is ambiguous: it holds 2 programs (xdp_first, xdp_second); "
                                        "name one by its function name");
    auto frags_section = obj->find_program("xdp.frags");
    ASSERT_TRUE(frags_section.ok());
    EXPECT_EQ(frags_section.value()->name, "xdp_with_frags");
    auto second = obj->find_program("xdp_second");
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second.value()->name, "xdp_second");
    auto def = obj->default_xdp_program();  // the kprobe comes first but is not XDP
    ASSERT_TRUE(def.ok());
    EXPECT_EQ(def.value()->name, "xdp_first");

    auto kprobe = obj->find_program("kprobe_nanosleep");
    ASSERT_FALSE(kprobe.ok());
    EXPECT_EQ(kprobe.error().str(), "prog 'kprobe_nanosleep' (section 'kprobe/sys_nanosleep'): not an XDP program: "
                                    "the section makes it a kprobe (BPF_PROG_TYPE_KPROBE) program; only XDP programs "
                                    "run in xdpdk");
    auto tc = obj->find_program("tc");
    ASSERT_FALSE(tc.ok());
    EXPECT_EQ(tc.error().subject, "prog 'tc_classifier' (section 'tc')");

    auto missing = obj->find_program("nope");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().str(), "elf '" + test_prog_path("loader_sections") +
                                         "': no program or section 'nope'; programs: kprobe_nanosleep "
                                         "(kprobe/sys_nanosleep) xdp_first (xdp) xdp_second (xdp) xdp_with_frags "
                                         "(xdp.frags) xdp_frags_cpumap (xdp.frags/cpumap) tc_classifier (tc) "
                                         "socket_filter (socket)");

    auto tc_only = open_test_prog("loader_tc_only");
    ASSERT_TRUE(tc_only);
    auto none = tc_only->default_xdp_program();
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().str(),
              "prog 'tc_only' (section 'tc'): not an XDP program: the section makes it a tc classifier "
              "(BPF_PROG_TYPE_SCHED_CLS) program; only XDP programs run in xdpdk");
}

// ---------------------------------------------------------------- libbpf

std::string dir_of(const std::string& path) { return path.substr(0, path.find_last_of('/')); }

std::vector<std::string> objects_in(const std::string& dir) {
    std::vector<std::string> out;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            const std::string n = e->d_name;
            if (n.size() > 2 && n.substr(n.size() - 2) == ".o") out.push_back(dir + "/" + n);
        }
        closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
}

// libbpf (open only, no kernel) reads every sample and test object; our maps,
// object name and programs must match what it derives.
TEST(ObjectLibbpf, MapsAndProgramsMatchLibbpfForEveryObject) {
    libbpf_set_print(quiet_libbpf);
    std::vector<std::string> paths = objects_in(dir_of(prog_path("any")));
    const auto tests = objects_in(dir_of(test_prog_path("any")));
    paths.insert(paths.end(), tests.begin(), tests.end());
    ASSERT_GE(paths.size(), 8u);
    int compared = 0;
    for (const std::string& path : paths) {
        SCOPED_TRACE(path);
        // Its maps need the sizes its loader sets (test_loader_compat).
        if (!test::loader_map_sizes(path).empty()) continue;
        // Maps of types xdpdk lacks: opened as `prog show` opens it.
        vm::ObjectOptions opts;
        opts.listing = path.find("/unavailable_") != std::string::npos;
        auto ours = Object::open(path, opts);
        ASSERT_TRUE(ours.ok()) << ours.error().str();
        bpf_object* theirs = bpf_object__open_file(path.c_str(), nullptr);
        if (!theirs) {
            // libbpf 1.x refuses only legacy "maps" sections.
            EXPECT_FALSE(ours.value()->maps().empty());
            EXPECT_NE(path.find("legacy"), std::string::npos);
            continue;
        }
        ++compared;
        EXPECT_EQ(ours.value()->name(), bpf_object__name(theirs));

        std::vector<std::string> lib_maps, our_maps;
        bpf_map* m;
        bpf_object__for_each_map(m, theirs) {
            // A perf event array without max_entries: libbpf gives it the CPU
            // count at load, xdpdk at open.
            uint32_t max_entries = bpf_map__max_entries(m);
            if (bpf_map__type(m) == BPF_MAP_TYPE_PERF_EVENT_ARRAY && max_entries == 0) max_entries = opts.ncpus;
            lib_maps.push_back(std::string(bpf_map__name(m)) + " type " + std::to_string(bpf_map__type(m)) + " key " +
                               std::to_string(bpf_map__key_size(m)) + " value " +
                               std::to_string(bpf_map__value_size(m)) + " max " +
                               std::to_string(max_entries) + " flags " +
                               std::to_string(bpf_map__map_flags(m)));
        }
        for (const auto& mine : ours.value()->maps()) {
            auto s = mine->spec();
            // Devmaps get BPF_F_RDONLY_PROG at creation, in the kernel as here;
            // libbpf reports the flags from before creation.
            if (mine->type() == vm::MapType::Devmap || mine->type() == vm::MapType::DevmapHash) s.flags &= ~0x80u;
            our_maps.push_back(s.name + " type " + std::to_string(s.type) + " key " + std::to_string(s.key_size) +
                               " value " + std::to_string(s.value_size) + " max " + std::to_string(s.max_entries) +
                               " flags " + std::to_string(s.flags));
        }
        EXPECT_EQ(our_maps, lib_maps);

        std::set<std::string> lib_progs, our_progs;
        bpf_program* p;
        bpf_object__for_each_program(p, theirs) {
            lib_progs.insert(std::string(bpf_program__name(p)) + " in " + bpf_program__section_name(p));
        }
        for (const auto& mine : ours.value()->programs()) our_progs.insert(mine->name + " in " + mine->section);
        EXPECT_EQ(our_progs, lib_progs);
        bpf_object__close(theirs);
    }
    EXPECT_GE(compared, 8);
}

TEST(ObjectLibbpf, EverySampleObjectLoads) {
    const auto paths = objects_in(dir_of(prog_path("any")));
    ASSERT_FALSE(paths.empty());
    for (const std::string& path : paths) {
        auto obj = Object::open(path);
        ASSERT_TRUE(obj.ok()) << obj.error().str();
        auto loaded = obj.value()->load();
        EXPECT_TRUE(loaded.ok()) << loaded.error().str();
        auto def = obj.value()->default_xdp_program();
        ASSERT_TRUE(def.ok()) << path << ": " << def.error().str();
        EXPECT_FALSE(def.value()->insns.empty()) << path;
        EXPECT_EQ(obj.value()->license().empty(), false) << path;
    }
}

// ---------------------------------------------------------------- refusals

// Just enough ELF editing to damage a good object in chosen places.
struct ElfEditor {
    std::vector<uint8_t> bytes;

    Elf64_Ehdr ehdr() const {
        Elf64_Ehdr h;
        std::memcpy(&h, bytes.data(), sizeof h);
        return h;
    }
    uint64_t shdr_offset(uint32_t index) const { return ehdr().e_shoff + uint64_t{index} * sizeof(Elf64_Shdr); }
    Elf64_Shdr shdr(uint32_t index) const {
        Elf64_Shdr s;
        std::memcpy(&s, bytes.data() + shdr_offset(index), sizeof s);
        return s;
    }
    void set_shdr(uint32_t index, const Elf64_Shdr& s) { std::memcpy(bytes.data() + shdr_offset(index), &s, sizeof s); }
    std::string name(uint32_t index) const {
        const Elf64_Shdr strtab = shdr(ehdr().e_shstrndx);
        return reinterpret_cast<const char*>(bytes.data() + strtab.sh_offset + shdr(index).sh_name);
    }
    uint32_t find(const std::string& section) const {
        for (uint32_t i = 0; i < ehdr().e_shnum; ++i)
            if (name(i) == section) return i;
        throw std::runtime_error("no section " + section);
    }
    Elf64_Rel rel(uint32_t section, uint32_t i) const {
        Elf64_Rel r;
        std::memcpy(&r, bytes.data() + shdr(section).sh_offset + i * sizeof r, sizeof r);
        return r;
    }
    void set_rel(uint32_t section, uint32_t i, const Elf64_Rel& r) {
        std::memcpy(bytes.data() + shdr(section).sh_offset + i * sizeof r, &r, sizeof r);
    }
    uint32_t symbol(const std::string& sym_name) const {
        const uint32_t symtab = find(".symtab");
        const Elf64_Shdr st = shdr(symtab);
        const Elf64_Shdr strs = shdr(st.sh_link);
        for (uint32_t i = 0; i < st.sh_size / sizeof(Elf64_Sym); ++i) {
            Elf64_Sym s;
            std::memcpy(&s, bytes.data() + st.sh_offset + i * sizeof s, sizeof s);
            if (sym_name == reinterpret_cast<const char*>(bytes.data() + strs.sh_offset + s.st_name)) return i;
        }
        throw std::runtime_error("no symbol " + sym_name);
    }
};

class ObjectRefusals : public ::testing::Test {
protected:
    void SetUp() override { elf.bytes = file_bytes(test_prog_path("loader_globals")); }
    ElfEditor elf;
};

TEST_F(ObjectRefusals, MissingFile) {
    auto obj = Object::open("/nonexistent/x.o");
    ASSERT_FALSE(obj.ok());
    EXPECT_EQ(obj.error().str(), "cannot open '/nonexistent/x.o': No such file or directory");
}

TEST_F(ObjectRefusals, NotElfAndTruncatedHeaders) {
    const std::string text = "hello, this is not an object";
    EXPECT_EQ(open_error({reinterpret_cast<const uint8_t*>(text.data()), text.size()}), "elf 'bad.o': not an ELF file");
    EXPECT_EQ(open_error({}), "elf 'bad.o': not an ELF file");
    EXPECT_EQ(open_error(std::span(elf.bytes).first(10)), "elf 'bad.o': truncated ELF header (10 bytes)");
    EXPECT_EQ(open_error(std::span(elf.bytes).first(40)), "elf 'bad.o': truncated ELF header (40 bytes)");
}

TEST_F(ObjectRefusals, EveryTruncationIsRefused) {
    // The section headers sit at the end, so every proper prefix is damaged.
    for (size_t len = 0; len < elf.bytes.size(); ++len) {
        auto obj = Object::open_memory(std::span(elf.bytes).first(len), "cut.o");
        ASSERT_FALSE(obj.ok()) << len;
        EXPECT_EQ(obj.error().subject, "elf 'cut.o'") << len;
    }
}

TEST_F(ObjectRefusals, WrongMachineClassOrByteOrder) {
    auto machine = elf.bytes;
    const uint16_t x86 = EM_X86_64;
    std::memcpy(machine.data() + offsetof(Elf64_Ehdr, e_machine), &x86, sizeof x86);
    EXPECT_EQ(open_error(machine), "elf 'bad.o': not a BPF object (machine 62)");

    auto cls = elf.bytes;
    cls[EI_CLASS] = ELFCLASS32;
    EXPECT_EQ(open_error(cls), "elf 'bad.o': 32-bit ELF is not supported (BPF objects are 64-bit)");

    auto order = elf.bytes;
    order[EI_DATA] = ELFDATA2MSB;
    EXPECT_EQ(open_error(order), "elf 'bad.o': big-endian ELF is not supported (build with -target bpf or bpfel)");

    auto type = elf.bytes;
    const uint16_t exec = ET_EXEC;
    std::memcpy(type.data() + offsetof(Elf64_Ehdr, e_type), &exec, sizeof exec);
    EXPECT_EQ(open_error(type), "elf 'bad.o': not a relocatable object (ELF type 2); build with clang -c");
}

TEST_F(ObjectRefusals, SectionHeadersOutOfBounds) {
    ElfEditor shoff = elf;
    Elf64_Ehdr h = shoff.ehdr();
    h.e_shoff = shoff.bytes.size() - 100;
    std::memcpy(shoff.bytes.data(), &h, sizeof h);
    EXPECT_NE(open_error(shoff.bytes).find("section headers ("), std::string::npos) << open_error(shoff.bytes);

    ElfEditor offset = elf;
    const uint32_t xdp = offset.find("xdp");
    Elf64_Shdr s = offset.shdr(xdp);
    s.sh_offset = 0xfffffff0;
    offset.set_shdr(xdp, s);
    EXPECT_EQ(open_error(offset.bytes), "elf 'bad.o': section " + std::to_string(xdp) + ": contents (offset " +
                                            std::to_string(0xfffffff0) + ", size " + std::to_string(s.sh_size) +
                                            ") lie outside the file (" + std::to_string(elf.bytes.size()) + " bytes)");

    ElfEditor huge = elf;
    s = huge.shdr(xdp);
    s.sh_size = ~uint64_t{0} - 4;  // offset + size overflows
    huge.set_shdr(xdp, s);
    EXPECT_NE(open_error(huge.bytes).find("lie outside the file"), std::string::npos);

    ElfEditor name = elf;
    s = name.shdr(xdp);
    s.sh_name = 0x7fffffff;
    name.set_shdr(xdp, s);
    EXPECT_EQ(open_error(name.bytes), "elf 'bad.o': section " + std::to_string(xdp) + ": name offset " +
                                          std::to_string(0x7fffffff) + " is outside the section name table");
}

TEST_F(ObjectRefusals, ProgramSectionSizeNotInstructionMultiple) {
    const uint32_t xdp = elf.find("xdp");
    Elf64_Shdr s = elf.shdr(xdp);
    s.sh_size -= 4;
    elf.set_shdr(xdp, s);
    EXPECT_EQ(open_error(elf.bytes),
              "elf 'bad.o': section 'xdp': size " + std::to_string(s.sh_size) + " is not a multiple of 8 (the instruction size)");
}

TEST_F(ObjectRefusals, BogusRelocationSymbolIndex) {
    const uint32_t relxdp = elf.find(".relxdp");
    Elf64_Rel r = elf.rel(relxdp, 3);
    r.r_info = ELF64_R_INFO(9999, ELF64_R_TYPE(r.r_info));
    elf.set_rel(relxdp, 3, r);
    EXPECT_NE(open_error(elf.bytes).find("elf 'bad.o': relocation 3 in '.relxdp': symbol index 9999 out of range ("),
              std::string::npos)
        << open_error(elf.bytes);
}

TEST_F(ObjectRefusals, RelocationAgainstUnknownSection) {
    const uint32_t relxdp = elf.find(".relxdp");
    Elf64_Rel r = elf.rel(relxdp, 1);
    r.r_info = ELF64_R_INFO(elf.symbol("LICENSE"), R_BPF_64_64);
    elf.set_rel(relxdp, 1, r);
    EXPECT_EQ(open_error(elf.bytes),
              "elf 'bad.o': relocation 1 in '.relxdp': symbol 'LICENSE' in section 'license' is not a map or global data");
}

TEST_F(ObjectRefusals, RelocationTypeAndPlacement) {
    const uint32_t relxdp = elf.find(".relxdp");
    ElfEditor type = elf;
    Elf64_Rel r = type.rel(relxdp, 0);
    r.r_info = ELF64_R_INFO(ELF64_R_SYM(r.r_info), 77);
    type.set_rel(relxdp, 0, r);
    EXPECT_EQ(open_error(type.bytes), "elf 'bad.o': relocation 0 in '.relxdp': unknown relocation type 77");

    ElfEditor not_lddw = elf;
    r = not_lddw.rel(relxdp, 0);
    r.r_offset += 16;  // the instruction after the lddw
    not_lddw.set_rel(relxdp, 0, r);
    EXPECT_NE(open_error(not_lddw.bytes).find("elf 'bad.o': relocation 0 in '.relxdp': R_BPF_64_64 on insn " +
                                              std::to_string(r.r_offset / 8) + " of 'xdp', which is not lddw"),
              std::string::npos)
        << open_error(not_lddw.bytes);

    ElfEditor outside = elf;
    r = outside.rel(relxdp, 0);
    r.r_offset = 1 << 20;
    outside.set_rel(relxdp, 0, r);
    EXPECT_NE(open_error(outside.bytes).find("relocation 0 in '.relxdp': offset 1048576 is not an instruction of section 'xdp'"),
              std::string::npos);

    ElfEditor misaligned = elf;
    r = misaligned.rel(relxdp, 0);
    r.r_offset += 3;
    misaligned.set_rel(relxdp, 0, r);
    EXPECT_NE(open_error(misaligned.bytes).find("is not an instruction of section 'xdp'"), std::string::npos);
}

// loader_sections' kprobe calls kfuncs: harmless while it is not XDP, a
// refusal at load, by the kfunc's name, once its section is renamed to an
// XDP one.
TEST(ObjectRelocations, UnsupportedFeaturesMatterOnlyInXdpCode) {
    auto obj = open_test_prog("loader_sections");
    ASSERT_TRUE(obj);
    EXPECT_TRUE(obj->load().ok());

    ElfEditor e{file_bytes(test_prog_path("loader_sections"))};
    const uint32_t kprobe = e.find("kprobe/sys_nanosleep");
    const Elf64_Shdr names = e.shdr(e.ehdr().e_shstrndx);
    const char renamed[] = "xdp/sys_nanosleep";
    std::memcpy(e.bytes.data() + names.sh_offset + e.shdr(kprobe).sh_name, renamed, sizeof renamed);
    uint32_t rel = 0;
    for (uint32_t i = 0; i < e.ehdr().e_shnum; ++i)
        if (e.shdr(i).sh_type == SHT_REL && e.shdr(i).sh_info == kprobe) rel = i;
    ASSERT_NE(rel, 0u);
    auto xdp_obj = Object::open_memory(e.bytes, "renamed.o");
    ASSERT_TRUE(xdp_obj) << xdp_obj.error().str();
    Status st = (*xdp_obj)->load();
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().str().find("kfunc bpf_rcu_read_lock is not provided by xdpdk: kernel RCU read-side sections "
                                    "have no meaning outside the kernel"),
              std::string::npos)
        << st.error().str();
}

TEST_F(ObjectRefusals, BadBtf) {
    const uint32_t btf = elf.find(".BTF");
    const uint64_t off = elf.shdr(btf).sh_offset;
    ElfEditor magic = elf;
    magic.bytes[off] ^= 0xff;
    EXPECT_EQ(open_error(magic.bytes), "elf 'bad.o': invalid BTF: bad magic");

    ElfEditor lengths = elf;
    uint32_t huge = 0x7fffffff;
    std::memcpy(lengths.bytes.data() + off + 12, &huge, sizeof huge);  // type_len
    EXPECT_EQ(open_error(lengths.bytes), "elf 'bad.o': invalid BTF: type or string section lies outside the BTF data");
}

TEST_F(ObjectRefusals, BtfMapsWithoutBtf) {
    ElfEditor maps{file_bytes(test_prog_path("loader_btf_maps"))};
    const uint32_t btf = maps.find(".BTF");
    const Elf64_Shdr names = maps.shdr(maps.ehdr().e_shstrndx);
    maps.bytes[names.sh_offset + maps.shdr(btf).sh_name + 3] = 'X';  // ".BTX"
    EXPECT_EQ(open_error(maps.bytes), "elf 'bad.o': the '.maps' section needs BTF to describe its maps (build with -g)");
}

TEST_F(ObjectRefusals, UnsupportedMapTypeNamesTheMap) {
    ElfEditor legacy{file_bytes(test_prog_path("loader_legacy_maps"))};
    const uint32_t maps = legacy.find("maps");
    const uint32_t stack_trace = 7;
    std::memcpy(legacy.bytes.data() + legacy.shdr(maps).sh_offset, &stack_trace, sizeof stack_trace);
    const std::string err = open_error(legacy.bytes);
    EXPECT_EQ(err.rfind("map 'legacy_array': ", 0), 0u) << err;
    EXPECT_NE(err.find("not supported"), std::string::npos) << err;
}

TEST_F(ObjectRefusals, RandomCorruptionNeverCrashes) {
    // Errors must always name their subject; opening may also succeed when a
    // flipped byte lands in debug info.
    std::mt19937 rng(1234);
    for (int round = 0; round < 400; ++round) {
        auto bytes = elf.bytes;
        for (int flips = 0; flips < 4; ++flips) bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
        auto obj = Object::open_memory(bytes, "fuzz.o");
        if (!obj.ok()) {
            const std::string& subject = obj.error().subject;
            EXPECT_TRUE(subject == "elf 'fuzz.o'" || subject.rfind("map '", 0) == 0) << obj.error().str();
            continue;
        }
        auto loaded = obj.value()->load();
        if (!loaded.ok()) {
            EXPECT_EQ(loaded.error().subject.rfind("prog '", 0), 0u) << loaded.error().str();
        }
    }
}

}  // namespace
}  // namespace xdpdk::test
