#include <cctype>
#include <cstdio>

#include "prog_dump.h"
#include "vm/disassembler.h"
#include "vm/map.h"

namespace xdpdk::inspect {
namespace {

const vm::LddwOrigin* find_origin(const vm::Program& prog, size_t index) {
    for (const auto& origin : prog.lddw_origins)
        if (origin.insn == index) return &origin;
    return nullptr;
}

bool is_lddw_tail(const vm::Program& prog, size_t index) {
    return index < prog.insns.size() && prog.insns[index].op == vm::Op::LddwTail;
}

// "r1 = map[counts] ll" for a map, "r1 = map[hello.bss]+4 ll" for a pointer
// into its value.
std::string map_reference(const vm::RawInsn& insn, const vm::LddwOrigin& origin) {
    // Appending, because GCC 12 misreports `"x" + std::string&&` (-Wrestrict).
    std::string text = "r";
    text.append(std::to_string(insn.dst)).append(" = map[");
    text.append(origin.map != nullptr ? origin.map->name() : "?").append("]");
    if (origin.value) text.append("+").append(std::to_string(origin.offset));
    return text.append(" ll");
}

// bpftool's btf_dump_linfo_plain: "; line" or, with linum,
// "; line [file:F line_num:N line_col:C]".
std::string source_line_text(const vm::LineInfo& line, bool linum) {
    size_t start = 0;
    while (start < line.text.size() && std::isspace(static_cast<unsigned char>(line.text[start]))) ++start;
    std::string out = "; ";
    out.append(line.text, start);
    if (linum)
        out.append(" [file:").append(line.file).append(" line_num:").append(std::to_string(line.line_num))
            .append(" line_col:").append(std::to_string(line.column)).append("]");
    return out.append("\n");
}

}  // namespace

std::string dump_header(const vm::Program& prog) {
    return "prog '" + prog.name + "' (section " + prog.section + "):";
}

std::string xlated_insn_text(const vm::Program& prog, size_t index) {
    if (index >= prog.xlated.size() || is_lddw_tail(prog, index)) return "";
    if (const vm::LddwOrigin* origin = find_origin(prog, index))
        return map_reference(prog.xlated[index], *origin);
    return vm::disassemble_insn(prog.xlated, index);
}

std::string format_xlated(const vm::Program& prog, const XlatedDumpOptions& opts) {
    std::string out;
    auto func = prog.func_info.begin();
    const vm::LineInfo* last_line = nullptr;
    for (size_t i = 0; i < prog.xlated.size(); ++i) {
        if (is_lddw_tail(prog, i)) continue;
        while (func != prog.func_info.end() && func->insn < i) ++func;
        if (func != prog.func_info.end() && func->insn == i && !func->prototype.empty())
            out.append(func->prototype).append(":\n");
        if (const vm::LineInfo* line = prog.line_at(static_cast<uint32_t>(i)); line && line != last_line) {
            out += source_line_text(*line, opts.linum);
            last_line = line;
        }
        char prefix[32];
        std::snprintf(prefix, sizeof prefix, "%4zu: (%02x) ", i, unsigned{prog.xlated[i].code});
        out += prefix;
        out += xlated_insn_text(prog, i);
        out += '\n';
    }
    return out;
}

}  // namespace xdpdk::inspect
