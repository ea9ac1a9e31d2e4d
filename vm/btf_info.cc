#include "btf_info.h"

#include <bpf/btf.h>
#include <linux/btf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace xdpdk::vm {
namespace {

constexpr uint16_t kBtfMagic = 0xeB9F;

// Follows typedefs and qualifiers; bounded so a malformed cycle cannot hang.
const btf_type* skip_mods_and_typedefs(const struct btf* btf, uint32_t id, uint32_t* res_id = nullptr) {
    const btf_type* t = btf__type_by_id(btf, id);
    for (int depth = 0; t && depth < 64; ++depth) {
        switch (btf_kind(t)) {
            case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST:
            case BTF_KIND_RESTRICT: case BTF_KIND_TYPE_TAG:
                id = t->type;
                t = btf__type_by_id(btf, id);
                continue;
            default:
                if (res_id) *res_id = id;
                return t;
        }
    }
    return nullptr;
}

std::string name_of(const struct btf* btf, uint32_t name_off) {
    const char* s = btf__name_by_offset(btf, name_off);
    return s ? s : "";
}

// libbpf's __uint(name, val) is `int (*name)[val]`: the value is the array length.
Result<uint32_t> map_int_field(const struct btf* btf, const btf_member& m, const std::string& subject,
                               const std::string& field) {
    const btf_type* ptr = skip_mods_and_typedefs(btf, m.type);
    if (!ptr || !btf_is_ptr(ptr))
        return make_error(subject, "field '" + field + "' is not a pointer (use __uint(" + field + ", N))");
    const btf_type* arr = skip_mods_and_typedefs(btf, ptr->type);
    if (!arr || !btf_is_array(arr))
        return make_error(subject, "field '" + field + "' is not a pointer to an array (use __uint(" + field + ", N))");
    return btf_array(arr)->nelems;
}

// libbpf's __type(name, T) is `typeof(T) *name`: the size is sizeof(T).
// `type_id` receives T's id.
Result<uint32_t> map_type_size_field(const struct btf* btf, const btf_member& m, const std::string& subject,
                                     const std::string& field, uint32_t& type_id) {
    const btf_type* ptr = skip_mods_and_typedefs(btf, m.type);
    if (!ptr || !btf_is_ptr(ptr))
        return make_error(subject, "field '" + field + "' is not a pointer (use __type(" + field + ", T))");
    const int64_t size = btf__resolve_size(btf, ptr->type);
    if (size < 0)
        return make_error(subject, "cannot determine the size of the " + field + " type: " + std::strerror(int(-size)));
    if (size == 0 || size > UINT32_MAX) return make_error(subject, field + " type has invalid size " + std::to_string(size));
    type_id = ptr->type;
    return static_cast<uint32_t>(size);
}

Status set_size(uint32_t& slot, uint32_t size, const std::string& subject, const char* what) {
    if (slot && slot != size)
        return make_error(subject, std::string("conflicting ") + what + " size " + std::to_string(slot) + " and " +
                                       std::to_string(size));
    slot = size;
    return {};
}

// One map definition struct, as libbpf's parse_btf_map_def reads it; `inner`:
// the definition an outer map's `values` points to, which may not have
// `values` of its own.
Result<BtfMapDef> parse_map_struct(const struct btf* btf, const btf_type* st, std::string name, bool inner) {
    BtfMapDef def;
    def.spec.name = std::move(name);
    const std::string subject = "map '" + def.spec.name + "'";
    if (!st || !btf_is_struct(st)) return make_error(subject, "definition is not a struct");

    const btf_member* members = btf_members(st);
    const uint16_t n = btf_vlen(st);
    for (uint16_t i = 0; i < n; ++i) {
        const btf_member& m = members[i];
        const std::string field = name_of(btf, m.name_off);
        if (field == "type" || field == "max_entries" || field == "map_flags" || field == "key_size" ||
            field == "value_size" || field == "numa_node" || field == "pinning" || field == "map_extra") {
            XDPDK_ASSIGN_OR_RETURN(uint32_t v, map_int_field(btf, m, subject, field));
            if (field == "type") def.spec.type = v;
            else if (field == "max_entries") def.spec.max_entries = v;
            else if (field == "map_flags") def.spec.flags = v;
            else if (field == "key_size") XDPDK_RETURN_IF_ERROR(set_size(def.spec.key_size, v, subject, "key"));
            else if (field == "value_size") XDPDK_RETURN_IF_ERROR(set_size(def.spec.value_size, v, subject, "value"));
            // numa_node, pinning and map_extra do not change behavior in this runtime.
        } else if (field == "key" || field == "value") {
            uint32_t& type_id = field == "key" ? def.key_type_id : def.value_type_id;
            XDPDK_ASSIGN_OR_RETURN(uint32_t size, map_type_size_field(btf, m, subject, field, type_id));
            uint32_t& slot = field == "key" ? def.spec.key_size : def.spec.value_size;
            XDPDK_RETURN_IF_ERROR(set_size(slot, size, subject, field.c_str()));
        } else if (field == "values") {
            if (inner) return make_error(subject, "an inner map definition cannot have 'values' (maps of maps do not nest)");
            if (i != n - 1) return make_error(subject, "'values' must be the last field");
            const bool prog_array = def.spec.type == static_cast<uint32_t>(MapType::ProgArray);
            if (!prog_array && !is_map_of_maps(def.spec.type))
                return make_error(subject, "'values' is only for prog arrays and maps of maps, not " +
                                               std::string(map_type_name(def.spec.type)) + " maps");
            const btf_type* arr = btf__type_by_id(btf, m.type);
            const btf_type* elem = arr && btf_is_array(arr) ? skip_mods_and_typedefs(btf, btf_array(arr)->type) : nullptr;
            if (!elem || !btf_is_ptr(elem) || btf_array(arr)->nelems != 0)
                return make_error(subject, "'values' must be an array of pointers (use __array(values, ...))");
            const btf_type* target = skip_mods_and_typedefs(btf, elem->type);
            if (prog_array) {
                if (!target || !btf_is_func_proto(target))
                    return make_error(subject, "prog array 'values' must point to functions");
            } else {
                if (!target || !btf_is_struct(target))
                    return make_error(subject, "map-in-map 'values' must point to an inner map definition struct");
                XDPDK_ASSIGN_OR_RETURN(BtfMapDef in, parse_map_struct(btf, target, def.spec.name + ".inner", true));
                def.inner = std::make_shared<const BtfMapDef>(std::move(in));
            }
            XDPDK_RETURN_IF_ERROR(set_size(def.spec.value_size, 4, subject, "value"));
            def.has_values = true;
            def.values_offset = btf_member_bit_offset(st, i) / 8;
        } else {
            return make_error(subject, "unknown field '" + field + "' in the map definition");
        }
    }
    if (def.spec.type == 0) return make_error(subject, "map type is not set (use __uint(type, BPF_MAP_TYPE_...))");
    if (is_map_of_maps(def.spec.type) && !def.inner)
        return make_error(subject, "a map of maps needs its inner map definition: __array(values, struct ...)");
    return def;
}

Result<BtfMapDef> parse_one_map(const struct btf* btf, const btf_var_secinfo& vi) {
    const btf_type* var = btf__type_by_id(btf, vi.type);
    if (!var || !btf_is_var(var)) return make_error("map", "'.maps' entry is not a variable");
    return parse_map_struct(btf, skip_mods_and_typedefs(btf, var->type), name_of(btf, var->name_off), false);
}

}  // namespace

