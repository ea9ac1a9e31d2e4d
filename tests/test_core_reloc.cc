// CO-RE relocations: tests/progs/core_*.bpf.c resolved against target BTFs
// compiled from tests/core_btf/*.c (another layout of the same structs),
// run in both engines over memory laid out by a C++ mirror of the target;
// the listing of Object::core_relocations(); poisoned instructions refused
// only where reached; ambiguity, instruction mismatch and bad --btf files;
// `xdpdk prog show --relocs`.
#include <bpf/btf.h>
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "test_support.h"
#include "vm/btf_ext.h"
#include "vm/core_reloc.h"
#include "vm/elf_file.h"
#include "vm/engine.h"
#include "vm/object.h"
#include "vm/xdp.h"

namespace xdpdk::test {
namespace {

using vm::CoreReloKind;
using vm::CoreRelocation;
using vm::Object;

std::string target_path(const std::string& name) {
    return std::string(std::getenv("XDPDK_BUILD_DIR")) + "/tests/core_btf/" + name + ".o";
}

// The layouts the programs read, as C++ lays them out (the same as clang's
// BPF target for these types).
struct LocalPoint {
    int x, y;
};
struct LocalRec {
    uint32_t id;
    LocalPoint pt;
    unsigned int lo : 3;
    int sval : 5;
    uint32_t count;
    uint32_t gone;
    int arr[4];
};
struct MovedPoint {
    long pad;
    int x, y;
};
struct MovedRec {
    uint64_t stamp;
    uint32_t id;
    MovedPoint pt;
    unsigned int spare : 7;
    unsigned int lo : 3;
    int sval : 5;
    uint64_t count;
    int arr[4];
};

// BTF type id of `name` (a struct) in the object's or the target's BTF.
uint32_t struct_id(const std::string& file, const std::string& name) {
    struct btf* b = btf__parse(file.c_str(), nullptr);
    EXPECT_NE(b, nullptr) << file;
    if (!b) return 0;
    const int id = btf__find_by_name_kind(b, name.c_str(), BTF_KIND_STRUCT);
    btf__free(b);
    return id > 0 ? uint32_t(id) : 0;
}

std::unique_ptr<Object> open_core(const std::string& prog, const std::string& target, vm::EngineKind engine,
                                  std::string* error = nullptr) {
    vm::ObjectOptions opts;
    opts.engine = engine;
    opts.target_btf = target;
    auto obj = Object::open(test_prog_path(prog), opts);
    if (!obj.ok()) {
        if (error) *error = obj.error().str();
        else ADD_FAILURE() << obj.error().str();
        return nullptr;
    }
    return std::move(obj).value();
}

// Loads core_reads, lays `mem` into core_mem, runs it, returns core_out.
template <class Rec>
std::vector<uint64_t> run_core_reads(const std::string& target, vm::EngineKind engine, const Rec& rec) {
    auto obj = open_core("core_reads", target, engine);
    if (!obj) return {};
    auto loaded = obj->load();
    if (!loaded.ok()) {
        ADD_FAILURE() << loaded.error().str();
        return {};
    }
    uint8_t mem[128] = {};
    std::memcpy(mem, &rec, sizeof rec);
    const uint32_t zero = 0;
    EXPECT_EQ(obj->find_map("core_mem")->user_update(&zero, mem, 0), 0);
    uint8_t frame[64] = {};
    vm::XdpBuff xdp{frame, frame + sizeof frame, frame, frame, 1, 0, 0, sizeof frame};
    vm::ExecContext ex;
    EXPECT_EQ(vm::run_xdp(*obj->find_program("core_reads").value(), xdp, ex), uint64_t{vm::XDP_PASS});
    std::vector<uint64_t> out(17);
    EXPECT_EQ(obj->find_map("core_out")->user_lookup(&zero, out.data()), 0);
    return out;
}

class CoreEngines : public ::testing::TestWithParam<vm::EngineKind> {};

// Every kind the program uses, against a target where every field moved.
TEST_P(CoreEngines, ReadsTheTargetsLayout) {
    MovedRec rec{};
    rec.stamp = 0x1111111111111111;
    rec.id = 0xabcd1234;
    rec.pt = {0x7777, 0x3, -123456};
    rec.spare = 0x55;
    rec.lo = 5;
    rec.sval = -5;
    rec.count = 0x123456789;  // wider than the u32 the program was built with
    rec.arr[2] = -42;
    const auto v = run_core_reads(target_path("core_target_moved"), GetParam(), rec);
    ASSERT_EQ(v.size(), 17u);
    EXPECT_EQ(v[0], 0xabcd1234u);
    EXPECT_EQ(v[1], uint64_t(int64_t{-123456}));
    EXPECT_EQ(v[2], 0x123456789u) << "the 4-byte load grows to the target's 8-byte field";
    EXPECT_EQ(v[3], 5u);
    EXPECT_EQ(v[4], uint64_t(int64_t{-5}));
    EXPECT_EQ(v[5], 0u) << "field_exists of a field the target lacks";
    EXPECT_EQ(v[6], 0xdeadu) << "the guarded branch";
    EXPECT_EQ(v[7], sizeof(uint64_t)) << "field size in the target";
    EXPECT_EQ(v[8], 0u) << "type_exists of a type the target lacks";
    EXPECT_EQ(v[9], sizeof(MovedRec));
    EXPECT_EQ(v[10], 0u) << "enumval_exists of CORE_GREEN, which the target dropped";
    EXPECT_EQ(v[11], 7u) << "the target's CORE_BLUE";
    EXPECT_EQ(v[12], struct_id(target_path("core_target_moved"), "core_rec"));
    EXPECT_EQ(v[13], uint64_t(int64_t{-42}));
    EXPECT_EQ(v[14], struct_id(test_prog_path("core_reads"), "core_rec"));
    EXPECT_EQ(v[15], 4u) << "core_flag___new matched the target's core_flag";
    EXPECT_EQ(v[16], 0xbeefu) << "the guarded value of CORE_GREEN";
}

// Without --btf the object's own BTF is the target: the code runs as compiled.
TEST_P(CoreEngines, DefaultTargetIsTheObjectsOwnBtf) {
    LocalRec rec{};
    rec.id = 77;
    rec.pt = {1, -9};
    rec.lo = 6;
    rec.sval = 11;
    rec.count = 0xfeedbeef;
    rec.gone = 0x600d;
    rec.arr[2] = 1234;
    const auto v = run_core_reads("", GetParam(), rec);
    ASSERT_EQ(v.size(), 17u);
    const uint32_t own = struct_id(test_prog_path("core_reads"), "core_rec");
    const std::vector<uint64_t> expected = {77, uint64_t(int64_t{-9}), 0xfeedbeef, 6, 11, 1, 0x600d, 4, 1,
                                            sizeof(LocalRec), 1, 2, own, 1234, own, 0, 1};
    EXPECT_EQ(v, expected);
}


const CoreRelocation* find_reloc(const std::vector<CoreRelocation>& relocs, CoreReloKind kind, const std::string& access,
                                 const std::string& type = "struct core_rec") {
    for (const CoreRelocation& r : relocs)
        if (r.kind == kind && r.access == access && r.type == type) return &r;
    return nullptr;
}

TEST(CoreRelocations, ListedWithLocalAndTargetValues) {
    auto obj = open_core("core_reads", target_path("core_target_moved"), vm::EngineKind::Interp);
    ASSERT_TRUE(obj);
    auto relocs = obj->core_relocations();
    ASSERT_TRUE(relocs.ok()) << relocs.error().str();
    for (const CoreRelocation& r : *relocs) EXPECT_EQ(r.program, "core_reads");

    const CoreRelocation* y = find_reloc(*relocs, CoreReloKind::FieldByteOffset, "0:1:1");
    ASSERT_NE(y, nullptr);
    EXPECT_EQ(y->spec, "core_rec.pt.y");
    EXPECT_EQ(y->local_value, offsetof(LocalRec, pt) + offsetof(LocalPoint, y));
    EXPECT_EQ(y->target_value, offsetof(MovedRec, pt) + offsetof(MovedPoint, y));
    EXPECT_FALSE(y->failure);

    const CoreRelocation* count_size = find_reloc(*relocs, CoreReloKind::FieldByteSize, "0:4");
    ASSERT_NE(count_size, nullptr);
    EXPECT_EQ(count_size->local_value, 4u);
    EXPECT_EQ(count_size->target_value, 8u);

    const CoreRelocation* arr = find_reloc(*relocs, CoreReloKind::FieldByteOffset, "0:6:2");
    ASSERT_NE(arr, nullptr);
    EXPECT_EQ(arr->spec, "core_rec.arr[2]");
    EXPECT_EQ(arr->target_value, offsetof(MovedRec, arr) + 2 * sizeof(int));

    const CoreRelocation* blue = find_reloc(*relocs, CoreReloKind::EnumvalValue, "2", "enum core_color");
    ASSERT_NE(blue, nullptr);
    EXPECT_EQ(blue->spec, "core_color::CORE_BLUE");
    EXPECT_EQ(blue->local_value, 2u);
    EXPECT_EQ(blue->target_value, 7u);

    const CoreRelocation* flavor = find_reloc(*relocs, CoreReloKind::FieldByteOffset, "0:0", "struct core_flag___new");
    ASSERT_NE(flavor, nullptr);
    EXPECT_EQ(flavor->target_value, 4u);

    // The guarded load of `gone` found nothing: poisoned, not refused.
    const CoreRelocation* gone = find_reloc(*relocs, CoreReloKind::FieldByteOffset, "0:5");
    ASSERT_NE(gone, nullptr);
    ASSERT_TRUE(gone->failure);
    EXPECT_NE(gone->failure->reason.find("CO-RE relocation byte_off of struct core_rec (0:5) found no field in the target BTF"),
              std::string::npos)
        << gone->failure->str();
    EXPECT_EQ(gone->failure->insn, int64_t{gone->insn});
    const CoreRelocation* gone_exists = find_reloc(*relocs, CoreReloKind::FieldExists, "0:5");
    ASSERT_NE(gone_exists, nullptr);
    EXPECT_EQ(gone_exists->local_value, 1u);
    EXPECT_EQ(gone_exists->target_value, 0u);
    EXPECT_FALSE(gone_exists->failure);
}

// The poisoned instruction is libbpf's `call 0xbad2310`, and the verifier
// accepted it because no path reaches it.
TEST(CoreRelocations, PoisonsAsLibbpfDoes) {
    std::vector<std::unique_ptr<vm::Program>> forms;
    vm::ObjectOptions opts;
    opts.target_btf = target_path("core_target_moved");
    opts.verified_forms = &forms;
    auto obj = Object::open(test_prog_path("core_reads"), opts);
    ASSERT_TRUE(obj.ok()) << obj.error().str();
    auto relocs = (*obj)->core_relocations();
    ASSERT_TRUE(relocs.ok());
    const CoreRelocation* gone = find_reloc(*relocs, CoreReloKind::FieldByteOffset, "0:5");
    ASSERT_NE(gone, nullptr);
    // An ldimm64 is poisoned in both halves.
    const CoreRelocation* green = find_reloc(*relocs, CoreReloKind::EnumvalValue, "1", "enum core_color");
    ASSERT_NE(green, nullptr);
    ASSERT_TRUE(green->failure);
    EXPECT_NE(green->failure->reason.find("found no enumerator in the target BTF"), std::string::npos);
    ASSERT_TRUE((*obj)->load().ok());
    ASSERT_EQ(forms.size(), 1u);
    for (const uint32_t pc : {gone->insn, green->insn, green->insn + 1}) {
        const vm::RawInsn& in = forms[0]->xlated.at(pc);
        EXPECT_EQ(in.code, 0x85) << pc;
        EXPECT_EQ(in.imm, 0xbad2310) << pc;
        EXPECT_EQ(in.dst, 0) << pc;
        EXPECT_EQ(in.src, 0) << pc;
        EXPECT_EQ(in.off, 0) << pc;
    }
    // Dead code, so removed before the program runs.
    const vm::Program& loaded = *(*obj)->find_program("core_reads").value();
    for (const vm::RawInsn& in : loaded.xlated) EXPECT_FALSE(vm::is_core_poison(in));
}

// A subprogram's relocation is applied once, in .text, and each program
// that appends it carries the relocated code; the listing names both.
TEST_P(CoreEngines, SubprogramCarriesItsRelocatedCode) {
    auto obj = open_core("core_subprog", target_path("core_target_moved"), GetParam());
    ASSERT_TRUE(obj);
    auto relocs = obj->core_relocations();
    ASSERT_TRUE(relocs.ok());
    std::vector<std::string> programs;
    for (const CoreRelocation& r : *relocs) {
        if (r.access != "0:1:1") continue;
        programs.push_back(r.program);
        EXPECT_EQ(r.local_value, offsetof(LocalRec, pt) + offsetof(LocalPoint, y));
        EXPECT_EQ(r.target_value, offsetof(MovedRec, pt) + offsetof(MovedPoint, y));
    }
    EXPECT_EQ(programs, (std::vector<std::string>{"core_sub_a", "core_sub_b"}));
    auto loaded = obj->load();
    ASSERT_TRUE(loaded.ok()) << loaded.error().str();

    MovedRec rec{};
    rec.id = 1000;
    rec.pt.y = -77;
    uint8_t mem[128] = {};
    std::memcpy(mem, &rec, sizeof rec);
    const uint32_t zero = 0;
    ASSERT_EQ(obj->find_map("core_mem")->user_update(&zero, mem, 0), 0);
    for (const char* name : {"core_sub_a", "core_sub_b"}) {
        uint8_t frame[64] = {};
        vm::XdpBuff xdp{frame, frame + sizeof frame, frame, frame, 1, 0, 0, sizeof frame};
        vm::ExecContext ex;
        EXPECT_EQ(vm::run_xdp(*obj->find_program(name).value(), xdp, ex), uint64_t{vm::XDP_PASS}) << name;
    }
    int64_t a = 0, b = 0;
    const uint32_t one = 1;
    ASSERT_EQ(obj->find_map("core_sub_out")->user_lookup(&zero, &a), 0);
    ASSERT_EQ(obj->find_map("core_sub_out")->user_lookup(&one, &b), 0);
    EXPECT_EQ(a, -77);
    EXPECT_EQ(b, -77 + 1000);
}

TEST(CoreRelocations, ReachedPoisonRefusesTheProgram) {
    auto obj = open_core("core_unguarded", target_path("core_target_moved"), vm::EngineKind::Interp);
    ASSERT_TRUE(obj);
    auto relocs = obj->core_relocations();
    ASSERT_TRUE(relocs.ok());
    const CoreRelocation* gone = find_reloc(*relocs, CoreReloKind::FieldByteOffset, "0:1");
    ASSERT_NE(gone, nullptr);
    auto loaded = obj->load();
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().insn, int64_t{gone->insn});
    // The first line; the verifier adds the path that reached it.
    const std::string message = loaded.error().str();
    EXPECT_EQ(message.substr(0, message.find('\n')),
              "prog 'core_unguarded': insn " + std::to_string(gone->insn) +
                  " (core_unguarded.bpf.c:31 '    return r->gone ? XDP_PASS : XDP_DROP;')"
                  ": CO-RE relocation byte_off of struct core_rec (0:1) found no field in the target BTF");
    // The object's own BTF has the field: the same program loads.
    auto own = open_core("core_unguarded", "", vm::EngineKind::Interp);
    ASSERT_TRUE(own);
    EXPECT_TRUE(own->load().ok());
}

TEST(CoreRelocations, AmbiguousCandidatesAreRefused) {
    auto obj = open_core("core_unguarded", target_path("core_target_ambiguous"), vm::EngineKind::Interp);
    ASSERT_TRUE(obj);
    auto relocs = obj->core_relocations();
    ASSERT_TRUE(relocs.ok());
    const CoreRelocation* gone = find_reloc(*relocs, CoreReloKind::FieldByteOffset, "0:1");
    ASSERT_NE(gone, nullptr);
    ASSERT_TRUE(gone->failure);
    EXPECT_NE(gone->failure->reason.find("ambiguous"), std::string::npos) << gone->failure->str();
    EXPECT_NE(gone->failure->reason.find("core_rec___v1"), std::string::npos) << gone->failure->str();
    EXPECT_NE(gone->failure->reason.find("core_rec___v2"), std::string::npos) << gone->failure->str();
    auto loaded = obj->load();
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().insn, int64_t{gone->insn});
    EXPECT_NE(loaded.error().reason.find("CO-RE relocation byte_off of struct core_rec (0:1): ambiguous"),
              std::string::npos)
        << loaded.error().str();
}

