// Damaged CO-RE input (issue 16): a good CO-RE object's .BTF.ext cut at
// every length, its header and core_relo block flipped at a fixed seed, and
// its records aimed at what does not exist (record sizes, access strings,
// type ids, kinds, instruction offsets, instructions of the wrong class),
// opened and loaded from memory: never a crash, and every refusal is one
// error naming its subject. A --btf file that is not BTF is refused by the
// command with one `xdpdk:` line naming it.
#include <elf.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernel_oracle.h"
#include "test_support.h"
#include "tests/tools/elf_sections.h"
#include "vm/object.h"

namespace xdpdk::test {
namespace {

using Bytes = std::vector<uint8_t>;

std::string core_path(const std::string& name) {
    return std::string(std::getenv("XDPDK_BUILD_DIR")) + "/tests/progs/core/" + name + ".o";
}

Bytes read_bytes(const std::string& path) {
    const std::string s = read_file(path);
    return Bytes(s.begin(), s.end());
}

uint32_t get32(const Bytes& b, size_t at) {
    uint32_t v;
    std::memcpy(&v, b.data() + at, 4);
    return v;
}
void set32(Bytes& b, size_t at, uint32_t v) { std::memcpy(b.data() + at, &v, 4); }

// The first instruction of `xdp` that `pred(code, index)` picks, as a byte
// offset in the section (what core_relo's insn_off holds).
template <class Pred>
uint32_t find_insn(const Bytes& elf, Pred pred) {
    const SectionPlace xdp = find_section(elf, "xdp");
    for (size_t i = 0; i * 8 < xdp.size; ++i)
        if (pred(elf[xdp.offset + i * 8], i)) return uint32_t(i * 8);
    ADD_FAILURE() << "no such instruction";
    return 0;
}

const std::string kName = "core_task.o";

// libbpf's verdict on the same bytes against the same target: whether
// bpf_object__load takes it (the kernel needed; callers check).
bool libbpf_loads(const Bytes& elf, const std::string& target, const std::string& dir) {
    const std::string path = dir + "/" + kName;
    write_file(path, std::string(elf.begin(), elf.end()));
    auto kobj = KernelObject::open(path, target);
    return kobj.ok() && (*kobj)->load().ok();
}

// Opens and loads `elf` against `target`: "" when it loaded, else the error.
// Fails the test when a refusal is not one line naming a subject.
std::string open_and_load(const Bytes& elf, const std::string& target) {
    vm::ObjectOptions opts;
    opts.target_btf = target;
    Status st = [&]() -> Status {
        XDPDK_ASSIGN_OR_RETURN(auto obj, vm::Object::open_memory(elf, kName, opts));
        (void)obj->core_relocations();  // the listing must survive it too
        return obj->load();
    }();
    if (st.ok()) return "";
    const std::string msg = st.error().str();
    EXPECT_FALSE(st.error().subject.empty()) << msg;
    EXPECT_FALSE(st.error().reason.empty()) << msg;
    // One error: a verifier refusal goes on with the path it took, nothing
    // else spans lines.
    EXPECT_EQ(msg.substr(0, msg.find("\npath: ")).find('\n'), std::string::npos) << msg;
    // The subject is the object or one of its programs or maps.
    const bool named = msg.find(kName) != std::string::npos || msg.starts_with("prog '") ||
                       msg.starts_with("map '") || msg.find("core_task") != std::string::npos;
    EXPECT_TRUE(named) << msg;
    return msg;
}

class CoreDamage : public testing::Test {
protected:
    void SetUp() override {
        good_ = read_bytes(core_path("core_task"));
        ASSERT_GT(good_.size(), sizeof(Elf64_Ehdr));
        place_ = find_section(good_, ".BTF.ext");
        ASSERT_GT(place_.size, 32u);
        // struct btf_ext_header: magic, version, flags, hdr_len, then
        // func_info, line_info and core_relo offset and length pairs.
        core_off_ = place_.offset + get32(good_, place_.offset + 4) + get32(good_, place_.offset + 24);
        core_len_ = get32(good_, place_.offset + 28);
        ASSERT_GT(core_len_, 16u) << "core_task.o has no CO-RE records";
        target_ = core_path("core_task_btf_new");
        ASSERT_EQ(open_and_load(good_, target_), "");
    }
    // The first core_relo record of the first section: insn_off, type_id,
    // access_str_off, kind at +0, +4, +8, +12.
    size_t first_record() const { return core_off_ + 4 + 8; }
    uint32_t records() const { return get32(good_, core_off_ + 8); }