Result<BtfInfo> BtfInfo::parse(std::span<const uint8_t> data, const std::string& subject) {
    auto fail = [&](std::string reason) { return make_error(subject, "invalid BTF: " + std::move(reason)); };
    btf_header hdr{};
    if (data.size() < sizeof hdr) return fail("section is " + std::to_string(data.size()) + " bytes");
    std::memcpy(&hdr, data.data(), sizeof hdr);
    if (hdr.magic != kBtfMagic) return fail("bad magic");
    if (hdr.hdr_len < sizeof hdr || hdr.hdr_len > data.size()) return fail("bad header length " + std::to_string(hdr.hdr_len));
    const uint64_t body = data.size() - hdr.hdr_len;
    if (uint64_t{hdr.type_off} + hdr.type_len > body || uint64_t{hdr.str_off} + hdr.str_len > body)
        return fail("type or string section lies outside the BTF data");

    errno = 0;
    struct btf* b = btf__new(data.data(), static_cast<uint32_t>(data.size()));
    // libbpf 1.x returns NULL and sets errno on failure.
    if (!b) return fail(std::strerror(errno ? errno : EINVAL));
    BtfInfo info;
    info.btf_.reset(b, btf__free);
    return info;
}

uint32_t BtfInfo::find_datasec(std::string_view name) const {
    const int32_t id = btf__find_by_name_kind(btf_.get(), std::string(name).c_str(), BTF_KIND_DATASEC);
    return id > 0 ? static_cast<uint32_t>(id) : 0;
}

