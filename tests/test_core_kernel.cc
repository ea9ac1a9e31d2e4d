// CO-RE against libbpf and the kernel (issue 16). Programs compiled against
// one layout of a struct (tests/progs/core) are relocated against target
// BTFs that lay it out differently; xdpdk's relocated instructions must be
// libbpf 1.1's for the same object and target (bpf_object__open_file with
// btf_custom_path, bpf_object__load, bpf_program__insns), the programs must
// read what memory laid out per the target holds in both engines, and the
// kernel's BPF_PROG_TEST_RUN of libbpf's relocation must give the same
// results. Unresolvable relocations poison their instruction as libbpf does:
// refused only where reached, and then with the type and access string.
#include <gtest/gtest.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dual_runtime.h"
#include "kernel_oracle.h"
#include "test_support.h"
#include "vm/core_reloc.h"
#include "vm/engine.h"
#include "vm/object.h"
#include "vm/packet.h"

namespace xdpdk::test {
namespace {

constexpr vm::EngineKind kEngines[] = {vm::EngineKind::Interp, vm::EngineKind::Jit};

const char* engine_name(vm::EngineKind e) { return e == vm::EngineKind::Jit ? "jit" : "interp"; }

std::string core_path(const std::string& name) {
    return std::string(std::getenv("XDPDK_BUILD_DIR")) + "/tests/progs/core/" + name + ".o";
}

// ---- The target BTF, read with libbpf, for what the test expects -------

struct BtfDeleter {
    void operator()(btf* b) const { btf__free(b); }
};
using BtfPtr = std::unique_ptr<btf, BtfDeleter>;

BtfPtr parse_btf(const std::string& path) { return BtfPtr(btf__parse(path.c_str(), nullptr)); }

constexpr uint32_t kNoMember = ~0u;

// Byte offset of `member` in struct `name`, kNoMember when either is missing.
uint32_t member_offset(const btf* b, const char* name, const char* member) {
    const int id = btf__find_by_name_kind(b, name, BTF_KIND_STRUCT);
    if (id <= 0) return kNoMember;
    const btf_type* t = btf__type_by_id(b, uint32_t(id));
    const btf_member* m = btf_members(t);
    for (uint16_t i = 0; i < btf_vlen(t); ++i)
        if (std::strcmp(btf__name_by_offset(b, m[i].name_off), member) == 0) return btf_member_bit_offset(t, i) / 8;
    return kNoMember;
}

uint32_t struct_size(const btf* b, const char* name) {
    const int id = btf__find_by_name_kind(b, name, BTF_KIND_STRUCT);
    return id > 0 ? btf__type_by_id(b, uint32_t(id))->size : 0;
}

template <class T>
void put_at(Bytes& mem, uint32_t off, T v) {
    ASSERT_LE(off + sizeof(T), mem.size());
    std::memcpy(mem.data() + off, &v, sizeof(T));
}

// ---- libbpf's relocation: the oracle -----------------------------------

struct LibbpfResult {
    bool loaded = false;
    std::string error;
    std::map<std::string, std::vector<bpf_insn>> insns;  // by program name, after relocation
};

// Opens `object` with `target` as btf_custom_path and loads it (only
// `only` when given, as bpf_program__set_autoload leaves the rest alone):
// libbpf relocates at load, so this needs the kernel. Instructions are read
// after the load whether it succeeded or not (libbpf 1.1 keeps them).
LibbpfResult libbpf_relocate(const std::string& object, const std::string& target, const std::string& only = "") {
    LibbpfResult r;
    auto kobj = KernelObject::open(object, target);
    if (!kobj) {
        r.error = kobj.error().str();
        return r;
    }
    bpf_program* prog;
    if (!only.empty())
        bpf_object__for_each_program(prog, (*kobj)->raw()) bpf_program__set_autoload(prog, only == bpf_program__name(prog));
    auto st = (*kobj)->load();
    r.loaded = st.ok();
    if (!st.ok()) r.error = st.error().str();
    bpf_object__for_each_program(prog, (*kobj)->raw()) {
        const bpf_insn* in = bpf_program__insns(prog);
        r.insns[bpf_program__name(prog)].assign(in, in + bpf_program__insn_cnt(prog));
    }
    return r;
}

// Every XDP program as xdpdk's verifier saw it: relocated (CO-RE included),
// not yet rewritten to the runtime's context. Refusals come back as errors.
Result<std::map<std::string, std::unique_ptr<vm::Program>>> xdpdk_relocate(const std::string& object,
                                                                           const std::string& target,
                                                                           const std::string& only = "") {
    std::vector<std::unique_ptr<vm::Program>> forms;
    vm::ObjectOptions opts;
    opts.target_btf = target;
    opts.verified_forms = &forms;
    XDPDK_ASSIGN_OR_RETURN(auto obj, vm::Object::open(object, opts));
    if (!only.empty()) {
        XDPDK_ASSIGN_OR_RETURN(vm::Program * p, obj->find_program(only));
        XDPDK_RETURN_IF_ERROR(obj->load_only({p}));
    }
    XDPDK_RETURN_IF_ERROR(obj->load());
    std::map<std::string, std::unique_ptr<vm::Program>> out;
    std::vector<std::string> names;
    for (const auto& p : obj->programs())
        if (p->type == vm::ProgType::Xdp && (only.empty() || p->name == only)) names.push_back(p->name);
    if (names.size() != forms.size())
        return make_error(object, std::to_string(forms.size()) + " verified forms for " + std::to_string(names.size()) +
                                      " programs");
    for (size_t i = 0; i < names.size(); ++i) out[names[i]] = std::move(forms[i]);
    return out;
}

std::string insn_text(const bpf_insn& i) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "code 0x%02x dst r%u src r%u off %d imm %d", i.code, i.dst_reg, i.src_reg, i.off,
                  i.imm);
    return buf;
}

