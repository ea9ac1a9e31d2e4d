#include "assembler.h"

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "asm_syntax.h"
#include "helpers.h"

namespace xdpdk::vm {

OperandFields operand_fields(Op op) {
    switch (op_info(op).kind) {
        case Kind::AluImm: return {true, false, false, true};
        case Kind::AluReg: case Kind::MovSx: return {true, true, false, false};
        case Kind::Neg: case Kind::Endian: return {true, false, false, false};
        case Kind::JmpImm: return {true, false, true, true};
        case Kind::JmpReg: return {true, true, true, false};
        case Kind::Ja: return {false, false, op == Op::Ja, op == Op::Ja32};
        case Kind::Call: case Kind::LddwTail: return {false, false, false, true};
        case Kind::Exit: return {false, false, false, false};
        case Kind::Lddw: return {true, false, false, true};
        case Kind::Ldx: case Kind::Ldxs: case Kind::Stx: case Kind::Atomic: return {true, true, true, false};
        case Kind::St: return {true, false, true, true};
    }
    return {false, false, false, false};
}

RawInsn encode_insn(Op op, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    const OpInfo& info = op_info(op);
    const OperandFields f = operand_fields(op);
    RawInsn r{info.code, static_cast<uint8_t>(f.dst ? dst & 15 : 0), static_cast<uint8_t>(f.src ? src & 15 : 0),
              f.off ? off : int16_t{0}, f.imm ? imm : 0};
    switch (info.select) {
        case Select::None: break;
        case Select::Off: r.off = static_cast<int16_t>(info.select_value); break;
        case Select::Imm: r.imm = info.select_value; break;
        case Select::Src: r.src = static_cast<uint8_t>(info.select_value & 15); break;
    }
    return r;
}

namespace {

using asm_syntax::Fixup;
using asm_syntax::Statement;

// Text after the first comment marker is dropped. `#` starts a comment only at
// the start or after a space, because bpftool writes `call bpf_trace_printk#6`.
std::string_view strip_comment(std::string_view line) {
    size_t cut = line.size();
    for (size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (c == ';' || (c == '/' && i + 1 < line.size() && line[i + 1] == '/') ||
            (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t'))) {
            cut = i;
            break;
        }
    }
    return line.substr(0, cut);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && asm_syntax::is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && asm_syntax::is_space(s.back())) s.remove_suffix(1);
    return s;
}

bool is_hex_digit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Drops what dumps print before the instruction: llvm-objdump's `12:` and raw
// bytes, bpftool's `12: (b7)`. Returns the opcode bpftool printed, if any.
std::optional<uint8_t> strip_dump_prefix(std::string_view& s) {
    size_t i = 0;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == 0 || i >= s.size() || s[i] != ':') return std::nullopt;
    s = trim(s.substr(i + 1));
    while (s.size() >= 2 && is_hex_digit(s[0]) && is_hex_digit(s[1]) &&
           (s.size() == 2 || asm_syntax::is_space(s[2])))
        s = trim(s.substr(2));
    if (s.size() >= 4 && s[0] == '(' && is_hex_digit(s[1]) && is_hex_digit(s[2]) && s[3] == ')') {
        const auto digit = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
        const uint8_t code = static_cast<uint8_t>(digit(s[1]) * 16 + digit(s[2]));
        s = trim(s.substr(4));
        return code;
    }
    return std::nullopt;
}

// A leading `name:` defines a label; returns its name and drops it from `s`.
std::optional<std::string> take_label(std::string_view& s) {
    if (s.empty() || !asm_syntax::is_ident_start(s[0])) return std::nullopt;
    size_t i = 1;
    while (i < s.size() && asm_syntax::is_ident_char(s[i])) ++i;
    if (i >= s.size() || s[i] != ':') return std::nullopt;
    std::string name(s.substr(0, i));
    s = trim(s.substr(i + 1));
    return name;
}

const asm_syntax::HelperNames& helpers_by_name() {
    static const asm_syntax::HelperNames table = [] {
        asm_syntax::HelperNames t;
        // helper_name covers every number the kernel defines and answers
        // "helper#N" past the end.
        for (int32_t id = 1; id < 100000; ++id) {
            std::string name = helper_name(id);
            if (name.starts_with("helper#")) break;
            t.emplace(std::move(name), id);
        }
        return t;
    }();
    return table;
}

struct PendingFixup {
    size_t insn;  // index of the instruction to patch
    Fixup fixup;
    size_t line;
    std::string text;
};

Error line_error(size_t line, std::string_view text, const std::string& reason) {
    return make_error("asm", "line " + std::to_string(line) + ": " + reason + " in `" + std::string(text) + "`");
}

Status apply_fixup(std::vector<RawInsn>& out, const PendingFixup& p,
                   const std::map<std::string, size_t, std::less<>>& labels) {
    RawInsn& insn = out[p.insn];
    auto label = labels.find(p.fixup.label);
    if (label == labels.end()) {
        if (p.fixup.kind == Fixup::Kind::CallName) {
            auto helper = helpers_by_name().find(p.fixup.label);
            if (helper == helpers_by_name().end())
                return line_error(p.line, p.text, "unknown label or helper '" + p.fixup.label + "'");
            insn = encode_insn(Op::Call, 0, 0, 0, helper->second);
            return {};
        }
        return line_error(p.line, p.text, "unknown label '" + p.fixup.label + "'");
    }
    const int64_t rel = static_cast<int64_t>(label->second) - static_cast<int64_t>(p.insn) - 1;
    switch (p.fixup.kind) {
        case Fixup::Kind::Off:
            if (rel < std::numeric_limits<int16_t>::min() || rel > std::numeric_limits<int16_t>::max())
                return line_error(p.line, p.text,
                                  "label '" + p.fixup.label + "' is " + std::to_string(rel) +
                                      " instructions away, beyond the 16-bit jump offset (use gotol)");
            insn.off = static_cast<int16_t>(rel);
            break;
        case Fixup::Kind::Imm: insn.imm = static_cast<int32_t>(rel); break;
        case Fixup::Kind::CallName: insn = encode_insn(Op::CallLocal, 0, 0, 0, static_cast<int32_t>(rel)); break;
    }
    return {};
}

}  // namespace

Result<std::vector<RawInsn>> assemble(std::string_view text) {
    std::vector<RawInsn> out;
    std::map<std::string, size_t, std::less<>> labels;
    std::vector<PendingFixup> fixups;

    size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        const size_t nl = text.find('\n');
        const std::string_view raw_line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);

        std::string_view s = trim(strip_comment(raw_line));
        const std::optional<uint8_t> dumped_code = strip_dump_prefix(s);
        while (auto label = take_label(s)) {
            if (!labels.emplace(*label, out.size()).second)
                return line_error(line_no, trim(raw_line), "label '" + *label + "' defined twice");
        }
        if (s.empty()) continue;

        auto stmt = asm_syntax::parse_statement(s, dumped_code, helpers_by_name());
        if (!stmt) return line_error(line_no, s, stmt.error().reason);
        if (stmt->fixup) fixups.push_back({out.size(), *stmt->fixup, line_no, std::string(s)});
        out.insert(out.end(), stmt->insns.begin(), stmt->insns.end());
    }
    for (const PendingFixup& p : fixups) XDPDK_RETURN_IF_ERROR(apply_fixup(out, p, labels));
    return out;
}

}  // namespace xdpdk::vm
