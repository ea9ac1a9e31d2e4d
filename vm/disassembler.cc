#include "disassembler.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "assembler.h"
#include "helpers.h"

namespace xdpdk::vm {
namespace {

// Appending, because GCC 12 misreports `"x" + std::string&&` (-Wrestrict).
std::string reg(bool wide, unsigned num) {
    std::string s(1, wide ? 'r' : 'w');
    return s += std::to_string(num);
}

std::string signed_str(int64_t v) {
    std::string s = v >= 0 ? "+" : "";
    return s += std::to_string(v);
}

// `r6 +0`: an address without its parentheses.
std::string base_off(const RawInsn& r) {
    std::string s = reg(true, r.dst);
    return s.append(" ").append(signed_str(r.off));
}

std::string mem(const char* type, const RawInsn& r, unsigned base) {
    std::string s = "*(";
    return s.append(type).append(" *)(").append(reg(true, base)).append(" ").append(signed_str(r.off)).append(")");
}

std::string raw_form(const char* directive, const RawInsn& r) {
    char buf[80];
    std::snprintf(buf, sizeof buf, "%s 0x%02x, %u, %u, %d, %" PRId32, directive, r.code, unsigned{r.dst},
                  unsigned{r.src}, int{r.off}, r.imm);
    return buf;
}

bool same(const RawInsn& a, const RawInsn& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Whether the mnemonic text says everything about `r`: registers in range and
// every non-operand field at its fixed value.
bool has_mnemonic(Op op, const RawInsn& r) {
    return r.dst <= 10 && r.src <= 10 && same(encode_insn(op, r.dst, r.src, r.off, r.imm), r);
}

bool is_lddw_tail(std::span<const RawInsn> prog, size_t index) {
    if (index >= prog.size()) return false;
    const RawInsn& t = prog[index];
    return t.code == 0 && t.dst == 0 && t.src == 0 && t.off == 0;
}

std::string atomic(const OpInfo& info, const RawInsn& r) {
    const bool wide = info.size == 8;
    const std::string src = reg(wide, r.src);
    const std::string type = wide ? "u64" : "u32";
    const std::string sym = info.sym;
    if (sym == "cmpxchg")
        return reg(wide, 0) + " = " + (wide ? "cmpxchg_64(" : "cmpxchg32_32(") + base_off(r) + ", " + reg(wide, 0) +
               ", " + src + ")";
    if (sym == "xchg") return src + " = " + (wide ? "xchg_64(" : "xchg32_32(") + base_off(r) + ", " + src + ")";
    if (sym.starts_with("fetch_"))
        return src + " = atomic_" + sym + "((" + type + " *)(" + base_off(r) + "), " + src + ")";
    return "lock " + mem(type.c_str(), r, r.dst) + " " + sym + " " + src;
}

std::string call(Op op, const RawInsn& r) {
    if (op == Op::CallLocal) return "call pc" + signed_str(r.imm);
    const std::string name = helper_name(r.imm);
    if (name.starts_with("helper#")) return "call " + std::to_string(r.imm);
    return "call " + name + "#" + std::to_string(r.imm);
}

std::string lddw(const RawInsn& r, const RawInsn& tail) {
    const uint64_t v = static_cast<uint32_t>(r.imm) | uint64_t{static_cast<uint32_t>(tail.imm)} << 32;
    char buf[64];
    std::snprintf(buf, sizeof buf, "r%u = 0x%" PRIx64 " ll", unsigned{r.dst}, v);
    return buf;
}

std::string mnemonic(Op op, std::span<const RawInsn> prog, size_t index) {
    const RawInsn& r = prog[index];
    const OpInfo& info = op_info(op);
    const std::string dst = reg(info.is64, r.dst), src = reg(info.is64, r.src);
    switch (info.kind) {
        case Kind::AluImm: return dst + " " + info.sym + " " + std::to_string(r.imm);
        case Kind::AluReg: return dst + " " + info.sym + " " + src;
        case Kind::Neg: return dst + " = -" + dst;
        case Kind::MovSx: return dst + " = (" + info.sym + ")" + src;
        case Kind::Endian: {
            const std::string d = reg(true, r.dst);
            return d + " = " + info.sym + std::to_string(info.size * 8) + " " + d;
        }
        case Kind::JmpImm: return "if " + dst + " " + info.sym + " " + std::to_string(r.imm) + " goto " + signed_str(r.off);
        case Kind::JmpReg: return "if " + dst + " " + info.sym + " " + src + " goto " + signed_str(r.off);
        case Kind::Ja: return op == Op::Ja ? "goto " + signed_str(r.off) : "gotol " + signed_str(r.imm);
        case Kind::Call: return call(op, r);
        case Kind::Exit: return "exit";
        case Kind::Lddw: return lddw(r, prog[index + 1]);
        case Kind::LddwTail: break;
        case Kind::Ldx: case Kind::Ldxs: return reg(true, r.dst) + " = " + mem(info.sym, r, r.src);
        case Kind::St: return mem(info.sym, r, r.dst) + " = " + std::to_string(r.imm);
        case Kind::Stx: return mem(info.sym, r, r.dst) + " = " + reg(true, r.src);
        case Kind::Atomic: return atomic(info, r);
    }
    return raw_form(".insn", r);
}

// The text of prog[index] and how many slots it covers.
std::pair<std::string, size_t> render(std::span<const RawInsn> prog, size_t index) {
    const RawInsn& r = prog[index];
    const auto op = decode_op(r);
    if (!op) return {raw_form(".invalid", r), 1};
    if (!has_mnemonic(*op, r)) return {raw_form(".insn", r), 1};
    if (*op == Op::Lddw) {
        if (!is_lddw_tail(prog, index + 1)) return {raw_form(".insn", r), 1};
        return {mnemonic(*op, prog, index), 2};
    }
    return {mnemonic(*op, prog, index), 1};
}

}  // namespace

std::string disassemble_insn(std::span<const RawInsn> prog, size_t index) {
    if (index >= prog.size()) return "";
    return render(prog, index).first;
}

std::string disassemble(std::span<const RawInsn> prog) {
    std::string out;
    for (size_t i = 0; i < prog.size();) {
        auto [text, slots] = render(prog, i);
        char num[32];
        std::snprintf(num, sizeof num, "%4zu: ", i);
        out += num;
        out += text;
        out += '\n';
        i += slots;
    }
    return out;
}

}  // namespace xdpdk::vm