// libbpf checks that the instruction holds the local value before patching
// it; an object whose load offset disagrees with its record is refused.
TEST(CoreRelocations, InstructionNotHoldingTheLocalValueIsRefused) {
    const std::string path = test_prog_path("core_unguarded");
    auto obj = open_core("core_unguarded", "", vm::EngineKind::Interp);
    ASSERT_TRUE(obj);
    auto relocs = obj->core_relocations();
    ASSERT_TRUE(relocs.ok());
    const CoreRelocation* gone = find_reloc(*relocs, CoreReloKind::FieldByteOffset, "0:1");
    ASSERT_NE(gone, nullptr);
    ASSERT_EQ(gone->local_value, 4u);

    const std::string bytes = read_file(path);
    auto elf = vm::ElfFile::parse(std::vector<uint8_t>(bytes.begin(), bytes.end()), "elf");
    ASSERT_TRUE(elf.ok());
    const vm::ElfSection* code = elf->find_section("xdp");
    ASSERT_NE(code, nullptr);
    std::vector<uint8_t> mutated(bytes.begin(), bytes.end());
    const size_t at = code->offset + gone->insn * sizeof(vm::RawInsn);
    int16_t off;
    std::memcpy(&off, &mutated[at + 2], sizeof off);
    ASSERT_EQ(off, 4) << "the load of `gone`";
    off = 12;
    std::memcpy(&mutated[at + 2], &off, sizeof off);

    auto bad = Object::open_memory(mutated, "mutated.o");
    ASSERT_TRUE(bad.ok()) << bad.error().str();
    auto listed = (*bad)->core_relocations();
    ASSERT_TRUE(listed.ok());
    const CoreRelocation* r = find_reloc(*listed, CoreReloKind::FieldByteOffset, "0:1");
    ASSERT_NE(r, nullptr);
    ASSERT_TRUE(r->failure);
    EXPECT_EQ(r->failure->insn, int64_t{gone->insn});
    auto loaded = (*bad)->load();
    ASSERT_FALSE(loaded.ok());
    EXPECT_NE(loaded.error().reason.find("load/store offset is 12, expected 4"), std::string::npos)
        << loaded.error().str();
}

