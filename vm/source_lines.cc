#include "source_lines.h"

#include <bpf/btf.h>

#include <algorithm>
#include <string_view>

#include "btf_ext.h"
#include "btf_info.h"
#include "printable.h"

namespace xdpdk::vm {
namespace {

// Deeper type chains than this are a damaged .BTF (a cycle), not a C type.
constexpr int kMaxTypeDepth = 32;

// A damaged .BTF may hold offsets outside its strings.
std::string_view name_of(const struct btf* btf, uint32_t off) {
    const char* s = btf__name_by_offset(btf, off);
    return s ? s : "";
}

// bpftool's __btf_dumper_type_only: every type but a function's name ends in
// a space ("struct xdp_md * "), so a parameter's name follows directly.
bool append_type(const struct btf* btf, uint32_t id, std::string& out, int depth);

bool append_func(const struct btf* btf, const struct btf_type* proto, std::string_view name, std::string& out,
                 int depth) {
    if (!btf_is_func_proto(proto) || !append_type(btf, proto->type, out, depth + 1)) return false;
    out += name;
    out += '(';
    const struct btf_param* params = btf_params(proto);
    for (uint16_t i = 0; i < btf_vlen(proto); ++i) {
        if (i) out += ", ";
        if (params[i].type == 0) {
            out += "...";
            continue;
        }
        if (!append_type(btf, params[i].type, out, depth + 1)) return false;
        if (params[i].name_off) {
            out += name_of(btf, params[i].name_off);
        } else if (!out.empty() && out.back() == ' ') {
            out.pop_back();
        }
    }
    out += ')';
    return true;
}

bool append_type(const struct btf* btf, uint32_t id, std::string& out, int depth) {
    if (depth > kMaxTypeDepth) return false;
    if (id == 0) {
        out += "void ";
        return true;
    }
    const struct btf_type* t = btf__type_by_id(btf, id);
    if (!t) return false;
    const std::string_view named = name_of(btf, t->name_off);
    // Appending, because GCC 12 misreports `"x" + std::string` (-Wrestrict).
    auto keyword_name = [&](std::string_view keyword) {
        out.append(keyword).append(named).append(" ");
        return true;
    };
    switch (btf_kind(t)) {
        case BTF_KIND_INT: case BTF_KIND_TYPEDEF: case BTF_KIND_FLOAT: return keyword_name("");
        case BTF_KIND_STRUCT: return keyword_name("struct ");
        case BTF_KIND_UNION: return keyword_name("union ");
        case BTF_KIND_ENUM: case BTF_KIND_ENUM64: return keyword_name("enum ");
        case BTF_KIND_FWD: return keyword_name(btf_kflag(t) ? "union " : "struct ");
        case BTF_KIND_ARRAY:
            if (!append_type(btf, btf_array(t)->type, out, depth + 1)) return false;
            out.append("[").append(std::to_string(btf_array(t)->nelems)).append("]");
            return true;
        case BTF_KIND_PTR:
            if (!append_type(btf, t->type, out, depth + 1)) return false;
            out += "* ";
            return true;
        case BTF_KIND_VOLATILE: out += "volatile "; return append_type(btf, t->type, out, depth + 1);
        case BTF_KIND_CONST: out += "const "; return append_type(btf, t->type, out, depth + 1);
        case BTF_KIND_RESTRICT: out += "restrict "; return append_type(btf, t->type, out, depth + 1);
        case BTF_KIND_FUNC_PROTO: return append_func(btf, t, "", out, depth);
        case BTF_KIND_FUNC: {
            const struct btf_type* proto = btf__type_by_id(btf, t->type);
            return proto && append_func(btf, proto, named, out, depth);
        }
        default:  // bpftool prints no prototype for the other kinds either
            return false;
    }
}

std::string basename_of(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

const LineInfo* Program::line_at(uint32_t pc) const {
    auto it = std::upper_bound(line_info.begin(), line_info.end(), pc,
                               [](uint32_t at, const LineInfo& l) { return at < l.insn; });
    return it == line_info.begin() ? nullptr : &*(it - 1);
}

std::string func_prototype(const BtfInfo& btf, uint32_t func_type_id) {
    const struct btf_type* t = btf__type_by_id(btf.get(), func_type_id);
    std::string out;
    if (!t || !btf_is_func(t) || !append_type(btf.get(), func_type_id, out, 0)) return "";
    return out;
}

void collect_source_info(const BtfExt& ext, const BtfInfo& btf, std::span<const PlacedFunc> placed,
                         std::vector<LineInfo>& lines, std::vector<FuncInfo>& funcs) {
    lines.clear();
    funcs.clear();
    for (const PlacedFunc& f : placed) {
        const BtfExtSection* sec = ext.section(f.section);
        if (!sec) continue;
        auto inside = [&](uint32_t insn) { return insn >= f.start && insn - f.start < f.count; };
        for (const BtfFuncRecord& r : sec->funcs) {
            if (!inside(r.insn)) continue;
            const struct btf_type* t = btf__type_by_id(btf.get(), r.type_id);
            const std::string name(t ? name_of(btf.get(), t->name_off) : "");
            funcs.push_back({r.insn - f.start + f.base, name, func_prototype(btf, r.type_id)});
        }
        for (const BtfLineRecord& r : sec->lines)
            if (inside(r.insn))
                lines.push_back({r.insn - f.start + f.base, std::string(r.file), std::string(r.line), r.line_num,
                                 r.column});
    }
    std::stable_sort(lines.begin(), lines.end(), [](const LineInfo& a, const LineInfo& b) { return a.insn < b.insn; });
    std::stable_sort(funcs.begin(), funcs.end(), [](const FuncInfo& a, const FuncInfo& b) { return a.insn < b.insn; });
}

void drop_removed_insns(const std::vector<bool>& removed, std::span<const int64_t> new_pos,
                        std::vector<LineInfo>& lines, std::vector<FuncInfo>& funcs) {
    const int64_t old_count = static_cast<int64_t>(removed.size());
    const int64_t new_count = new_pos[old_count];
    std::vector<LineInfo> kept_lines;
    for (size_t i = 0; i < lines.size(); ++i) {
        LineInfo line = std::move(lines[i]);
        const int64_t at = line.insn;
        if (at >= old_count) continue;
        if (!removed[at]) {
            line.insn = static_cast<uint32_t>(new_pos[at]);
            kept_lines.push_back(std::move(line));
            continue;
        }
        // A removed line survives only as the last one of its removed run,
        // and only when the first kept instruction after the run exists and
        // starts no line of its own.
        const int64_t next_kept = new_pos[at];
        const bool last_of_run = i + 1 == lines.size() || lines[i + 1].insn >= old_count ||
                                 new_pos[lines[i + 1].insn] != next_kept || !removed[lines[i + 1].insn];
        const bool next_has_own = i + 1 < lines.size() && lines[i + 1].insn < old_count &&
                                  !removed[lines[i + 1].insn] && new_pos[lines[i + 1].insn] == next_kept;
        if (next_kept < new_count && last_of_run && !next_has_own) {
            line.insn = static_cast<uint32_t>(next_kept);
            kept_lines.push_back(std::move(line));
        }
    }
    lines = std::move(kept_lines);

    std::vector<FuncInfo> kept_funcs;
    for (size_t i = 0; i < funcs.size(); ++i) {
        const int64_t start = funcs[i].insn;
        const int64_t end = i + 1 < funcs.size() ? std::min<int64_t>(funcs[i + 1].insn, old_count) : old_count;
        if (start >= old_count || new_pos[start] == new_pos[end]) continue;  // every instruction went
        FuncInfo f = std::move(funcs[i]);
        f.insn = static_cast<uint32_t>(new_pos[start]);
        kept_funcs.push_back(std::move(f));
    }
    funcs = std::move(kept_funcs);
}

Error with_source_line(Error err, std::span<const LineInfo> lines) {
    if (err.insn < 0 || lines.empty()) return err;
    auto it = std::upper_bound(lines.begin(), lines.end(), err.insn,
                               [](int64_t at, const LineInfo& l) { return at < int64_t{l.insn}; });
    if (it == lines.begin()) return err;
    const LineInfo& line = *(it - 1);
    // Line 0: code clang made for no line of the source (a spill, a merged
    // tail), about which there is nothing to quote.
    if (line.line_num == 0) return err;
    err.source = printable(basename_of(line.file));  // a file name is input too
    err.source.append(":").append(std::to_string(line.line_num)).append(" '");
    // The line as clang recorded it, tabs kept (as the kernel's verifier log
    // and bpftool print it), other control characters escaped so that the
    // error stays one line even for a damaged or odd .BTF.ext.
    for (const char c : line.text) err.source += c == '\t' ? std::string(1, c) : printable(std::string_view(&c, 1));
    err.source += "'";
    return err;
}

}  // namespace xdpdk::vm