// "" when xdpdk's relocated program is libbpf's, else the differences. An
// lddw of a map holds a map fd in libbpf's and the map itself in xdpdk's:
// only its opcode and destination are compared.
std::string compare_with_libbpf(const vm::Program& ours, const std::vector<bpf_insn>& libbpfs) {
    std::string diff;
    if (ours.xlated.size() != libbpfs.size())
        return "length: xdpdk " + std::to_string(ours.xlated.size()) + ", libbpf " + std::to_string(libbpfs.size());
    std::set<uint32_t> map_lddws;
    for (const vm::LddwOrigin& o : ours.lddw_origins) {
        map_lddws.insert(o.insn);
        map_lddws.insert(o.insn + 1);
    }
    int reported = 0;
    for (uint32_t pc = 0; pc < libbpfs.size(); ++pc) {
        bpf_insn mine;
        static_assert(sizeof(mine) == sizeof(ours.xlated[pc]));
        std::memcpy(&mine, &ours.xlated[pc], sizeof(mine));
        const bpf_insn& theirs = libbpfs[pc];
        bool same = mine.code == theirs.code && mine.dst_reg == theirs.dst_reg;
        if (!map_lddws.contains(pc))
            same = same && mine.src_reg == theirs.src_reg && mine.off == theirs.off && mine.imm == theirs.imm;
        if (!same && reported++ < 8)
            diff += "insn " + std::to_string(pc) + ": xdpdk " + insn_text(mine) + ", libbpf " + insn_text(theirs) + "; ";
    }
    return diff;
}

// Both loaders on one object and target: the same programs load, and each
// relocated program is instruction for instruction libbpf's.
// `ours` is xdpdk's target when it differs from libbpf's ("": the object's
// own BTF, xdpdk's default, which libbpf takes as btf_custom_path = the object).
void expect_relocated_like_libbpf(const std::string& object, const std::string& target,
                                  const std::optional<std::string>& ours_target = std::nullopt) {
    SCOPED_TRACE(object + " against " + target);
    const LibbpfResult theirs = libbpf_relocate(object, target);
    ASSERT_TRUE(theirs.loaded) << theirs.error;
    auto ours = xdpdk_relocate(object, ours_target.value_or(target));
    ASSERT_TRUE(ours.ok()) << ours.error().str();
    ASSERT_EQ(ours->size(), theirs.insns.size());
    for (const auto& [name, prog] : *ours) {
        auto it = theirs.insns.find(name);
        ASSERT_NE(it, theirs.insns.end()) << name;
        EXPECT_EQ(compare_with_libbpf(*prog, it->second), "") << "prog '" << name << "'";
    }
}

// ---- The proof: core_task against an older and a newer kernel ---------

