// Enumerator relocations (enumval_exists, enumval_value): the local
// enumerator found by essential name in a candidate enum or enum64, as
// libbpf's bpf_core_spec_match and bpf_core_calc_enumval_relo do.
#include "core_reloc_impl.h"

namespace xdpdk::vm::core {

Result<Match> match_enum_spec(const Spec& local, const struct btf* target, uint32_t target_id, Spec& out) {
    out = Spec{};
    out.btf = target;
    out.root_type_id = target_id;
    out.kind = local.kind;
    const btf_type* tt = skip_mods_and_typedefs(target, target_id, &target_id);
    if (!tt || !btf_is_any_enum(tt)) return Match::No;
    const std::string_view local_name = local.access[0].name ? local.access[0].name : "";
    const size_t local_len = essential_name_len(local_name);
    const uint16_t n = btf_vlen(tt);
    for (uint16_t i = 0; i < n; ++i) {
        const uint32_t name_off = btf_is_enum(tt) ? btf_enum(tt)[i].name_off : btf_enum64(tt)[i].name_off;
        const std::string_view name = name_of(target, name_off);
        if (essential_name_len(name) != local_len || name.substr(0, local_len) != local_name.substr(0, local_len)) continue;
        out.access.push_back(Accessor{target_id, i, btf__name_by_offset(target, name_off)});
        out.raw.push_back(i);
        return Match::Yes;
    }
    return Match::No;
}

EnumValue enum_value(const Spec* spec, CoreReloKind kind) {
    EnumValue v;
    if (kind == CoreReloKind::EnumvalExists) {
        v.value = spec ? 1 : 0;
        return v;
    }
    if (!spec) {
        v.missing = true;
        return v;
    }
    const btf_type* t = btf__type_by_id(spec->btf, spec->access[0].type_id);
    const uint32_t i = spec->access[0].idx;
    // A 32-bit enumerator's value as libbpf reads it: the __s32 widened to
    // 64 bits, so a negative one fills the upper half.
    v.enum32 = btf_is_enum(t);
    v.value = btf_is_enum(t) ? static_cast<uint64_t>(static_cast<int64_t>(btf_enum(t)[i].val))
                             : btf_enum64_value(btf_enum64(t) + i);
    return v;
}

}  // namespace xdpdk::vm::core
