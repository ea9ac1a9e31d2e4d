// Field relocations: the access string parsed into a spec, the spec matched
// in a candidate, and each field kind's value (libbpf's bpf_core_parse_spec,
// bpf_core_spec_match, bpf_core_match_member, bpf_core_calc_field_relo).
#include <charconv>
#include <limits>

#include "core_reloc_impl.h"

namespace xdpdk::vm::core {
namespace {

Error spec_error(std::string reason) { return make_error("btf", std::move(reason)); }

// A flexible array: size 0, the last member of the struct the previous
// named accessor is in.
bool is_flex_array(const struct btf* btf, const Accessor* prev, const struct btf_array* arr) {
    if (!prev || !prev->name || arr->nelems > 0) return false;
    const btf_type* t = btf__type_by_id(btf, prev->type_id);
    return t && prev->idx + 1 == btf_vlen(t);
}

// Adds idx * sizeof(type) bytes to the bit offset, refusing overflow.
Status add_elements(const struct btf* btf, uint32_t type_id, uint32_t idx, Spec& spec) {
    XDPDK_ASSIGN_OR_RETURN(const uint32_t sz, type_size(btf, type_id));
    uint64_t bits = 0;
    if (__builtin_mul_overflow(uint64_t{idx}, uint64_t{sz} * 8, &bits) ||
        __builtin_add_overflow(bits, uint64_t{spec.bit_offset}, &bits) || bits > std::numeric_limits<uint32_t>::max())
        return spec_error("offset of element " + std::to_string(idx) + " overflows");
    spec.bit_offset = static_cast<uint32_t>(bits);
    return {};
}

Result<std::vector<uint32_t>> parse_access_string(std::string_view access) {
    std::vector<uint32_t> raw;
    if (access.empty() || access.front() == ':') return spec_error("access string " + quoted(access) + " is malformed");
    size_t at = 0;
    while (at < access.size()) {
        if (access[at] == ':') ++at;
        uint32_t v = 0;
        const auto [end, ec] = std::from_chars(access.data() + at, access.data() + access.size(), v);
        if (ec != std::errc() || end == access.data() + at)
            return spec_error("access string " + quoted(access) + " is malformed");
        if (raw.size() == kMaxSpecLen) return spec_error("access string " + quoted(access) + " is too long");
        raw.push_back(v);
        at = static_cast<size_t>(end - access.data());
    }
    return raw;
}

// libbpf's bpf_core_match_member: the local named member found by name in
// the target struct/union, anonymous members searched recursively.
Result<Match> match_member(const struct btf* local, const Accessor& local_acc, const struct btf* target,
                           uint32_t target_id, Spec& spec, uint32_t& next_target_id) {
    if (!spend_resolve_step()) return too_complex();
    const btf_type* tt = skip_mods_and_typedefs(target, target_id, &target_id);
    if (!tt) return spec_error("target type [" + std::to_string(target_id) + "] is invalid");
    if (!btf_is_composite(tt)) return Match::No;
    const btf_type* lt = btf__type_by_id(local, local_acc.type_id);
    const btf_member& local_member = btf_members(lt)[local_acc.idx];
    const std::string_view local_name = name_of(local, local_member.name_off);
    const uint16_t n = btf_vlen(tt);
    for (uint16_t i = 0; i < n; ++i) {
        const btf_member& m = btf_members(tt)[i];
        const uint32_t bit_offset = btf_member_bit_offset(tt, i);
        if (spec.raw.size() == kMaxSpecLen) return spec_error("target struct/union nesting is too deep");
        // Speculatively this member; undone below when it is not.
        spec.bit_offset += bit_offset;
        spec.raw.push_back(i);
        const std::string_view name = name_of(target, m.name_off);
        if (name.empty()) {
            XDPDK_ASSIGN_OR_RETURN(const Match found, match_member(local, local_acc, target, m.type, spec, next_target_id));
            if (found == Match::Yes) return found;
        } else if (name == local_name) {
            spec.access.push_back(Accessor{target_id, i, btf__name_by_offset(target, m.name_off)});
            next_target_id = m.type;
            XDPDK_ASSIGN_OR_RETURN(const Match found, fields_are_compat(local, local_member.type, target, m.type));
            if (found == Match::No) spec.access.pop_back();
            return found;
        }
        spec.bit_offset -= bit_offset;
        spec.raw.pop_back();
    }
    return Match::No;
}

}  // namespace

Status parse_spec(const struct btf* btf, uint32_t root_id, std::string_view access, CoreReloKind kind, Spec& spec) {
    spec = Spec{};
    spec.btf = btf;
    spec.root_type_id = root_id;
    spec.kind = kind;
    if (access.empty() || access.front() == ':') return spec_error("access string " + quoted(access) + " is malformed");
    if (core_relo_is_type_based(kind)) {
        if (access != "0") return spec_error("access string " + quoted(access) + " of a type relocation is not \"0\"");
        return {};
    }
    XDPDK_ASSIGN_OR_RETURN(spec.raw, parse_access_string(access));
    uint32_t id = 0;
    const btf_type* t = skip_mods_and_typedefs(btf, root_id, &id);
    if (!t) return spec_error("type [" + std::to_string(root_id) + "] is not in the object's BTF");
    spec.access.push_back(Accessor{id, spec.raw[0], nullptr});

    if (core_relo_is_enumval_based(kind)) {
        if (!btf_is_any_enum(t) || spec.raw.size() > 1 || spec.raw[0] >= btf_vlen(t))
            return spec_error("access string " + quoted(access) + " is not an enumerator of " +
                              c_type_name(btf, root_id));
        const uint32_t name_off = btf_is_enum(t) ? btf_enum(t)[spec.raw[0]].name_off : btf_enum64(t)[spec.raw[0]].name_off;
        spec.access[0].name = btf__name_by_offset(btf, name_off);
        return {};
    }
    if (!core_relo_is_field_based(kind)) return spec_error("relocation kind " + std::to_string(uint32_t(kind)) + " is unknown");

    XDPDK_RETURN_IF_ERROR(add_elements(btf, id, spec.raw[0], spec));
    for (size_t i = 1; i < spec.raw.size(); ++i) {
        t = skip_mods_and_typedefs(btf, id, &id);
        if (!t) return spec_error("type [" + std::to_string(id) + "] is invalid");
        const uint32_t idx = spec.raw[i];
        if (btf_is_composite(t)) {
            if (idx >= btf_vlen(t))
                return spec_error("access string " + quoted(access) + ": " + c_type_name(btf, id) + " has no member " +
                                  std::to_string(idx));
            spec.bit_offset += btf_member_bit_offset(t, idx);
            const btf_member& m = btf_members(t)[idx];
            if (m.name_off) {
                const char* name = btf__name_by_offset(btf, m.name_off);
                if (!name || !*name) return spec_error("member " + std::to_string(idx) + " of " + c_type_name(btf, id) + " has a bad name");
                spec.access.push_back(Accessor{id, idx, name});
            }
            id = m.type;
        } else if (btf_is_array(t)) {
            const struct btf_array* a = btf_array(t);
            const Accessor* prev = &spec.access.back();
            if (!skip_mods_and_typedefs(btf, a->type, &id)) return spec_error("array element type is invalid");
            if (!is_flex_array(btf, prev, a) && idx >= a->nelems)
                return spec_error("access string " + quoted(access) + ": index " + std::to_string(idx) +
                                  " is past the array's " + std::to_string(a->nelems) + " elements");
            spec.access.push_back(Accessor{id, idx, nullptr});
            XDPDK_RETURN_IF_ERROR(add_elements(btf, id, idx, spec));
        } else {
            return spec_error("access string " + quoted(access) + " steps into " + c_type_name(btf, id) +
                              ", which is neither a struct, a union nor an array");
        }
    }
    return {};
}

Result<Match> match_field_spec(const Spec& local, const struct btf* target, uint32_t target_id, Spec& out) {
    out = Spec{};
    out.btf = target;
    out.root_type_id = target_id;
    out.kind = local.kind;
    for (size_t i = 0; i < local.access.size(); ++i) {
        const Accessor& la = local.access[i];
        const btf_type* tt = skip_mods_and_typedefs(target, target_id, &target_id);
        if (!tt) return spec_error("target type [" + std::to_string(target_id) + "] is invalid");
        if (la.name) {
            XDPDK_ASSIGN_OR_RETURN(const Match m, match_member(local.btf, la, target, target_id, out, target_id));
            if (m == Match::No) return m;
            continue;
        }
        // The first index applies to the root itself; later ones to an array.
        if (i > 0) {
            if (!btf_is_array(tt)) return Match::No;
            const struct btf_array* a = btf_array(tt);
            if (!is_flex_array(target, out.access.empty() ? nullptr : &out.access.back(), a) && la.idx >= a->nelems)
                return Match::No;
            if (!skip_mods_and_typedefs(target, a->type, &target_id)) return spec_error("target array element type is invalid");
        }
        if (out.raw.size() == kMaxSpecLen) return spec_error("target nesting is too deep");
        out.access.push_back(Accessor{target_id, la.idx, nullptr});
        out.raw.push_back(la.idx);
        XDPDK_RETURN_IF_ERROR(add_elements(target, target_id, la.idx, out));
    }
    return Match::Yes;
}

Result<FieldValue> field_value(const Spec* spec, CoreReloKind kind) {
    FieldValue v;
    if (kind == CoreReloKind::FieldExists) {
        v.value = spec ? 1 : 0;
        return v;
    }
    if (!spec) {
        v.missing = true;
        return v;
    }
    const Accessor& acc = spec->access.back();
    const btf_type* t = btf__type_by_id(spec->btf, acc.type_id);
    if (!t) return spec_error("type [" + std::to_string(acc.type_id) + "] is invalid");
    if (!acc.name) {  // an array element, or the root itself
        XDPDK_ASSIGN_OR_RETURN(const uint32_t sz, type_size(spec->btf, acc.type_id));
        if (kind == CoreReloKind::FieldByteOffset) {
            v.value = spec->bit_offset / 8;
            v.mem_size = sz;
            v.type_id = acc.type_id;
        } else if (kind == CoreReloKind::FieldByteSize) {
            v.value = sz;
        } else {
            return spec_error(std::string(core_relo_kind_name(kind)) + " cannot be applied to an array element");
        }
        return v;
    }
    uint32_t field_type_id = 0;
    const btf_type* mt = skip_mods_and_typedefs(spec->btf, btf_members(t)[acc.idx].type, &field_type_id);
    if (!mt) return spec_error("member type is invalid");
    const uint32_t bit_off = spec->bit_offset;
    uint32_t bit_sz = btf_member_bitfield_size(t, acc.idx);
    const bool bitfield = bit_sz > 0;
    uint32_t byte_sz = 0, byte_off = 0;
    if (bitfield) {
        // The smallest load, aligned to its size, that holds the whole bitfield.
        byte_sz = mt->size;
        if (byte_sz == 0) return spec_error("bitfield " + std::string(acc.name) + " has a type of size 0");
        byte_off = bit_off / 8 / byte_sz * byte_sz;
        while (uint64_t{bit_off} + bit_sz - uint64_t{byte_off} * 8 > uint64_t{byte_sz} * 8) {
            if (byte_sz >= 8) return spec_error("bitfield " + std::string(acc.name) + " cannot be read with one 64-bit load");
            byte_sz *= 2;
            byte_off = bit_off / 8 / byte_sz * byte_sz;
        }
    } else {
        XDPDK_ASSIGN_OR_RETURN(byte_sz, type_size(spec->btf, field_type_id));
        byte_off = bit_off / 8;
        bit_sz = byte_sz * 8;
    }
    // The compiler may lay a bitfield's load out differently: only the
    // signedness and the right shift are checked against the instruction.
    v.validate = !bitfield;
    switch (kind) {
        case CoreReloKind::FieldByteOffset:
            v.value = byte_off;
            if (!bitfield) {
                v.mem_size = byte_sz;
                v.type_id = field_type_id;
            }
            break;
        case CoreReloKind::FieldByteSize: v.value = byte_sz; break;
        case CoreReloKind::FieldSigned:
            v.value = (btf_is_any_enum(mt) && btf_kflag(mt)) || (btf_is_int(mt) && (btf_int_encoding(mt) & BTF_INT_SIGNED));
            v.validate = true;
            break;
        // In 32 bits, then widened, as libbpf computes them: a field wider
        // than 64 bits gives 2^32 less its excess, not a 64-bit wrap.
        case CoreReloKind::FieldLshiftU64: v.value = uint32_t{64} - (bit_off + bit_sz - byte_off * 8); break;
        case CoreReloKind::FieldRshiftU64:
            v.value = uint32_t{64} - bit_sz;
            v.validate = true;
            break;
        default: return spec_error("relocation kind " + std::to_string(uint32_t(kind)) + " is not a field kind");
    }
    return v;
}

std::string format_spec(const Spec& spec) {
    const btf_type* root = btf__type_by_id(spec.btf, spec.root_type_id);
    std::string out(root ? name_of(spec.btf, root->name_off) : std::string_view());
    if (out.empty()) out = "<anon>";
    if (core_relo_is_type_based(spec.kind) || spec.access.empty()) return out;
    if (core_relo_is_enumval_based(spec.kind)) return out.append("::").append(spec.access[0].name ? spec.access[0].name : "?");
    for (size_t i = 0; i < spec.access.size(); ++i) {
        if (spec.access[i].name) out.append(".").append(spec.access[i].name);
        else if (i > 0 || spec.access[i].idx > 0) out.append("[").append(std::to_string(spec.access[i].idx)).append("]");
    }
    return out;
}

}  // namespace xdpdk::vm::core