// A bitfield's value is not checked against the instruction (the compiler
// may lay its load out otherwise), so the listing shows what the instruction
// held, as libbpf logs it ("imm 8 -> 4"), not the local layout's value.
TEST(CoreRelocations, BitfieldListsWhatTheInstructionHeld) {
    const std::string path = test_prog_path("core_reads");
    auto obj = open_core("core_reads", "", vm::EngineKind::Interp);
    ASSERT_TRUE(obj);
    auto relocs = obj->core_relocations();
    ASSERT_TRUE(relocs.ok());
    const CoreRelocation* lo_size = find_reloc(*relocs, CoreReloKind::FieldByteSize, "0:2");
    ASSERT_NE(lo_size, nullptr);
    ASSERT_EQ(lo_size->local_value, 4u);

    const std::string bytes = read_file(path);
    auto elf = vm::ElfFile::parse(std::vector<uint8_t>(bytes.begin(), bytes.end()), "elf");
    ASSERT_TRUE(elf.ok());
    const vm::ElfSection* code = elf->find_section("xdp");
    ASSERT_NE(code, nullptr);
    std::vector<uint8_t> mutated(bytes.begin(), bytes.end());
    const size_t at = code->offset + lo_size->insn * sizeof(vm::RawInsn);
    int32_t imm;
    std::memcpy(&imm, &mutated[at + 4], sizeof imm);
    ASSERT_EQ(imm, 4) << "the byte size of `lo`";
    imm = 8;
    std::memcpy(&mutated[at + 4], &imm, sizeof imm);

    auto changed = Object::open_memory(mutated, "mutated.o");
    ASSERT_TRUE(changed.ok()) << changed.error().str();
    auto listed = (*changed)->core_relocations();
    ASSERT_TRUE(listed.ok());
    const CoreRelocation* r = find_reloc(*listed, CoreReloKind::FieldByteSize, "0:2");
    ASSERT_NE(r, nullptr);
    EXPECT_FALSE(r->failure);
    EXPECT_EQ(r->local_value, 8u);
    EXPECT_EQ(r->target_value, 4u);
}