struct TaskSeen {
    uint64_t flags, status, state, has_syscall_work, syscall_work, has_sched_ext, sched_ext_size;
};

constexpr uint64_t kFlags = 0x1122334455667788;
constexpr uint64_t kSyscallWork = 0x0badc0de0badc0de;
constexpr uint32_t kStatus = 0x5eed5eed;
constexpr int64_t kState = -0x4242;

// A task as the target kernel lays it out, found through its BTF.
Bytes task_memory(const btf* target) {
    Bytes mem(64, 0xee);
    const uint32_t ti = member_offset(target, "task_struct", "thread_info");
    put_at(mem, ti + member_offset(target, "thread_info", "flags"), kFlags);
    put_at(mem, ti + member_offset(target, "thread_info", "status"), kStatus);
    if (const uint32_t sw = member_offset(target, "thread_info", "syscall_work"); sw != kNoMember)
        put_at(mem, ti + sw, kSyscallWork);
    put_at(mem, member_offset(target, "task_struct", "state"), kState);
    return mem;
}

// What read_task must find in a task laid out per `target`.
TaskSeen expected_seen(const btf* target) {
    TaskSeen s{};
    s.flags = kFlags;
    s.status = kStatus;
    s.state = uint64_t(kState);
    s.has_syscall_work = member_offset(target, "thread_info", "syscall_work") != kNoMember;
    s.syscall_work = s.has_syscall_work ? kSyscallWork : 0;
    s.sched_ext_size = struct_size(target, "sched_ext_entity");
    s.has_sched_ext = s.sched_ext_size != 0;
    return s;
}

std::string seen_text(const TaskSeen& s) {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "flags %#llx status %#llx state %#llx has_syscall_work %llu syscall_work %#llx has_sched_ext %llu "
                  "sched_ext_size %llu",
                  (unsigned long long)s.flags, (unsigned long long)s.status, (unsigned long long)s.state,
                  (unsigned long long)s.has_syscall_work, (unsigned long long)s.syscall_work,
                  (unsigned long long)s.has_sched_ext, (unsigned long long)s.sched_ext_size);
    return buf;
}

const Bytes kPacket = [] {
    Bytes p(64, 0);
    for (size_t i = 0; i < p.size(); ++i) p[i] = uint8_t(i * 7);
    return p;
}();

TEST(CoreProof, TheTargetsDifferWhereTheProofNeedsThem) {
    // Without this the proof below would prove nothing: the newer kernel
    // moves status and state, the older one is the program's own layout.
    BtfPtr newer = parse_btf(core_path("core_task_btf_new"));
    BtfPtr older = parse_btf(core_path("core_task_btf_old"));
    BtfPtr own = parse_btf(core_path("core_task"));
    ASSERT_TRUE(newer && older && own);
    EXPECT_NE(member_offset(newer.get(), "thread_info", "status"), member_offset(own.get(), "thread_info", "status"));
    EXPECT_NE(member_offset(newer.get(), "task_struct", "state"), member_offset(own.get(), "task_struct", "state"));
    EXPECT_EQ(member_offset(older.get(), "thread_info", "status"), member_offset(own.get(), "thread_info", "status"));
    EXPECT_EQ(member_offset(older.get(), "thread_info", "syscall_work"), kNoMember);
    EXPECT_EQ(struct_size(older.get(), "sched_ext_entity"), 0u);
    EXPECT_NE(struct_size(newer.get(), "sched_ext_entity"), 0u);
}

