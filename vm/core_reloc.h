// CO-RE: the relocations clang records in .BTF.ext for every
// __builtin_preserve_*_access / bpf_core_* use, resolved against a target
// BTF (the kernel's, or one given with --btf) and applied to the
// instructions, as libbpf's bpf_core_calc_relo_insn and bpf_core_patch_insn
// do. Interface agreed for issue 16; vm/core_reloc*.cc implement it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "error.h"

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
};

}  // namespace xdpdk::vm
