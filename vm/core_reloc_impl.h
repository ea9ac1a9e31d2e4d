// The CO-RE resolver's internals, shared by vm/core_reloc*.cc: the access
// spec (libbpf's struct bpf_core_spec) and the BTF walks each kind needs.
// Matchers answer as libbpf's do: an error, no match, or a match.
#pragma once

#include <bpf/btf.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core_reloc.h"

namespace xdpdk::vm::core {

// libbpf's BPF_CORE_SPEC_MAX_LEN: deeper nesting is refused.
constexpr size_t kMaxSpecLen = 64;
// Recursion bound of libbpf's type compatibility and match checks.
constexpr int kMaxTypeDepth = 32;

// Work bound of one CoreResolver::resolve(): the depth bounds alone let a
// hostile target (S0 with two anonymous S1 members, S1 with two S2, ...)
// take 2^depth calls. Each recursive match spends a step; spent, the
// matcher fails with kTooComplex and resolve() names the relocation.
constexpr uint64_t kMaxResolveSteps = 1'000'000;
inline constexpr const char* kTooComplex = "target BTF too complex";
void reset_resolve_steps();
// False (and an error to return) once the budget is spent.
bool spend_resolve_step();
bool resolve_steps_spent();
Error too_complex();

// One high-level step: a named member of a struct/union (name set), or an
// array index (name null; the first step is the index on the root pointer).
struct Accessor {
    uint32_t type_id = 0;  // the struct/union, or the array element type
    uint32_t idx = 0;
    const char* name = nullptr;
};

struct Spec {
    const struct btf* btf = nullptr;
    uint32_t root_type_id = 0;
    CoreReloKind kind{};
    std::vector<Accessor> access;  // the named members and array indexes
    std::vector<uint32_t> raw;     // every index of the access string, anonymous members too
    uint32_t bit_offset = 0;
};

enum class Match { No, Yes };

// The type after const/volatile/restrict/typedef (and type tags); nullptr for
// a bad id or a chain longer than kMaxTypeDepth. `id` receives its id.
const btf_type* skip_mods_and_typedefs(const struct btf* btf, uint32_t id, uint32_t* res_id);
std::string_view name_of(const struct btf* btf, uint32_t name_off);
// The name less a ___flavor suffix (libbpf: X___Y, X and Y not '_').
size_t essential_name_len(std::string_view name);
// Same kind, or both enums (enum and enum64 stand for each other).
bool kinds_compatible(const btf_type* a, const btf_type* b);
// Size of the type, or an error when it has none (btf__resolve_size).
Result<uint32_t> type_size(const struct btf* btf, uint32_t id);
// 's' in quotes, built by append (GCC 12 warns falsely on "'" + string).
std::string quoted(std::string_view s);
// "struct task_struct", "enum e", "u32", "<anon>"-named when anonymous.
std::string c_type_name(const struct btf* btf, uint32_t id);

// Candidate search and type compatibility (core_reloc_cands.cc).
std::vector<uint32_t> find_candidates(const struct btf* local, uint32_t local_id, const struct btf* target);
Result<Match> types_are_compat(const struct btf* local, uint32_t local_id, const struct btf* target,
                               uint32_t target_id, int level = kMaxTypeDepth);
Result<Match> fields_are_compat(const struct btf* local, uint32_t local_id, const struct btf* target,
                                uint32_t target_id);

// Field access (core_reloc_field.cc).
Status parse_spec(const struct btf* btf, uint32_t root_id, std::string_view access, CoreReloKind kind, Spec& spec);
Result<Match> match_field_spec(const Spec& local, const struct btf* target, uint32_t target_id, Spec& out);
// libbpf's bpf_core_calc_field_relo for one side; `spec` null: not found.
struct FieldValue {
    uint64_t value = 0;
    uint32_t mem_size = 0;  // byte_off of a whole field: its size, for load/store resizing
    uint32_t type_id = 0;   // ... and its type
    bool validate = true;
    bool missing = false;   // the kind needs the field and there is none: poison
};
Result<FieldValue> field_value(const Spec* spec, CoreReloKind kind);

// Enumerators (core_reloc_enum.cc).
Result<Match> match_enum_spec(const Spec& local, const struct btf* target, uint32_t target_id, Spec& out);
struct EnumValue {
    uint64_t value = 0;
    bool missing = false;
    bool enum32 = false;  // the value of a BTF_KIND_ENUM enumerator, sign-extended
};
EnumValue enum_value(const Spec* spec, CoreReloKind kind);

// type_matches (core_reloc_match.cc): libbpf's bpf_core_types_match.
Result<Match> types_match(const struct btf* local, uint32_t local_id, const struct btf* target, uint32_t target_id,
                          bool behind_ptr = false, int level = kMaxTypeDepth);

// The spec spelled as libbpf's bpf_core_format_spec spells its path.
std::string format_spec(const Spec& spec);

}  // namespace xdpdk::vm::core