TEST(CoreProof, ReadsTheTargetsLayoutInBothEngines) {
    for (const char* target_name : {"core_task_btf_new", "core_task_btf_old"}) {
        const std::string target = core_path(target_name);
        BtfPtr tb = parse_btf(target);
        ASSERT_TRUE(tb) << target;
        const TaskSeen want = expected_seen(tb.get());
        for (vm::EngineKind engine : kEngines) {
            SCOPED_TRACE(std::string(target_name) + ", " + engine_name(engine));
            vm::ObjectOptions opts;
            opts.engine = engine;
            opts.target_btf = target;
            auto obj = vm::Object::open(core_path("core_task"), opts);
            ASSERT_TRUE(obj.ok()) << obj.error().str();
            ASSERT_TRUE((*obj)->load().ok());
            const Bytes mem = task_memory(tb.get());
            const uint32_t zero = 0;
            ASSERT_EQ((*obj)->find_map("tasks")->user_update(&zero, mem.data(), vm::kAny), 0);
            auto prog = (*obj)->find_program("read_task");
            ASSERT_TRUE(prog.ok()) << prog.error().str();
            vm::PacketFrame frame(kPacket);
            vm::ExecContext ex;
            EXPECT_EQ(vm::run_xdp(**prog, frame.xdp(), ex), uint64_t(XDP_PASS)) << (ex.fault ? ex.fault : "");
            TaskSeen got{};
            ASSERT_EQ((*obj)->find_map("seen")->user_lookup(&zero, &got), 0);
            EXPECT_EQ(seen_text(got), seen_text(want));
            uint32_t status_in_packet;
            std::memcpy(&status_in_packet, frame.data().data(), 4);
            EXPECT_EQ(status_in_packet, kStatus);
        }
    }
}

TEST(CoreProof, RelocatedInstructionsAreLibbpfs) {
    SKIP_WITHOUT_KERNEL();
    expect_relocated_like_libbpf(core_path("core_task"), core_path("core_task_btf_new"));
    // The older kernel: syscall_work's read is poisoned (call 0xbad2310)
    // under a bpf_core_field_exists that is now 0, so both load.
    expect_relocated_like_libbpf(core_path("core_task"), core_path("core_task_btf_old"));
    // The object's own BTF as the target, as libbpf takes it from the file,
    // and as xdpdk's default (no target given). Its thread_info___v2 is a
    // candidate for itself, so syscall_work exists there, as libbpf says.
    expect_relocated_like_libbpf(core_path("core_task"), core_path("core_task"));
    expect_relocated_like_libbpf(core_path("core_task"), core_path("core_task"), "");
}

TEST(CoreProof, RunsAsTheKernelRunsLibbpfsRelocation) {
    SKIP_WITHOUT_KERNEL();
    for (const char* target_name : {"core_task_btf_new", "core_task_btf_old"}) {
        BtfPtr tb = parse_btf(core_path(target_name));
        ASSERT_TRUE(tb);
        for (vm::EngineKind engine : kEngines) {
            SCOPED_TRACE(std::string(target_name) + ", " + engine_name(engine));
            DualRuntime rt;
            rt.engine = engine;
            rt.target_btf = core_path(target_name);
            const std::string err = rt.open(core_path("core_task"), {}, {{"tasks", Bytes(4, 0), task_memory(tb.get())}});
            ASSERT_EQ(err, "");
            ASSERT_EQ(rt.select_program("read_task"), "");
            DualRuntime::Outcome out;
            EXPECT_EQ(rt.run_and_compare(kPacket, {}, 0, &out), "");
            EXPECT_EQ(out.kernel.action, uint32_t(XDP_PASS));
            rt.expect_same_maps(true, "after read_task");
        }
    }
}

// ---- Every relocation kind ----------------------------------------------

std::set<vm::CoreReloKind> kinds_of(const std::string& object, const std::string& target) {
    std::set<vm::CoreReloKind> kinds;
    vm::ObjectOptions opts;
    opts.target_btf = target;
    auto obj = vm::Object::open(object, opts);
    EXPECT_TRUE(obj.ok()) << obj.error().str();
    if (!obj.ok()) return kinds;
    auto relocs = (*obj)->core_relocations();
    EXPECT_TRUE(relocs.ok()) << relocs.error().str();
    if (!relocs.ok()) return kinds;
    for (const vm::CoreRelocation& r : *relocs) kinds.insert(r.kind);
    return kinds;
}

bool type_matches_built() {
    FILE* f = std::fopen(core_path("core_type_matches").c_str(), "r");
    if (f) std::fclose(f);
    return f != nullptr;
}

TEST(CoreKinds, TheObjectsHoldEveryKind) {
    std::set<vm::CoreReloKind> kinds = kinds_of(core_path("core_kinds"), core_path("core_kinds_btf"));
    for (auto k : kinds_of(core_path("core_task"), core_path("core_task_btf_new"))) kinds.insert(k);
    if (type_matches_built())
        for (auto k : kinds_of(core_path("core_type_matches"), core_path("core_kinds_btf"))) kinds.insert(k);
    const uint32_t last = type_matches_built() ? uint32_t(vm::CoreReloKind::TypeMatches)
                                               : uint32_t(vm::CoreReloKind::EnumvalValue);
    for (uint32_t k = 0; k <= last; ++k) EXPECT_TRUE(kinds.contains(vm::CoreReloKind(k))) << "kind " << k;
}