void BtfInfo::fixup_datasec(std::string_view section, uint32_t size,
                            std::span<const std::pair<std::string, uint32_t>> offsets) {
    const uint32_t sec_id = find_datasec(section);
    if (!sec_id) return;
    // btf__new() copied the section into memory libbpf owns; libbpf edits it
    // in place the same way.
    auto* sec = const_cast<btf_type*>(btf__type_by_id(btf_.get(), sec_id));
    if (sec->size != 0) return;
    sec->size = size;
    btf_var_secinfo* vars = btf_var_secinfos(sec);
    const uint16_t n = btf_vlen(sec);
    for (uint16_t i = 0; i < n; ++i) {
        const btf_type* var = btf__type_by_id(btf_.get(), vars[i].type);
        // libbpf keeps the offsets clang gave static variables.
        if (!var || !btf_is_var(var) || btf_var(var)->linkage == BTF_VAR_STATIC) continue;
        const std::string var_name = name_of(btf_.get(), var->name_off);
        for (const auto& [name, offset] : offsets)
            if (name == var_name) vars[i].offset = offset;
    }
    std::stable_sort(vars, vars + n, [](const btf_var_secinfo& a, const btf_var_secinfo& b) { return a.offset < b.offset; });
}

Result<std::vector<BtfMapDef>> parse_btf_map_defs(const BtfInfo& info) {
    std::vector<BtfMapDef> defs;
    const uint32_t sec_id = info.find_datasec(".maps");
    if (!sec_id) return defs;
    const btf_type* sec = btf__type_by_id(info.get(), sec_id);
    const btf_var_secinfo* vars = btf_var_secinfos(sec);
    for (uint16_t i = 0; i < btf_vlen(sec); ++i) {
        XDPDK_ASSIGN_OR_RETURN(BtfMapDef def, parse_one_map(info.get(), vars[i]));
        defs.push_back(std::move(def));
    }
    return defs;
}

std::vector<BtfDataVar> datasec_vars(const BtfInfo& info, std::string_view section) {
    std::vector<BtfDataVar> out;
    const uint32_t sec_id = info.find_datasec(section);
    if (!sec_id) return out;
    const btf_type* sec = btf__type_by_id(info.get(), sec_id);
    const btf_var_secinfo* vars = btf_var_secinfos(sec);
    for (uint16_t i = 0; i < btf_vlen(sec); ++i) {
        const btf_type* var = btf__type_by_id(info.get(), vars[i].type);
        if (!var || !btf_is_var(var)) continue;
        out.push_back(BtfDataVar{name_of(info.get(), var->name_off), vars[i].offset, vars[i].size,
                                 btf_var(var)->linkage == BTF_VAR_STATIC});
    }
    return out;
}

}  // namespace xdpdk::vm

