// One assembly statement -> its encoding. The assembler (assembler.cc) owns
// lines, labels and fixups; this file owns the instruction grammar.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "error.h"
#include "opcodes.h"

namespace xdpdk::vm::asm_syntax {

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }
inline bool is_ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
}
inline bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }

// A reference to a label, resolved once every label is known.
struct Fixup {
    enum class Kind : uint8_t {
        Off,       // jump offset field
        Imm,       // gotol / call pc+N immediate
        CallName,  // `call name`: a local function if a label, else a helper
    } kind;
    std::string label;
};

struct Statement {
    std::vector<RawInsn> insns;  // two for lddw
    std::optional<Fixup> fixup;  // patches insns[0]
};

using HelperNames = std::map<std::string, int32_t, std::less<>>;

// `text` is one instruction without comment, label or dump prefix.
// `dumped_code` is the opcode bpftool printed before it, which tells an lddw
// apart from a move (bpftool omits `ll`). Errors carry only the reason.
Result<Statement> parse_statement(std::string_view text, std::optional<uint8_t> dumped_code,
                                  const HelperNames& helpers);

}  // namespace xdpdk::vm::asm_syntax