    Bytes good_;
    SectionPlace place_;
    size_t core_off_ = 0;  // the core_relo block, in the file
    size_t core_len_ = 0;
    std::string target_;
};

TEST_F(CoreDamage, EveryTruncation) {
    int refused = 0;
    for (size_t len = 0; len < place_.size; ++len) {
        Bytes cut = good_;
        Elf64_Shdr sh;
        std::memcpy(&sh, cut.data() + place_.shdr, sizeof sh);
        sh.sh_size = len;
        std::memcpy(cut.data() + place_.shdr, &sh, sizeof sh);
        SCOPED_TRACE("length " + std::to_string(len));
        refused += !open_and_load(cut, target_).empty();
    }
    // Most cuts leave the declared blocks running past the end.
    EXPECT_GT(refused, int(place_.size / 2));
}

TEST_F(CoreDamage, FlippedBytesAtAFixedSeed) {
    std::mt19937 rng(16);
    const size_t header = get32(good_, place_.offset + 4);
    std::vector<size_t> spots;
    for (size_t i = 0; i < header; ++i) spots.push_back(place_.offset + i);
    for (size_t i = 0; i < core_len_; ++i) spots.push_back(core_off_ + i);
    int refused = 0;
    for (size_t at : spots)
        for (int round = 0; round < 3; ++round) {
            Bytes bad = good_;
            bad[at] ^= uint8_t(1u << (rng() % 8)) | uint8_t(rng() & 0xff);
            SCOPED_TRACE("byte " + std::to_string(at) + " = " + std::to_string(bad[at]));
            refused += !open_and_load(bad, target_).empty();
        }
    // Flips of the header's lengths and of record sizes, kinds and access
    // strings are refused; some (a type id to another struct) still load.
    EXPECT_GT(refused, int(spots.size()));
}

TEST_F(CoreDamage, RecordSizes) {
    for (uint32_t size : {0u, 4u, 8u, 12u, 15u, 20u, 0xffffffffu}) {
        Bytes bad = good_;
        set32(bad, core_off_, size);
        SCOPED_TRACE("record size " + std::to_string(size));
        const std::string msg = open_and_load(bad, target_);
        if (size < 16) {
            EXPECT_NE(msg, "");
        }
    }
}

TEST_F(CoreDamage, RecordFields) {
    ASSERT_GT(records(), 0u);
    // Instructions no CO-RE relocation can patch (libbpf: "unrecognized
    // insn" or "LDIMM64 has unexpected form"), found in the code itself.
    const uint32_t exit_insn = find_insn(good_, [](uint8_t code, size_t) { return code == 0x95; });
    const uint32_t call_insn = find_insn(good_, [](uint8_t code, size_t) { return code == 0x85; });
    const uint32_t branch_insn = find_insn(good_, [](uint8_t code, size_t) { return code == 0x15; });
    const uint32_t lddw_second = find_insn(good_, [](uint8_t code, size_t) { return code == 0x18; }) + 8;
    struct Mutation {
        const char* what;
        size_t field;  // in the record: insn_off, type_id, access_str_off, kind at 0, 4, 8, 12
        uint32_t value;
        bool must_refuse;
    };
    const Mutation mutations[] = {
        {"access string past the strings", 8, 0x00ffffff, true},
        {"access string 0 (empty)", 8, 0, true},
        {"access string on a name", 8, 1, true},
        {"type id 0 (void)", 4, 0, false},
        {"type id past the types", 4, 0x7fffffff, true},
        {"type id 1", 4, 1, false},
        {"kind 13", 12, 13, true},
        {"kind 255", 12, 255, true},
        {"kind 2^32-1", 12, 0xffffffff, true},
        // libbpf skips a record outside every program (a weak subprogram
        // the linker dropped keeps its records), and so does xdpdk.
        {"insn offset past the section", 0, 0x00fffff8, false},
        {"insn offset not a multiple of 8", 0, 4, true},
        {"insn offset on the exit", 0, exit_insn, true},
        {"insn offset on a helper call", 0, call_insn, true},
        {"insn offset on a branch", 0, branch_insn, true},
        {"insn offset on an lddw's second half", 0, lddw_second, true},
    };
    const bool with_libbpf = kernel_unavailable_reason().empty();
    const std::string dir = temp_dir();
    for (uint32_t rec = 0; rec < records(); ++rec)
        for (const Mutation& m : mutations) {
            Bytes bad = good_;
            set32(bad, first_record() + rec * 16 + m.field, m.value);
            SCOPED_TRACE(std::string(m.what) + ", record " + std::to_string(rec));
            const std::string msg = open_and_load(bad, target_);
            if (m.must_refuse) {
                EXPECT_NE(msg, "");
            }
            // The .BTF.ext still parses, so libbpf relocates with it: both
            // loaders take or refuse the object alike.
            if (with_libbpf) {
                EXPECT_EQ(msg.empty(), libbpf_loads(bad, target_, dir)) << msg;
            }
        }
}

TEST_F(CoreDamage, AccessStringsThatAreNotAccessStrings) {
    // Point the first record's access string at each string of the BTF
    // string table (type and member names, file paths, source lines).
    for (uint32_t off = 1; off < 512; off += 7) {
        Bytes bad = good_;
        set32(bad, first_record() + 8, off);
        SCOPED_TRACE("access string offset " + std::to_string(off));
        (void)open_and_load(bad, target_);
    }
}

// ---- --btf files that are not BTF, through the command ------------------

void expect_one_line_error(const CommandResult& r, const std::string& file) {
    EXPECT_NE(r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.err.starts_with("xdpdk: ")) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
    EXPECT_NE(r.err.find(file), std::string::npos) << r.err;
}

TEST(CoreCli, ABtfFileThatIsNotBtfIsRefusedNamingIt) {
    const std::string dir = temp_dir();
    const std::string empty = dir + "/empty.btf";
    write_file(empty, "");
    std::mt19937 rng(16);
    std::string noise(4096, '\0');
    for (char& c : noise) c = char(rng() & 0xff);
    const std::string random = dir + "/random.btf";
    write_file(random, noise);
    const std::string missing = dir + "/missing.btf";
    const std::string object = core_path("core_task");
    // An x86-64 ELF without .BTF.
    for (const std::string& file : {empty, random, missing, xdpdk_binary()}) {
        SCOPED_TRACE(file);
        expect_one_line_error(run_command({xdpdk_binary(), "prog", "verify", object, "--btf", file}), file);
        expect_one_line_error(run_command({xdpdk_binary(), "prog", "show", "--relocs", object, "--btf", file}), file);
        expect_one_line_error(
            run_command({xdpdk_binary(), "replay", object, source_path("pcaps/sample.pcap"), "--btf", file}), file);
    }
}

TEST(CoreCli, VerifiesAndListsAgainstATargetBtf) {
    const std::string object = core_path("core_task");
    const CommandResult verify =
        run_command({xdpdk_binary(), "prog", "verify", object, "--btf", core_path("core_task_btf_new")});
    EXPECT_EQ(verify.exit_code, 0) << verify.err;
    const CommandResult show =
        run_command({xdpdk_binary(), "prog", "show", "--relocs", object, "--btf", core_path("core_task_btf_old")});
    EXPECT_EQ(show.exit_code, 0) << show.err;
    // task->thread_info.status: access 0:0:1, and syscall_work poisoned.
    EXPECT_NE(show.out.find("0:0:1"), std::string::npos) << show.out;
    EXPECT_NE(show.out.find("thread_info___v2"), std::string::npos) << show.out;
}

}  // namespace
}  // namespace xdpdk::test
