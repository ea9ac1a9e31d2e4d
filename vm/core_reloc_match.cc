// type_matches (bpf_core_type_matches): the stricter relation of libbpf's
// bpf_core_types_match. Names must match (less flavors) after modifiers and
// typedefs; integers by size and signedness; structs and unions by every
// local member having a matching target member (only names and kinds behind
// a pointer); enums by every local enumerator's name; arrays by length;
// function prototypes argument by argument.
#include "core_reloc_impl.h"

namespace xdpdk::vm::core {
namespace {

bool names_match(const struct btf* local, uint32_t local_off, const struct btf* target, uint32_t target_off) {
    const std::string_view ln = name_of(local, local_off), tn = name_of(target, target_off);
    if (tn.empty()) return ln.empty();
    const size_t ll = essential_name_len(ln), tl = essential_name_len(tn);
    return ll == tl && ln.substr(0, ll) == tn.substr(0, tl);
}

uint32_t enumerator_name(const btf_type* t, uint16_t i) {
    return btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off;
}

Match enums_match(const struct btf* local, const btf_type* lt, const struct btf* target, const btf_type* tt) {
    if (lt->size != tt->size || btf_vlen(lt) > btf_vlen(tt)) return Match::No;
    for (uint16_t i = 0; i < btf_vlen(lt); ++i) {
        bool found = false;
        for (uint16_t j = 0; j < btf_vlen(tt) && !found; ++j)
            found = names_match(local, enumerator_name(lt, i), target, enumerator_name(tt, j));
        if (!found) return Match::No;
    }
    return Match::Yes;
}

Result<Match> composites_match(const struct btf* local, const btf_type* lt, const struct btf* target,
                               const btf_type* tt, bool behind_ptr, int level) {
    if (btf_vlen(lt) > btf_vlen(tt)) return Match::No;
    for (uint16_t i = 0; i < btf_vlen(lt); ++i) {
        const btf_member& lm = btf_members(lt)[i];
        bool matched = false;
        for (uint16_t j = 0; j < btf_vlen(tt) && !matched; ++j) {
            const btf_member& tm = btf_members(tt)[j];
            if (!spend_resolve_step()) return too_complex();
            if (!names_match(local, lm.name_off, target, tm.name_off)) continue;
            XDPDK_ASSIGN_OR_RETURN(const Match m, types_match(local, lm.type, target, tm.type, behind_ptr, level - 1));
            matched = m == Match::Yes;
        }
        if (!matched) return Match::No;
    }
    return Match::Yes;
}

}  // namespace

Result<Match> types_match(const struct btf* local, uint32_t local_id, const struct btf* target, uint32_t target_id,
                          bool behind_ptr, int level) {
    auto too_deep = [&] {
        return make_error("btf", "type [" + std::to_string(local_id) + "] is invalid or nested too deep");
    };
    if (level <= 0) return too_deep();
    if (!spend_resolve_step()) return too_complex();
    for (int depth = kMaxTypeDepth; depth > 0; --depth) {
        const btf_type* lt = skip_mods_and_typedefs(local, local_id, &local_id);
        const btf_type* tt = skip_mods_and_typedefs(target, target_id, &target_id);
        if (!lt || !tt) return too_deep();
        if (!names_match(local, lt->name_off, target, tt->name_off)) return Match::No;
        const uint16_t lk = btf_kind(lt), tk = btf_kind(tt);
        switch (lk) {
            case BTF_KIND_UNKN:
                return lk == tk ? Match::Yes : Match::No;
            case BTF_KIND_FWD: {
                // A forward declaration's kflag says union (1) or struct (0).
                const bool lf = btf_kflag(lt);
                if (lk == tk) return lf == btf_kflag(tt) ? Match::Yes : Match::No;
                if (!behind_ptr) return Match::No;
                return (tk == BTF_KIND_STRUCT && !lf) || (tk == BTF_KIND_UNION && lf) ? Match::Yes : Match::No;
            }
            case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
                return btf_is_any_enum(tt) ? enums_match(local, lt, target, tt) : Match::No;
            case BTF_KIND_STRUCT: case BTF_KIND_UNION:
                if (behind_ptr) {
                    if (lk == tk) return Match::Yes;
                    if (tk != BTF_KIND_FWD) return Match::No;
                    return (lk == BTF_KIND_UNION) == btf_kflag(tt) ? Match::Yes : Match::No;
                }
                if (lk != tk) return Match::No;
                return composites_match(local, lt, target, tt, behind_ptr, level);
            case BTF_KIND_INT:
                if (lk != tk) return Match::No;
                return lt->size == tt->size && (btf_int_encoding(lt) & BTF_INT_SIGNED) == (btf_int_encoding(tt) & BTF_INT_SIGNED)
                           ? Match::Yes
                           : Match::No;
            case BTF_KIND_PTR:
                if (lk != tk) return Match::No;
                behind_ptr = true;
                local_id = lt->type;
                target_id = tt->type;
                continue;
            case BTF_KIND_ARRAY:
                if (lk != tk || btf_array(lt)->nelems != btf_array(tt)->nelems) return Match::No;
                local_id = btf_array(lt)->type;
                target_id = btf_array(tt)->type;
                continue;
            case BTF_KIND_FUNC_PROTO: {
                if (lk != tk || btf_vlen(lt) != btf_vlen(tt)) return Match::No;
                for (uint16_t i = 0; i < btf_vlen(lt); ++i) {
                    XDPDK_ASSIGN_OR_RETURN(const Match m, types_match(local, btf_params(lt)[i].type, target,
                                                                      btf_params(tt)[i].type, behind_ptr, level - 1));
                    if (m == Match::No) return m;
                }
                local_id = lt->type;
                target_id = tt->type;
                continue;
            }
            default:
                return Match::No;
        }
    }
    return too_deep();
}

}  // namespace xdpdk::vm::core