// clang 14 loads an unsigned enumerator >= 2^31 zero-extended; libbpf reads
// the enum32 value as __s32 and refuses the object. We accept it (the
// object's own BTF must load it) and patch the target value zero-extended.
TEST_P(CoreEngines, UnsignedEnumeratorPastInt32MaxLoads) {
    for (const auto& [target, expected] : {std::pair<std::string, uint64_t>{"", 0x80000000u},
                                           {target_path("core_target_moved"), 0x80000010u}}) {
        SCOPED_TRACE(target);
        auto obj = open_core("core_enum_big", target, GetParam());
        ASSERT_TRUE(obj);
        auto relocs = obj->core_relocations();
        ASSERT_TRUE(relocs.ok());
        const CoreRelocation* big = find_reloc(*relocs, CoreReloKind::EnumvalValue, "0", "enum core_big");
        ASSERT_NE(big, nullptr);
        EXPECT_FALSE(big->failure) << big->failure->str();
        EXPECT_EQ(big->local_value, 0x80000000u);
        auto loaded = obj->load();
        ASSERT_TRUE(loaded.ok()) << loaded.error().str();
        uint8_t frame[64] = {};
        vm::XdpBuff xdp{frame, frame + sizeof frame, frame, frame, 1, 0, 0, sizeof frame};
        vm::ExecContext ex;
        EXPECT_EQ(vm::run_xdp(*obj->find_program("core_enum_big").value(), xdp, ex), uint64_t{vm::XDP_PASS});
        const uint32_t zero = 0;
        uint64_t out = 0;
        EXPECT_EQ(obj->find_map("core_big_out")->user_lookup(&zero, &out), 0);
        EXPECT_EQ(out, expected);
    }
}

