// One CO-RE record resolved over its candidates, as libbpf's
// bpf_core_calc_relo_insn: every candidate that matches must give the same
// value (else the relocation is ambiguous and refused); none matching gives
// 0 for the exists/matches kinds and a poisoned instruction for the rest.
#include "core_reloc_impl.h"
#include "btf_ext.h"

namespace xdpdk::vm {
namespace core {

// Per thread: a resolver runs on the thread that opens the object.
thread_local uint64_t resolve_steps_left = kMaxResolveSteps;

void reset_resolve_steps() { resolve_steps_left = kMaxResolveSteps; }

bool spend_resolve_step() {
    if (resolve_steps_left == 0) return false;
    --resolve_steps_left;
    return true;
}

bool resolve_steps_spent() { return resolve_steps_left == 0; }

Error too_complex() { return make_error("btf", kTooComplex); }

}  // namespace core

namespace {

using core::Match;
using core::Spec;

constexpr uint32_t kNumKinds = 13;

// The kind's value for one side (`target` null: nothing matched), libbpf's
// bpf_core_calc_relo; `local` supplies the expected value and validate.
Result<CoreResolution> calc_relo(const Spec& local, const Spec* target, CoreResolution res) {
    const CoreReloKind kind = local.kind;
    if (core_relo_is_field_based(kind)) {
        XDPDK_ASSIGN_OR_RETURN(const core::FieldValue lv, core::field_value(&local, kind));
        XDPDK_ASSIGN_OR_RETURN(const core::FieldValue tv, core::field_value(target, kind));
        res.local_value = lv.value;
        res.validate = lv.validate;
        if (tv.missing) {
            res.poison = "found no field in the target BTF";
            return res;
        }
        res.target_value = tv.value;
        res.local_size = lv.mem_size;
        res.target_size = tv.mem_size;
        if (lv.mem_size != tv.mem_size) {
            // Resizing a load keeps the value only for pointers (a 32-bit
            // kernel's) and unsigned integers, zero-extended either way.
            const btf_type* lt = btf__type_by_id(local.btf, lv.type_id);
            const btf_type* tt = btf__type_by_id(target->btf, tv.type_id);
            const bool ptrs = lt && tt && btf_is_ptr(lt) && btf_is_ptr(tt);
            const bool unsigned_ints = lt && tt && btf_is_int(lt) && btf_is_int(tt) &&
                                       btf_int_encoding(lt) != BTF_INT_SIGNED && btf_int_encoding(tt) != BTF_INT_SIGNED;
            res.fail_memsz_adjust = !ptrs && !unsigned_ints;
        }
        return res;
    }
    if (core_relo_is_type_based(kind)) {
        auto value = [&](const Spec* s) -> Result<uint64_t> {
            if (!s) return uint64_t{0};
            switch (kind) {
                case CoreReloKind::TypeIdTarget: return uint64_t{s->root_type_id};
                case CoreReloKind::TypeExists: case CoreReloKind::TypeMatches: return uint64_t{1};
                case CoreReloKind::TypeSize: {
                    XDPDK_ASSIGN_OR_RETURN(const uint32_t sz, core::type_size(s->btf, s->root_type_id));
                    return uint64_t{sz};
                }
                default: return make_error("core", "relocation kind is not a type kind");
            }
        };
        XDPDK_ASSIGN_OR_RETURN(res.local_value, value(&local));
        XDPDK_ASSIGN_OR_RETURN(res.target_value, value(target));
        // A type id may change when objects are linked: not checked.
        res.validate = kind != CoreReloKind::TypeIdTarget;
        return res;
    }
    const core::EnumValue lv = core::enum_value(&local, kind), tv = core::enum_value(target, kind);
    res.local_value = lv.value;
    res.local_enum32 = kind == CoreReloKind::EnumvalValue && lv.enum32;
    if (tv.missing) {
        res.poison = "found no enumerator in the target BTF";
        return res;
    }
    res.target_value = tv.value;
    res.target_enum32 = kind == CoreReloKind::EnumvalValue && tv.enum32;
    return res;
}

}  // namespace

const char* core_relo_kind_name(CoreReloKind kind) {
    static constexpr const char* kNames[kNumKinds] = {
        "byte_off",      "byte_sz",   "field_exists", "signed",         "lshift_u64",     "rshift_u64",  "local_type_id",
        "target_type_id", "type_exists", "type_size",  "enumval_exists", "enumval_value", "type_matches",
    };
    const auto i = static_cast<uint32_t>(kind);
    return i < kNumKinds ? kNames[i] : "unknown";
}

bool core_relo_is_field_based(CoreReloKind kind) { return kind <= CoreReloKind::FieldRshiftU64; }

bool core_relo_is_type_based(CoreReloKind kind) {
    return (kind >= CoreReloKind::TypeIdLocal && kind <= CoreReloKind::TypeSize) || kind == CoreReloKind::TypeMatches;
}

bool core_relo_is_enumval_based(CoreReloKind kind) {
    return kind == CoreReloKind::EnumvalExists || kind == CoreReloKind::EnumvalValue;
}

CoreResolver::CoreResolver(const struct btf* local, const struct btf* target) : local_(local), target_(target) {}

Status CoreResolver::resolve(const BtfCoreRecord& rec, CoreResolution& res) {
    res = CoreResolution{};
    res.kind = static_cast<CoreReloKind>(rec.kind);
    res.access = std::string(rec.access);
    res.type = core::c_type_name(local_, rec.type_id);
    auto fail = [&](const std::string& reason) {
        return make_error("core", "CO-RE relocation " + std::string(core_relo_kind_name(res.kind)) + " of " + res.type +
                                      " (" + res.access + "): " + reason);
    };
    if (rec.kind >= kNumKinds) return fail("unknown relocation kind " + std::to_string(rec.kind));
    const btf_type* local_t = btf__type_by_id(local_, rec.type_id);
    if (!local_t || rec.type_id == 0) return fail("type [" + std::to_string(rec.type_id) + "] is not in the object's BTF");

    core::reset_resolve_steps();
    Spec local_spec;
    if (auto parsed = core::parse_spec(local_, rec.type_id, rec.access, res.kind, local_spec); !parsed)
        return fail(parsed.error().reason);
    res.spec = core::format_spec(local_spec);

    if (res.kind == CoreReloKind::TypeIdLocal) {
        res.local_value = res.target_value = rec.type_id;
        res.validate = false;  // the id may change when objects are linked
        return {};
    }
    if (core::name_of(local_, local_t->name_off).empty()) return fail("anonymous types cannot be relocated (libbpf neither)");

    const struct btf* target = target_ ? target_ : local_;
    auto cached = candidates_.find(rec.type_id);
    if (cached == candidates_.end()) {
        std::vector<uint32_t> found =
            target_ ? core::find_candidates(local_, rec.type_id, target_) : std::vector<uint32_t>{rec.type_id};
        cached = candidates_.emplace(rec.type_id, std::move(found)).first;
    }
    std::vector<uint32_t>& cands = cached->second;

    std::vector<uint32_t> matching;
    std::optional<CoreResolution> chosen;
    Spec chosen_spec, cand_spec;
    for (const uint32_t cand : cands) {
        Result<Match> m = Match::No;
        if (res.kind == CoreReloKind::TypeMatches) {
            m = core::types_match(local_, rec.type_id, target, cand);
            cand_spec = Spec{target, cand, res.kind, {}, {}, 0};
        } else if (core_relo_is_type_based(res.kind)) {
            m = core::types_are_compat(local_, rec.type_id, target, cand);
            cand_spec = Spec{target, cand, res.kind, {}, {}, 0};
        } else if (core_relo_is_enumval_based(res.kind)) {
            m = core::match_enum_spec(local_spec, target, cand, cand_spec);
        } else {
            m = core::match_field_spec(local_spec, target, cand, cand_spec);
        }
        if (!m && core::resolve_steps_spent())
            return fail(std::string(core::kTooComplex) + ": matching gave up after " +
                        std::to_string(core::kMaxResolveSteps) + " steps");
        if (!m) return fail("matching candidate " + core::c_type_name(target, cand) + " [" + std::to_string(cand) +
                            "]: " + m.error().reason);
        if (*m == Match::No) continue;
        auto r = calc_relo(local_spec, &cand_spec, res);
        if (!r) return fail(r.error().reason);
        if (!chosen) {
            chosen = *r;
            chosen_spec = cand_spec;
            res.local_value = r->local_value;  // kept when a later candidate makes it ambiguous
        } else if (cand_spec.bit_offset != chosen_spec.bit_offset) {
            return fail("ambiguous: candidates " + core::format_spec(chosen_spec) + " [" +
                        std::to_string(chosen_spec.root_type_id) + "] and " + core::format_spec(cand_spec) + " [" +
                        std::to_string(cand) + "] put the field at different offsets (bit " +
                        std::to_string(chosen_spec.bit_offset) + " and " + std::to_string(cand_spec.bit_offset) + ")");
        } else if (r->poison.has_value() != chosen->poison.has_value() || r->target_value != chosen->target_value) {
            return fail("ambiguous: candidates " + core::c_type_name(target, chosen_spec.root_type_id) + " [" +
                        std::to_string(chosen_spec.root_type_id) + "] and " + core::c_type_name(target, cand) + " [" +
                        std::to_string(cand) + "] give different values (" + std::to_string(chosen->target_value) +
                        " and " + std::to_string(r->target_value) + ")");
        }
        matching.push_back(cand);
    }
    // As libbpf, the candidates that matched are the only ones later
    // relocations of the same root type consider.
    if (!matching.empty()) {
        cands = std::move(matching);
        res = *chosen;
        return {};
    }
    auto r = calc_relo(local_spec, nullptr, res);
    if (!r) return fail(r.error().reason);
    if (r->poison) {
        const std::string what = cands.empty() ? "found no " + res.type + " in the target BTF" : *r->poison;
        r->poison = "CO-RE relocation " + std::string(core_relo_kind_name(res.kind)) + " of " + res.type + " (" +
                    res.access + ") " + what;
    }
    res = *r;
    return {};
}

}  // namespace xdpdk::vm