TEST(CoreKinds, TargetValuesDifferFromLocalOnes) {
    // Each kind is exercised with a target that changes its answer, so a
    // resolver that left the instruction alone would fail the comparisons.
    vm::ObjectOptions opts;
    opts.target_btf = core_path("core_kinds_btf");
    auto obj = vm::Object::open(core_path("core_kinds"), opts);
    ASSERT_TRUE(obj.ok()) << obj.error().str();
    auto relocs = (*obj)->core_relocations();
    ASSERT_TRUE(relocs.ok()) << relocs.error().str();
    std::set<vm::CoreReloKind> changed;
    for (const vm::CoreRelocation& r : *relocs)
        if (!r.failure && r.local_value != r.target_value) changed.insert(r.kind);
    for (auto k : {vm::CoreReloKind::FieldByteOffset, vm::CoreReloKind::FieldByteSize, vm::CoreReloKind::FieldExists,
                   vm::CoreReloKind::FieldSigned, vm::CoreReloKind::FieldLshiftU64, vm::CoreReloKind::FieldRshiftU64,
                   vm::CoreReloKind::TypeIdTarget, vm::CoreReloKind::TypeExists, vm::CoreReloKind::TypeSize,
                   vm::CoreReloKind::EnumvalExists, vm::CoreReloKind::EnumvalValue})
        EXPECT_TRUE(changed.contains(k)) << "kind " << uint32_t(k);
}

TEST(CoreKinds, RelocatedInstructionsAreLibbpfs) {
    SKIP_WITHOUT_KERNEL();
    expect_relocated_like_libbpf(core_path("core_kinds"), core_path("core_kinds_btf"));
    expect_relocated_like_libbpf(core_path("core_kinds"), core_path("core_kinds"));
    expect_relocated_like_libbpf(core_path("core_kinds"), core_path("core_kinds"), "");
    if (type_matches_built()) {
        expect_relocated_like_libbpf(core_path("core_type_matches"), core_path("core_kinds_btf"));
        expect_relocated_like_libbpf(core_path("core_type_matches"), core_path("core_type_matches"));
    }
}

// Each program of `object` run on one packet in both engines and the kernel:
// the same verdict, packet and maps (`out` holds what the relocations gave).
void expect_runs_like_the_kernel(const std::string& object, const std::string& target, const Bytes& memory) {
    auto probe = vm::Object::open(object);
    ASSERT_TRUE(probe.ok()) << probe.error().str();
    std::vector<std::string> names;
    for (const auto& p : (*probe)->programs()) names.push_back(p->name);
    for (const std::string& name : names)
        for (vm::EngineKind engine : kEngines) {
            SCOPED_TRACE(object + " prog '" + name + "' against " + target + ", " + engine_name(engine));
            DualRuntime rt;
            rt.engine = engine;
            rt.target_btf = target;
            std::vector<MapEntry> entries;
            if (!memory.empty()) entries.push_back({"memory", Bytes(4, 0), memory});
            ASSERT_EQ(rt.open(object, {}, entries), "");
            ASSERT_EQ(rt.select_program(name), "");
            EXPECT_EQ(rt.run_and_compare(kPacket, {}, 0), "");
            rt.expect_same_maps(true, "after " + name);
        }
}

TEST(CoreKinds, RunsAsTheKernelRunsLibbpfsRelocation) {
    SKIP_WITHOUT_KERNEL();
    Bytes memory(64);
    for (size_t i = 0; i < memory.size(); ++i) memory[i] = uint8_t(0x90 + i * 13);  // sign bits set here and there
    expect_runs_like_the_kernel(core_path("core_kinds"), core_path("core_kinds_btf"), memory);
    expect_runs_like_the_kernel(core_path("core_kinds"), core_path("core_kinds"), memory);
    if (type_matches_built()) expect_runs_like_the_kernel(core_path("core_type_matches"), core_path("core_kinds_btf"), {});
}