// The raw BTF of `b`, written to a file of the test's temp dir.
std::string write_raw_btf(struct btf* b, const std::string& name) {
    uint32_t size = 0;
    const void* raw = btf__raw_data(b, &size);
    const std::string path = temp_dir() + "/" + name;
    write_file(path, std::string(static_cast<const char*>(raw), size));
    return path;
}

// A target whose struct core_rec holds two anonymous unions, each two of
// the next, 40 deep: searching it for `pt` takes 2^40 steps unless bounded.
TEST(CoreRelocations, HostileTargetIsRefusedPromptly) {
    struct btf* b = btf__new_empty();
    ASSERT_NE(b, nullptr);
    int inner = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
    ASSERT_GT(inner, 0);
    for (int level = 40; level >= 1; --level) {
        const int u = btf__add_union(b, ("core_deep" + std::to_string(level)).c_str(), 4);
        ASSERT_GT(u, 0);
        ASSERT_EQ(btf__add_field(b, level == 40 ? "z" : nullptr, inner, 0, 0), 0);
        if (level != 40) {
            ASSERT_EQ(btf__add_field(b, nullptr, inner, 0, 0), 0);
        }
        inner = u;
    }
    ASSERT_GT(btf__add_struct(b, "core_rec", 4), 0);
    ASSERT_EQ(btf__add_field(b, nullptr, inner, 0, 0), 0);
    ASSERT_EQ(btf__add_field(b, nullptr, inner, 0, 0), 0);
    const std::string path = write_raw_btf(b, "hostile.btf");
    btf__free(b);

    auto obj = open_core("core_reads", path, vm::EngineKind::Interp);
    ASSERT_TRUE(obj);
    auto relocs = obj->core_relocations();
    ASSERT_TRUE(relocs.ok());
    const CoreRelocation* y = find_reloc(*relocs, CoreReloKind::FieldByteOffset, "0:1:1");
    ASSERT_NE(y, nullptr);
    ASSERT_TRUE(y->failure);
    EXPECT_TRUE(y->refused);
    EXPECT_NE(y->failure->reason.find("target BTF too complex"), std::string::npos) << y->failure->str();
    ASSERT_FALSE(obj->load().ok());
}

