// Candidate search and type compatibility, by libbpf's rules
// (bpf_core_add_cands, bpf_core_types_are_compat, bpf_core_fields_are_compat):
// a candidate is a target type of the same essential name and a compatible
// kind; compatibility looks through modifiers and typedefs.
#include <cstring>

#include "core_reloc_impl.h"

namespace xdpdk::vm::core {

const btf_type* skip_mods_and_typedefs(const struct btf* btf, uint32_t id, uint32_t* res_id) {
    const btf_type* t = btf__type_by_id(btf, id);
    // A typedef cycle is malformed BTF: bounded rather than followed forever.
    for (int depth = 0; t && (btf_is_mod(t) || btf_is_typedef(t)); ++depth) {
        if (depth == kMaxTypeDepth) return nullptr;
        id = t->type;
        t = btf__type_by_id(btf, id);
    }
    if (res_id) *res_id = id;
    return t;
}

std::string_view name_of(const struct btf* btf, uint32_t name_off) {
    const char* s = btf__name_by_offset(btf, name_off);
    return s ? std::string_view(s) : std::string_view();
}

std::string quoted(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out.append(1, '\'').append(s).append(1, '\'');
    return out;
}

size_t essential_name_len(std::string_view name) {
    auto is_flavor_sep = [&](size_t i) {
        return name[i] != '_' && name[i + 1] == '_' && name[i + 2] == '_' && name[i + 3] == '_' && name[i + 4] != '_';
    };
    for (size_t i = name.size() >= 5 ? name.size() - 5 + 1 : 0; i-- > 0;)
        if (is_flavor_sep(i)) return i + 1;
    return name.size();
}

bool kinds_compatible(const btf_type* a, const btf_type* b) {
    return btf_kind(a) == btf_kind(b) || (btf_is_any_enum(a) && btf_is_any_enum(b));
}

Result<uint32_t> type_size(const struct btf* btf, uint32_t id) {
    const long long sz = btf__resolve_size(btf, id);
    if (sz < 0) return make_error("btf", "type [" + std::to_string(id) + "] has no size");
    return static_cast<uint32_t>(sz);
}

std::string c_type_name(const struct btf* btf, uint32_t id) {
    const btf_type* t = btf__type_by_id(btf, id);
    if (!t) return "type [" + std::to_string(id) + "]";
    std::string name(name_of(btf, t->name_off));
    if (name.empty()) name = "<anon>";
    switch (btf_kind(t)) {
        case BTF_KIND_STRUCT: return "struct " + name;
        case BTF_KIND_UNION: return "union " + name;
        case BTF_KIND_ENUM: case BTF_KIND_ENUM64: return "enum " + name;
        case BTF_KIND_FWD: return (btf_kflag(t) ? "union " : "struct ") + name;
        default: return name;
    }
}

std::vector<uint32_t> find_candidates(const struct btf* local, uint32_t local_id, const struct btf* target) {
    std::vector<uint32_t> out;
    const btf_type* local_t = btf__type_by_id(local, local_id);
    if (!local_t) return out;
    const std::string_view local_name = name_of(local, local_t->name_off);
    const size_t local_len = essential_name_len(local_name);
    const uint32_t n = btf__type_cnt(target);
    for (uint32_t i = 1; i < n; ++i) {
        const btf_type* t = btf__type_by_id(target, i);
        if (!kinds_compatible(t, local_t)) continue;
        const std::string_view name = name_of(target, t->name_off);
        if (name.empty() || essential_name_len(name) != local_len) continue;
        if (name.substr(0, local_len) == local_name.substr(0, local_len)) out.push_back(i);
    }
    return out;
}

namespace {
Error bad_type(uint32_t local_id, uint32_t target_id) {
    return make_error("btf", "type [" + std::to_string(local_id) + "] or target type [" + std::to_string(target_id) +
                                 "] is invalid or nested too deep");
}
}  // namespace

Result<Match> types_are_compat(const struct btf* local, uint32_t local_id, const struct btf* target,
                               uint32_t target_id, int level) {
    if (!spend_resolve_step()) return too_complex();
    const btf_type* lt = btf__type_by_id(local, local_id);
    const btf_type* tt = btf__type_by_id(target, target_id);
    if (!lt || !tt) return bad_type(local_id, target_id);
    if (!kinds_compatible(lt, tt)) return Match::No;
    for (int depth = kMaxTypeDepth; depth > 0; --depth) {
        lt = skip_mods_and_typedefs(local, local_id, &local_id);
        tt = skip_mods_and_typedefs(target, target_id, &target_id);
        if (!lt || !tt) return bad_type(local_id, target_id);
        if (!kinds_compatible(lt, tt)) return Match::No;
        switch (btf_kind(lt)) {
            case BTF_KIND_UNKN: case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_ENUM:
            case BTF_KIND_FWD: case BTF_KIND_ENUM64:
                return Match::Yes;
            case BTF_KIND_INT:
                // Only the deprecated bitfield-like integers are refused.
                return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0 ? Match::Yes : Match::No;
            case BTF_KIND_PTR:
                local_id = lt->type;
                target_id = tt->type;
                continue;
            case BTF_KIND_ARRAY:
                local_id = btf_array(lt)->type;
                target_id = btf_array(tt)->type;
                continue;
            case BTF_KIND_FUNC_PROTO: {
                const uint16_t n = btf_vlen(lt);
                if (n != btf_vlen(tt)) return Match::No;
                for (uint16_t i = 0; i < n; ++i) {
                    if (level <= 0) return bad_type(local_id, target_id);
                    uint32_t lp = 0, tp = 0;
                    skip_mods_and_typedefs(local, btf_params(lt)[i].type, &lp);
                    skip_mods_and_typedefs(target, btf_params(tt)[i].type, &tp);
                    XDPDK_ASSIGN_OR_RETURN(const Match m, types_are_compat(local, lp, target, tp, level - 1));
                    if (m == Match::No) return Match::No;
                }
                skip_mods_and_typedefs(local, lt->type, &local_id);
                skip_mods_and_typedefs(target, tt->type, &target_id);
                continue;
            }
            default:
                return Match::No;
        }
    }
    return bad_type(local_id, target_id);
}

Result<Match> fields_are_compat(const struct btf* local, uint32_t local_id, const struct btf* target,
                                uint32_t target_id) {
    for (int depth = kMaxTypeDepth; depth > 0; --depth) {
        const btf_type* lt = skip_mods_and_typedefs(local, local_id, &local_id);
        const btf_type* tt = skip_mods_and_typedefs(target, target_id, &target_id);
        if (!lt || !tt) return bad_type(local_id, target_id);
        if (btf_is_composite(lt) && btf_is_composite(tt)) return Match::Yes;
        if (!kinds_compatible(lt, tt)) return Match::No;
        switch (btf_kind(lt)) {
            case BTF_KIND_PTR: case BTF_KIND_FLOAT:
                return Match::Yes;
            case BTF_KIND_FWD: case BTF_KIND_ENUM: case BTF_KIND_ENUM64: {
                // Either anonymous, or the same name less flavors.
                const std::string_view ln = name_of(local, lt->name_off), tn = name_of(target, tt->name_off);
                const size_t ll = essential_name_len(ln), tl = essential_name_len(tn);
                return ll == 0 || tl == 0 || (ll == tl && ln.substr(0, ll) == tn.substr(0, tl)) ? Match::Yes
                                                                                                 : Match::No;
            }
            case BTF_KIND_INT:
                return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0 ? Match::Yes : Match::No;
            case BTF_KIND_ARRAY:
                local_id = btf_array(lt)->type;
                target_id = btf_array(tt)->type;
                continue;
            default:
                return Match::No;
        }
    }
    return bad_type(local_id, target_id);
}

}  // namespace xdpdk::vm::core