TEST(CoreKinds, EnginesAgreeWithoutTheKernel) {
    // The same runs where bpf() is refused: the interpreter and the JIT
    // agree on every slot each program wrote.
    Bytes memory(64);
    for (size_t i = 0; i < memory.size(); ++i) memory[i] = uint8_t(0x90 + i * 13);
    std::map<std::string, std::vector<uint64_t>> first;
    for (vm::EngineKind engine : kEngines) {
        vm::ObjectOptions opts;
        opts.engine = engine;
        opts.target_btf = core_path("core_kinds_btf");
        auto obj = vm::Object::open(core_path("core_kinds"), opts);
        ASSERT_TRUE(obj.ok()) << obj.error().str();
        ASSERT_TRUE((*obj)->load().ok());
        const uint32_t zero = 0;
        ASSERT_EQ((*obj)->find_map("memory")->user_update(&zero, memory.data(), vm::kAny), 0);
        for (const auto& p : (*obj)->programs()) {
            vm::Map* out = (*obj)->find_map("out");
            for (uint32_t k = 0; k < 16; ++k) {
                const uint64_t z = 0;
                ASSERT_EQ(out->user_update(&k, &z, vm::kAny), 0);
            }
            vm::PacketFrame frame(kPacket);
            vm::ExecContext ex;
            EXPECT_EQ(vm::run_xdp(*p, frame.xdp(), ex), uint64_t(XDP_PASS)) << p->name;
            std::vector<uint64_t> slots(16);
            for (uint32_t k = 0; k < 16; ++k) ASSERT_EQ(out->user_lookup(&k, &slots[k]), 0);
            if (engine == kEngines[0])
                first[p->name] = slots;
            else
                EXPECT_EQ(slots, first[p->name]) << p->name;
        }
    }
    // The answers that need no memory, from the target BTF itself.
    BtfPtr tb = parse_btf(core_path("core_kinds_btf"));
    ASSERT_TRUE(tb);
    const std::vector<uint64_t>& types = first["type_info"];
    EXPECT_EQ(types[1], uint64_t(btf__find_by_name_kind(tb.get(), "queue_stats", BTF_KIND_STRUCT)));
    EXPECT_EQ(types[2], 1u);  // only_target exists there
    EXPECT_EQ(types[3], 0u);  // only_local does not
    EXPECT_EQ(types[4], struct_size(tb.get(), "queue_stats"));
    EXPECT_EQ(types[5], struct_size(tb.get(), "only_target"));
    EXPECT_EQ(types[6], 0u);  // no target id for a type the target lacks
    const std::vector<uint64_t>& enums = first["enum_values"];
    EXPECT_EQ(enums[0], 1u);
    EXPECT_EQ(enums[2], 0u);  // LINK_DORMANT: not in the target's enum
    EXPECT_EQ(first["guarded_missing_type"][0], 77u);
    const std::vector<uint64_t>& loads = first["field_loads"];
    uint32_t rx;
    std::memcpy(&rx, memory.data() + member_offset(tb.get(), "queue_stats", "rx"), 4);
    EXPECT_EQ(loads[0], rx);
    uint64_t bytes;
    std::memcpy(&bytes, memory.data() + member_offset(tb.get(), "queue_stats", "bytes"), 8);
    EXPECT_EQ(loads[1], bytes);
    uint32_t depth;  // 4 bytes in the target: the 2-byte load was widened
    std::memcpy(&depth, memory.data() + member_offset(tb.get(), "queue_stats", "depth"), 4);
    EXPECT_EQ(loads[3], depth);
}

// ---- Unresolvable relocations -------------------------------------------

// libbpf's poison: a call of helper 0xbad2310 ("bad relo"), which the
// verifier refuses only where it reaches it.
constexpr int32_t kPoisonedCall = 0xbad2310;

TEST(CoreFailures, AGuardedPoisonedReadLoadsAndTheListingSaysWhy) {
    vm::ObjectOptions opts;
    opts.target_btf = core_path("core_task_btf_old");
    auto obj = vm::Object::open(core_path("core_task"), opts);
    ASSERT_TRUE(obj.ok()) << obj.error().str();
    auto relocs = (*obj)->core_relocations();
    ASSERT_TRUE(relocs.ok()) << relocs.error().str();
    int failed = 0;
    for (const vm::CoreRelocation& r : *relocs) {
        if (!r.failure) continue;
        ++failed;
        EXPECT_EQ(r.kind, vm::CoreReloKind::FieldByteOffset);
        EXPECT_NE(r.type.find("thread_info___v2"), std::string::npos) << r.type;
        EXPECT_EQ(r.access, "0:1");
    }
    EXPECT_EQ(failed, 1);
    EXPECT_TRUE((*obj)->load().ok());
}