// Resolves one record against the local BTF itself.
Status resolve_local(struct btf* local, uint32_t type_id, const char* access, CoreReloKind kind,
                     vm::CoreResolution& res) {
    vm::CoreResolver resolver(local, nullptr);
    return resolver.resolve(vm::BtfCoreRecord{0, type_id, access, uint32_t(kind)}, res);
}

// 0xffffffff elements of a (malformed) 0xe0000001-byte struct is 2^67 bits
// less a little: in 64 bits it wraps to 0xfffffff8, which fits in 32.
TEST(CoreRelocations, ElementOffsetOverflowIsRefused) {
    struct btf* b = btf__new_empty();
    ASSERT_NE(b, nullptr);
    const int huge = btf__add_struct(b, "core_huge", 0xe0000001u);
    ASSERT_GT(huge, 0);
    vm::CoreResolution res;
    const Status st = resolve_local(b, uint32_t(huge), "4294967295", CoreReloKind::FieldByteOffset, res);
    btf__free(b);
    ASSERT_FALSE(st.ok()) << "byte_off " << res.local_value;
    EXPECT_NE(st.error().reason.find("offset of element 4294967295 overflows"), std::string::npos) << st.error().str();
}

// libbpf computes lshift_u64/rshift_u64 in 32 bits and widens: for a
// 128-bit field, 64 - 128 is 0xffffffc0, not a 64-bit wrap.
TEST(CoreRelocations, ShiftsOfWideFieldsAreComputedIn32Bits) {
    struct btf* b = btf__new_empty();
    ASSERT_NE(b, nullptr);
    const int u64 = btf__add_int(b, "u64", 8, 0);
    const int pair = btf__add_struct(b, "core_pair", 16);
    ASSERT_EQ(btf__add_field(b, "a", u64, 0, 0), 0);
    ASSERT_EQ(btf__add_field(b, "b", u64, 64, 0), 0);
    const int outer = btf__add_struct(b, "core_outer", 16);
    ASSERT_EQ(btf__add_field(b, "p", pair, 0, 0), 0);
    vm::CoreResolution lshift, rshift;
    ASSERT_TRUE(resolve_local(b, uint32_t(outer), "0:0", CoreReloKind::FieldLshiftU64, lshift).ok());
    ASSERT_TRUE(resolve_local(b, uint32_t(outer), "0:0", CoreReloKind::FieldRshiftU64, rshift).ok());
    btf__free(b);
    EXPECT_EQ(lshift.local_value, 0xffffffc0u);
    EXPECT_EQ(lshift.target_value, 0xffffffc0u);
    EXPECT_EQ(rshift.local_value, 0xffffffc0u);
}

// Renames the section `from` to `to` (same length) in an ELF64 image.
void rename_section(std::vector<uint8_t>& elf, const std::string& from, const std::string& to) {
    auto get = [&](size_t at, auto v) {
        std::memcpy(&v, &elf[at], sizeof v);
        return v;
    };
    const uint64_t shoff = get(0x28, uint64_t{});
    const uint16_t shentsize = get(0x3a, uint16_t{}), shnum = get(0x3c, uint16_t{}), shstrndx = get(0x3e, uint16_t{});
    const uint64_t strtab = get(shoff + size_t{shstrndx} * shentsize + 0x18, uint64_t{});
    for (uint16_t i = 0; i < shnum; ++i) {
        const uint32_t name = get(shoff + size_t{i} * shentsize, uint32_t{});
        char* at = reinterpret_cast<char*>(&elf[strtab + name]);
        if (from == at) {
            std::memcpy(at, to.data(), to.size());
            return;
        }
    }
    ADD_FAILURE() << "no section " << from;
}

// .BTF.ext cannot be read without .BTF: with --btf its CO-RE records would
// be skipped and the code left as compiled, so the object is refused.
TEST(CoreRelocations, RecordsWithoutBtfAreRefusedWithATarget) {
    const std::string text = read_file(test_prog_path("core_nomaps"));
    std::vector<uint8_t> bytes(text.begin(), text.end());
    rename_section(bytes, ".BTF", ".BTX");
    vm::ObjectOptions opts;
    opts.target_btf = target_path("core_target_moved");
    auto obj = Object::open_memory(bytes, "stripped.o", opts);
    ASSERT_FALSE(obj.ok());
    EXPECT_EQ(obj.error().str(), "elf 'stripped.o': has CO-RE relocations in .BTF.ext but no .BTF");
    // Without a target nothing would change: it opens as before.
    auto own = Object::open_memory(bytes, "stripped.o");
    EXPECT_TRUE(own.ok()) << own.error().str();
}

