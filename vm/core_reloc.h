// CO-RE: the relocations clang records in .BTF.ext for every
// __builtin_preserve_*_access / bpf_core_* use, resolved against a target
// BTF (the kernel's, or one given with --btf) and applied to the
// instructions, as libbpf's bpf_core_calc_relo_insn and bpf_core_patch_insn
// do. Interface agreed for issue 16; vm/core_reloc*.cc implement it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "error.h"
#include "opcodes.h"

struct btf;

namespace xdpdk::vm {

// libbpf's names for enum bpf_core_relo_kind, in clang's numbering.
enum class CoreReloKind : uint32_t {
    FieldByteOffset = 0,  // "byte_off"
    FieldByteSize = 1,    // "byte_sz"
    FieldExists = 2,      // "field_exists"
    FieldSigned = 3,      // "signed"
    FieldLshiftU64 = 4,   // "lshift_u64"
    FieldRshiftU64 = 5,   // "rshift_u64"
    TypeIdLocal = 6,      // "local_type_id"
    TypeIdTarget = 7,     // "target_type_id"
    TypeExists = 8,       // "type_exists"
    TypeSize = 9,         // "type_size"
    EnumvalExists = 10,   // "enumval_exists"
    EnumvalValue = 11,    // "enumval_value"
    TypeMatches = 12,     // "type_matches"
};

// One relocation as `xdpdk prog show --relocs` lists it.
struct CoreRelocation {
    std::string program;     // the program whose code holds it (a subprogram's callers list it too)
    uint32_t insn = 0;       // instruction index in that program's linked code
    CoreReloKind kind{};
    std::string type;        // the local root type as C spells it: "struct task_struct"
    std::string access;      // the access string: "0:1:2"
    std::string spec;        // the access spelled out: "task_struct.thread_info.status"
    uint64_t local_value = 0;   // what the instruction held (the object's own layout)
    uint64_t target_value = 0;  // what it holds after relocation
    // Unresolved: the instruction was poisoned (as libbpf does) and this says
    // why; the program is refused only if the verifier reaches it.
    std::optional<Error> failure;
    // With a failure: refused outright (a bad record, an ambiguity, an
    // instruction that does not hold the local value), which fails the load
    // of every program holding it, rather than poisoned.
    bool refused = false;
};

// libbpf's name of a kind ("byte_off"), "unknown" outside the enum.
const char* core_relo_kind_name(CoreReloKind kind);
bool core_relo_is_field_based(CoreReloKind kind);
bool core_relo_is_type_based(CoreReloKind kind);
bool core_relo_is_enumval_based(CoreReloKind kind);

// What libbpf's bpf_core_poison_insn writes in place of an instruction whose
// relocation found nothing: a call of helper 0xbad2310 ("bad relo"), which the
// verifier refuses only where it reaches it.
constexpr int32_t kCorePoisonImm = 0xbad2310;
bool is_core_poison(const RawInsn& in);

struct BtfCoreRecord;

// One record resolved against the target, as libbpf's bpf_core_calc_relo_insn
// computes it (struct bpf_core_relo_res).
struct CoreResolution {
    CoreReloKind kind{};
    std::string type;    // "struct task_struct"
    std::string access;  // "0:1:2"
    std::string spec;    // "task_struct.thread_info.status"
    uint64_t local_value = 0;   // what the instruction must hold (checked unless !validate)
    uint64_t target_value = 0;  // what it holds after patching
    bool validate = true;
    // No candidate had the field or enumerator, or a load/store cannot be
    // resized: the instruction is poisoned and this says why.
    std::optional<std::string> poison;
    // Memory sizes of a byte_off field for LDX/ST/STX size adjustment.
    uint32_t local_size = 0, target_size = 0;
    bool fail_memsz_adjust = false;
    // enumval_value of a 32-bit enum (BTF_KIND_ENUM) on either side: its
    // value is the __s32 widened as libbpf widens it, but the instruction
    // may hold it zero-extended (see patch_core_insn).
    bool local_enum32 = false, target_enum32 = false;
};

// Resolves the records of one object. `target` nullptr: the object's own
// BTF, each root type its own only candidate, so the code stays as compiled
// (a search by name would make local ___flavor variants ambiguous with each
// other). Otherwise candidates are the target's types of the same essential
// name (the name less a ___flavor suffix) and a compatible kind.
class CoreResolver {
public:
    CoreResolver(const struct btf* local, const struct btf* target);
    // An error (its reason only; the caller names the program and insn) is a
    // relocation libbpf refuses outright: a bad record, an ambiguity. `out`
    // holds what was learnt either way (type, access, spec, local value).
    Status resolve(const BtfCoreRecord& rec, CoreResolution& out);

private:
    const struct btf* local_;
    const struct btf* target_;
    std::map<uint32_t, std::vector<uint32_t>> candidates_;  // by local root type id
};

// libbpf's bpf_core_patch_insn: instruction `at` of `code` (an ldimm64 takes
// at and at + 1) is checked to hold the local value and given the target one,
// or poisoned. The error is the reason only.
Status patch_core_insn(std::span<RawInsn> code, size_t at, const CoreResolution& res);

// The target BTF of --btf: "vmlinux" (the running kernel's,
// /sys/kernel/btf/vmlinux), or a file holding raw BTF or an ELF file with a
// .BTF section, read with libbpf's btf__parse. Errors are about "btf 'FILE'".
Result<std::shared_ptr<struct btf>> load_target_btf(const std::string& spec);

}  // namespace xdpdk::vm