namespace xdpdk::vm {
namespace {

// The kernel's btf_type_str(), for messages worded as Linux words them.
const char* btf_kind_str(const btf_type* t) {
    static const char* const kNames[] = {"UNKNOWN", "INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM",
                                         "FWD", "TYPEDEF", "VOLATILE", "CONST", "RESTRICT", "FUNC",
                                         "FUNC_PROTO", "VAR", "DATASEC", "FLOAT", "DECL_TAG", "TYPE_TAG", "ENUM64"};
    const unsigned k = btf_kind(t);
    return k < sizeof(kNames) / sizeof(kNames[0]) ? kNames[k] : "UNKNOWN";
}

// The `arg:<tag>` declaration tags on argument `arg` of FUNC `func_id`.
std::vector<std::string> arg_tags(const struct btf* btf, uint32_t func_id, int arg) {
    std::vector<std::string> tags;
    const uint32_t n = btf__type_cnt(btf);
    for (uint32_t id = 1; id < n; ++id) {
        const btf_type* t = btf__type_by_id(btf, id);
        if (!btf_is_decl_tag(t) || t->type != func_id || btf_decl_tag(t)->component_idx != arg) continue;
        const std::string_view tag = btf__str_by_offset(btf, t->name_off);
        if (tag.starts_with("arg:")) tags.emplace_back(tag.substr(4));
    }
    return tags;
}

}  // namespace

std::optional<GlobalFunc> btf_global_func(const BtfInfo& info, const std::string& name) {
    const struct btf* btf = info.get();
    const int id = btf__find_by_name_kind(btf, name.c_str(), BTF_KIND_FUNC);
    if (id <= 0) return std::nullopt;
    const btf_type* func = btf__type_by_id(btf, static_cast<uint32_t>(id));
    if (btf_vlen(func) != BTF_FUNC_GLOBAL) return std::nullopt;
    GlobalFunc g;
    g.name = name;
    const btf_type* proto = btf__type_by_id(btf, func->type);
    if (!proto || !btf_is_func_proto(proto)) {
        g.invalid = "Invalid type of function " + name + "()";
        return g;
    }
    const int nargs = btf_vlen(proto);
    if (nargs > 5) {
        g.invalid = "Global function " + name + "() with " + std::to_string(nargs) + " > 5 args. Buggy compiler.";
        return g;
    }
    const btf_type* ret = skip_mods_and_typedefs(btf, proto->type);
    if (!ret || (!btf_is_int(ret) && !btf_is_any_enum(ret))) {
        g.invalid = "Global function " + name + "() doesn't return scalar. Only those are supported.";
        return g;
    }
    const btf_param* params = btf_params(proto);
    for (int i = 0; i < nargs; ++i) {
        const std::string argn = "arg#" + std::to_string(i);
        bool tag_ctx = false, tag_nonnull = false;
        for (const std::string& tag : arg_tags(btf, static_cast<uint32_t>(id), i)) {
            if (tag == "ctx") tag_ctx = true;
            else if (tag == "nonnull") tag_nonnull = true;
            else {
                g.invalid = argn + " has unsupported tag 'arg:" + tag + "' in xdpdk";
                return g;
            }
        }
        const btf_type* t = skip_mods_and_typedefs(btf, params[i].type);
        if (!t) {
            g.invalid = argn + " has a malformed type";
            return g;
        }
        FuncArg a;
        if (btf_is_ptr(t)) {
            // Pointers to struct xdp_md are the context, as the kernel
            // matches the program type's context by its struct name.
            const btf_type* pointee = skip_mods_and_typedefs(btf, t->type);
            const bool ctx_struct = pointee && btf_is_struct(pointee) &&
                                    std::string_view(btf__str_by_offset(btf, pointee->name_off)) == "xdp_md";
            if (tag_ctx || ctx_struct) {
                if (tag_nonnull) {
                    g.invalid = argn + " has invalid combination of tags";
                    return g;
                }
                a.kind = FuncArg::Kind::Ctx;
            } else {
                // Anything else is memory of the pointee's size, which may be
                // NULL unless tagged nonnull; void has no size.
                const __s64 size = pointee ? btf__resolve_size(btf, t->type) : -EINVAL;
                if (size < 0) {
                    std::string pname = pointee ? btf__str_by_offset(btf, pointee->name_off) : "";
                    g.invalid = argn + " reference type('" + (pointee ? btf_kind_str(pointee) : "UNKNOWN") + " " +
                                pname + "') size cannot be determined: " + std::to_string(size);
                    return g;
                }
                a.kind = FuncArg::Kind::Mem;
                a.mem_size = static_cast<uint32_t>(size);
                a.nonnull = tag_nonnull;
            }
        } else if (tag_ctx || tag_nonnull) {
            g.invalid = argn + " has pointer tag, but is not a pointer type";
            return g;
        } else if (btf_is_int(t) || btf_is_any_enum(t)) {
            a.kind = FuncArg::Kind::Scalar;
        } else {
            g.invalid = "Arg#" + std::to_string(i) + " type " + btf_kind_str(t) + " in " + name +
                        "() is not supported yet.";
            return g;
        }
        g.args.push_back(a);
    }
    return g;
}

}  // namespace xdpdk::vm