TEST(CoreTargetBtf, RefusesFilesThatAreNotBtf) {
    auto missing = vm::load_target_btf("/nonexistent/vmlinux");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().str(), "btf '/nonexistent/vmlinux': cannot open: No such file or directory");

    const std::string text = source_path("tests/core_btf/not_btf.txt");
    auto not_btf = vm::load_target_btf(text);
    ASSERT_FALSE(not_btf.ok());
    EXPECT_EQ(not_btf.error().str(), "btf '" + text + "': not BTF: neither raw BTF (magic 0xeb9f) nor an ELF file "
                                                      "with a .BTF section");

    // An ELF file without .BTF: the xdpdk binary itself.
    auto no_section = vm::load_target_btf(xdpdk_binary());
    ASSERT_FALSE(no_section.ok());
    EXPECT_EQ(no_section.error().subject, "btf '" + xdpdk_binary() + "'");
    EXPECT_EQ(no_section.error().reason.rfind("ELF file without valid .BTF", 0), 0u) << no_section.error().str();

    // Raw BTF cut short: the magic, then nothing libbpf can read.
    const std::string dir = temp_dir();
    write_file(dir + "/short.btf", std::string("\x9f\xeb\x01\x00\x18\x00\x00\x00", 8));
    auto truncated = vm::load_target_btf(dir + "/short.btf");
    ASSERT_FALSE(truncated.ok());
    EXPECT_EQ(truncated.error().reason.rfind("invalid raw BTF", 0), 0u) << truncated.error().str();

    // The object-level option reports it the same way.
    vm::ObjectOptions opts;
    opts.target_btf = text;
    auto obj = Object::open(test_prog_path("core_reads"), opts);
    ASSERT_FALSE(obj.ok());
    EXPECT_EQ(obj.error().subject, "btf '" + text + "'");
}

TEST(CoreTargetBtf, ReadsRawBtfAndElf) {
    auto elf = vm::load_target_btf(target_path("core_target_moved"));
    ASSERT_TRUE(elf.ok()) << elf.error().str();
    EXPECT_GT(btf__find_by_name_kind(elf->get(), "core_rec", BTF_KIND_STRUCT), 0);
    // The same BTF as raw bytes, as /sys/kernel/btf/vmlinux is.
    uint32_t size = 0;
    const void* raw = btf__raw_data(elf->get(), &size);
    const std::string dir = temp_dir();
    write_file(dir + "/moved.btf", std::string(static_cast<const char*>(raw), size));
    auto raw_btf = vm::load_target_btf(dir + "/moved.btf");
    ASSERT_TRUE(raw_btf.ok()) << raw_btf.error().str();
    EXPECT_EQ(btf__find_by_name_kind(raw_btf->get(), "core_rec", BTF_KIND_STRUCT),
              btf__find_by_name_kind(elf->get(), "core_rec", BTF_KIND_STRUCT));
}

// The core_relo record of `kind` at the first record of that kind, in the
// object's .BTF.ext: its byte offset in `elf`.
size_t core_record_at(const std::vector<uint8_t>& elf_bytes, uint32_t kind) {
    auto elf = vm::ElfFile::parse(elf_bytes, "elf");
    EXPECT_TRUE(elf.ok());
    const vm::ElfSection* ext = elf.ok() ? elf->find_section(".BTF.ext") : nullptr;
    if (!ext) return 0;
    auto u32 = [&](size_t at) {
        uint32_t v;
        std::memcpy(&v, &elf_bytes[ext->offset + at], sizeof v);
        return v;
    };
    const uint32_t hdr_len = u32(4), core_off = u32(24), core_len = u32(28);
    const size_t block = hdr_len + core_off;
    const uint32_t rec_size = u32(block);
    for (size_t at = block + 4; at < block + core_len;) {
        const uint32_t count = u32(at + 4);
        at += 8;
        for (uint32_t i = 0; i < count; ++i, at += rec_size)
            if (u32(at + 12) == kind) return ext->offset + at;
    }
    ADD_FAILURE() << "no record of kind " << kind;
    return 0;
}