TEST(CoreFailures, AReachedPoisonedReadIsRefusedNamingTypeAndAccess) {
    struct Case {
        const char* prog;
        const char* type;
        const char* access;
    };
    for (const Case& c : {Case{"reads_missing_field", "thread_info___v2", "(0:1)"},
                          Case{"reads_missing_type", "sched_ext_entity", "(0:1)"}}) {
        SCOPED_TRACE(c.prog);
        auto ours = xdpdk_relocate(core_path("core_missing"), core_path("core_task_btf_old"), c.prog);
        ASSERT_FALSE(ours.ok());
        // The verifier's refusal: its first line names the instruction, the
        // type and the access string (the path the verifier took follows).
        const std::string msg = ours.error().str();
        const std::string first_line = msg.substr(0, msg.find('\n'));
        std::string subject = "prog '";  // in steps: GCC 12's -Wrestrict misfires on a chain of +
        subject += c.prog;
        subject += "': insn ";
        EXPECT_TRUE(first_line.starts_with(subject)) << msg;
        EXPECT_NE(first_line.find(c.type), std::string::npos) << msg;
        EXPECT_NE(first_line.find(c.access), std::string::npos) << msg;
        // Its own BTF has both: the same program loads.
        EXPECT_TRUE(xdpdk_relocate(core_path("core_missing"), "", c.prog).ok());
        if (!kernel_unavailable_reason().empty()) continue;
        const LibbpfResult theirs = libbpf_relocate(core_path("core_missing"), core_path("core_task_btf_old"), c.prog);
        EXPECT_FALSE(theirs.loaded);
        EXPECT_NE(theirs.error.find("failed to resolve CO-RE relocation"), std::string::npos) << theirs.error;
        // The instruction libbpf poisoned is the one xdpdk lists as failed.
        std::set<uint32_t> poisoned, failed;
        const std::vector<bpf_insn>& insns = theirs.insns.at(c.prog);
        for (uint32_t pc = 0; pc < insns.size(); ++pc)
            if (insns[pc].code == (BPF_JMP | BPF_CALL) && insns[pc].imm == kPoisonedCall) poisoned.insert(pc);
        vm::ObjectOptions opts;
        opts.target_btf = core_path("core_task_btf_old");
        auto obj = vm::Object::open(core_path("core_missing"), opts);
        ASSERT_TRUE(obj.ok()) << obj.error().str();
        auto relocs = (*obj)->core_relocations();
        ASSERT_TRUE(relocs.ok()) << relocs.error().str();
        for (const vm::CoreRelocation& r : *relocs)
            if (r.program == c.prog && r.failure) failed.insert(r.insn);
        EXPECT_FALSE(poisoned.empty());
        EXPECT_EQ(failed, poisoned);
        const LibbpfResult own = libbpf_relocate(core_path("core_missing"), core_path("core_missing"), c.prog);
        EXPECT_TRUE(own.loaded) << own.error;
    }
}

TEST(CoreFailures, AmbiguousCandidatesAreAnError) {
    vm::ObjectOptions opts;
    opts.target_btf = core_path("core_ambiguous_btf");
    Status st = [&]() -> Status {
        XDPDK_ASSIGN_OR_RETURN(auto obj, vm::Object::open(core_path("core_ambiguous"), opts));
        return obj->load();
    }();
    ASSERT_FALSE(st.ok());
    const std::string msg = st.error().str();
    EXPECT_NE(msg.find("route"), std::string::npos) << msg;
    EXPECT_NE(msg.find("ambigu"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    if (!kernel_unavailable_reason().empty()) GTEST_SKIP() << "kernel oracle unavailable: " << kernel_unavailable_reason();
    const LibbpfResult theirs = libbpf_relocate(core_path("core_ambiguous"), core_path("core_ambiguous_btf"));
    EXPECT_FALSE(theirs.loaded);
}

}  // namespace
}  // namespace xdpdk::test