// clang 14 cannot write type_matches (bpf_core_type_matches needs clang
// 15), so core_reads' type_exists record is made one: same instruction
// (`r = 1`), same access string "0", another root type.
TEST(CoreRelocations, TypeMatchesIsStricterThanExists) {
    const std::string path = test_prog_path("core_reads");
    const std::string text = read_file(path);
    const std::vector<uint8_t> bytes(text.begin(), text.end());
    const size_t record = core_record_at(bytes, uint32_t(CoreReloKind::TypeExists));
    ASSERT_NE(record, 0u);
    // core_rec: the target's lacks `gone`, so no match although it exists;
    // core_point: every local member is in the target's (moved), a match.
    for (const auto& [type, expected] : {std::pair<std::string, uint64_t>{"core_rec", 0}, {"core_point", 1}}) {
        SCOPED_TRACE(type);
        std::vector<uint8_t> mutated = bytes;
        const uint32_t id = struct_id(path, type), kind = uint32_t(CoreReloKind::TypeMatches);
        ASSERT_NE(id, 0u);
        std::memcpy(&mutated[record + 4], &id, sizeof id);
        std::memcpy(&mutated[record + 12], &kind, sizeof kind);
        vm::ObjectOptions opts;
        opts.target_btf = target_path("core_target_moved");
        auto obj = Object::open_memory(mutated, "matches.o", opts);
        ASSERT_TRUE(obj.ok()) << obj.error().str();
        auto relocs = (*obj)->core_relocations();
        ASSERT_TRUE(relocs.ok());
        const CoreRelocation* m = find_reloc(*relocs, CoreReloKind::TypeMatches, "0", "struct " + type);
        ASSERT_NE(m, nullptr);
        EXPECT_FALSE(m->failure);
        EXPECT_EQ(m->local_value, 1u);
        EXPECT_EQ(m->target_value, expected);
        // As its own target, every type matches itself.
        auto own = Object::open_memory(mutated, "matches.o");
        ASSERT_TRUE(own.ok());
        auto own_relocs = (*own)->core_relocations();
        ASSERT_TRUE(own_relocs.ok());
        const CoreRelocation* self = find_reloc(*own_relocs, CoreReloKind::TypeMatches, "0", "struct " + type);
        ASSERT_NE(self, nullptr);
        EXPECT_EQ(self->target_value, 1u);
    }
}

TEST(ProgShowRelocs, ListsEachRelocation) {
    const auto r = run_command({xdpdk_binary(), "prog", "show", test_prog_path("core_reads"), "--relocs", "--btf",
                                target_path("core_target_moved")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("\tCO-RE relocations:\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(" byte_off struct core_rec 0:1:1 (core_rec.pt.y): 8 -> 28\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(" enumval_value enum core_color 2 (core_color::CORE_BLUE): 2 -> 7\n"), std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find(" byte_off struct core_rec 0:5 (core_rec.gone): 20 -> poisoned: CO-RE relocation byte_off of "
                         "struct core_rec (0:5) found no field in the target BTF\n"),
              std::string::npos)
        << r.out;

    const auto j = run_command({xdpdk_binary(), "prog", "show", test_prog_path("core_unguarded"), "--relocs", "--btf",
                                target_path("core_target_ambiguous"), "-j"});
    ASSERT_EQ(j.exit_code, 0) << j.err;
    const auto doc = nlohmann::json::parse(j.out);
    ASSERT_EQ(doc.size(), 1u);
    EXPECT_FALSE(doc[0]["loaded"].get<bool>());
    const auto& relocs = doc[0]["core_relocations"];
    ASSERT_EQ(relocs.size(), 1u) << j.out;
    EXPECT_EQ(relocs[0]["kind"], "byte_off");
    EXPECT_EQ(relocs[0]["type"], "struct core_rec");
    EXPECT_EQ(relocs[0]["access"], "0:1");
    EXPECT_EQ(relocs[0]["spec"], "core_rec.gone");
    EXPECT_EQ(relocs[0]["local"], 4u);
    EXPECT_EQ(relocs[0]["status"], "refused");
    EXPECT_NE(relocs[0]["reason"].get<std::string>().find("ambiguous"), std::string::npos);
}

TEST(ProgShowRelocs, BtfThatIsNotBtfIsOneLine) {
    const std::string text = source_path("tests/core_btf/not_btf.txt");
    for (const std::vector<std::string>& cmd :
         {std::vector<std::string>{"prog", "show", test_prog_path("core_reads"), "--relocs"},
          std::vector<std::string>{"prog", "verify", test_prog_path("core_reads")},
          std::vector<std::string>{"prog", "dump", "xlated", test_prog_path("core_reads")}}) {
        std::vector<std::string> args{xdpdk_binary()};
        args.insert(args.end(), cmd.begin(), cmd.end());
        args.insert(args.end(), {"--btf", text});
        const auto r = run_command(args);
        EXPECT_EQ(r.exit_code, 1) << cmd[1];
        EXPECT_EQ(r.err, "xdpdk: btf '" + text +
                             "': not BTF: neither raw BTF (magic 0xeb9f) nor an ELF file with a .BTF section\n")
            << cmd[1];
    }
}

INSTANTIATE_TEST_SUITE_P(Engines, CoreEngines, ::testing::Values(vm::EngineKind::Interp, vm::EngineKind::Jit),
                         [](const auto& info) { return info.param == vm::EngineKind::Jit ? "Jit" : "Interp"; });

}  // namespace
}  // namespace xdpdk::test
