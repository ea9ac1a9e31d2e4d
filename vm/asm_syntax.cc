// Grammar of one statement, as llvm-objdump and bpftool print them. Operator
// and type spellings are read from the opcode table, so an Op added there is
// assembled without touching this file (unless it brings a new shape).
#include "asm_syntax.h"

#include <algorithm>
#include <limits>

#include "assembler.h"

namespace xdpdk::vm::asm_syntax {
namespace {

template <class Pred>
std::optional<Op> find_op(Pred pred) {
    for (int i = 0; i < kNumOps; ++i)
        if (pred(op_info(static_cast<Op>(i)))) return static_cast<Op>(i);
    return std::nullopt;
}

// The distinct `sym` spellings of one kind, longest first so that `s>=` is
// tried before `s>` and `<<=` before `=`.
std::vector<std::string> syms_of(Kind kind) {
    std::vector<std::string> out;
    for (int i = 0; i < kNumOps; ++i) {
        const OpInfo& info = op_info(static_cast<Op>(i));
        if (info.kind == kind && std::find(out.begin(), out.end(), info.sym) == out.end()) out.push_back(info.sym);
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    return out;
}

const std::vector<std::string>& alu_syms() {
    static const auto v = syms_of(Kind::AluImm);
    return v;
}
const std::vector<std::string>& jmp_syms() {
    static const auto v = syms_of(Kind::JmpImm);
    return v;
}
// Atomic syms are either operators (`+=`, for `lock`) or names (`fetch_add`).
const std::vector<std::string>& atomic_syms() {
    static const auto v = syms_of(Kind::Atomic);
    return v;
}

struct Reg {
    uint8_t num;
    bool wide;  // rN (64-bit) rather than wN
    std::string str() const {
        std::string s(1, wide ? 'r' : 'w');
        return s += std::to_string(num);
    }
};

struct Number {
    bool negative = false;
    bool hex = false;
    uint64_t magnitude = 0;
    std::string str() const {
        return (negative ? "-" : "") + (hex ? "0x" + to_hex() : std::to_string(magnitude));
    }
    std::string to_hex() const {
        static constexpr char kDigits[] = "0123456789abcdef";
        std::string s;
        uint64_t m = magnitude;
        do {
            s.insert(s.begin(), kDigits[m & 15]);
            m >>= 4;
        } while (m);
        return s;
    }
};

struct Address {
    Reg base;
    int16_t off;
};

Error fail(std::string reason) { return make_error("", std::move(reason)); }

class Parser {
public:
    Parser(std::string_view text, std::optional<uint8_t> dumped_code, const HelperNames& helpers)
        : s_(text), dumped_code_(dumped_code), helpers_(helpers) {}

    Result<Statement> statement() {
        auto st = dispatch();
        if (!st) return st;
        skip_annotation();
        if (!at_end()) return fail("unexpected '" + std::string(rest()) + "'");
        return st;
    }

private:
    // ---- cursor ----
    void ws() {
        while (i_ < s_.size() && is_space(s_[i_])) ++i_;
    }
    bool at_end() {
        ws();
        return i_ >= s_.size();
    }
    char peek() {
        ws();
        return i_ < s_.size() ? s_[i_] : '\0';
    }
    std::string_view rest() {
        ws();
        return s_.substr(i_);
    }
    bool eat(std::string_view lit) {
        ws();
        if (s_.substr(i_).substr(0, lit.size()) != lit) return false;
        i_ += lit.size();
        return true;
    }
    std::string_view peek_word() {
        ws();
        size_t j = i_;
        if (j < s_.size() && is_ident_start(s_[j]))
            while (j < s_.size() && is_ident_char(s_[j])) ++j;
        return s_.substr(i_, j - i_);
    }
    bool eat_word(std::string_view w) {
        if (peek_word() != w) return false;
        i_ += w.size();
        return true;
    }
    Status expect(std::string_view lit) {
        if (eat(lit)) return {};
        const std::string_view r = rest();
        return fail("expected '" + std::string(lit) + "'" +
                    (r.empty() ? " at the end" : " before '" + std::string(r) + "'"));
    }
    // llvm-objdump's `<LBB0_2>` after a target; bpftool's `#name` after pc+N.
    void skip_annotation() {
        if (peek() == '#') {
            ++i_;
            while (i_ < s_.size() && !is_space(s_[i_])) ++i_;
        }
        if (peek() == '<') {
            const size_t close = s_.find('>', i_);
            if (close != std::string_view::npos) i_ = close + 1;
        }
    }

    // ---- operands ----
    std::optional<Reg> peek_reg() {
        const std::string_view w = peek_word();
        if (w.size() < 2 || (w[0] != 'r' && w[0] != 'w') || w.size() > 4) return std::nullopt;
        unsigned num = 0;
        for (char c : w.substr(1)) {
            if (c < '0' || c > '9') return std::nullopt;
            num = num * 10 + static_cast<unsigned>(c - '0');
        }
        return Reg{static_cast<uint8_t>(std::min(num, 255u)), w[0] == 'r'};
    }
    Result<Reg> reg() {
        auto r = peek_reg();
        if (!r) {
            const std::string_view w = rest();
            return fail("expected a register" + (w.empty() ? std::string(" at the end") : ", found '" + std::string(w) + "'"));
        }
        if (r->num > 10) return fail("bad register " + std::string(peek_word()) + " (registers are r0-r10)");
        i_ += peek_word().size();
        return *r;
    }
    Status same_width(Reg dst, Reg src) {
        if (dst.wide == src.wide) return {};
        return fail("registers " + dst.str() + " and " + src.str() + " differ in width (use r for 64-bit, w for 32-bit)");
    }

    bool peek_number() {
        ws();
        size_t j = i_;
        if (j < s_.size() && (s_[j] == '-' || s_[j] == '+')) {
            ++j;
            while (j < s_.size() && is_space(s_[j])) ++j;
        }
        return j < s_.size() && s_[j] >= '0' && s_[j] <= '9';
    }
    Result<Number> number() {
        Number n;
        ws();
        if (i_ < s_.size() && (s_[i_] == '-' || s_[i_] == '+')) {
            n.negative = s_[i_] == '-';
            ++i_;
            ws();
        }
        const size_t start = i_;
        if (s_.substr(i_, 2) == "0x" || s_.substr(i_, 2) == "0X") {
            n.hex = true;
            i_ += 2;
        }
        const size_t digits = i_;
        constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
        while (i_ < s_.size()) {
            const char c = s_[i_];
            int d = -1;
            if (c >= '0' && c <= '9') d = c - '0';
            else if (n.hex && c >= 'a' && c <= 'f') d = c - 'a' + 10;
            else if (n.hex && c >= 'A' && c <= 'F') d = c - 'A' + 10;
            if (d < 0) break;
            const uint64_t base = n.hex ? 16 : 10;
            if (n.magnitude > (kMax - static_cast<uint64_t>(d)) / base)
                return fail("number " + std::string(s_.substr(start, i_ - start + 1)) + "... does not fit 64 bits");
            n.magnitude = n.magnitude * base + static_cast<uint64_t>(d);
            ++i_;
        }
        if (i_ == digits || (i_ < s_.size() && is_ident_char(s_[i_]))) {
            size_t end = i_;
            while (end < s_.size() && is_ident_char(s_[end])) ++end;
            return fail("bad number '" + std::string(s_.substr(start, std::max(end, start + 1) - start)) + "'");
        }
        return n;
    }
    static std::optional<int64_t> signed_value(const Number& n) {
        if (!n.negative) {
            if (n.magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
            return static_cast<int64_t>(n.magnitude);
        }
        if (n.magnitude > uint64_t{1} << 63) return std::nullopt;
        return static_cast<int64_t>(0 - n.magnitude);
    }
    // `pattern`: a hex value up to 0xffffffff is the 32-bit pattern itself.
    static Result<int32_t> imm32(const Number& n, bool pattern) {
        if (pattern && n.hex && !n.negative && n.magnitude <= 0xffffffffu)
            return static_cast<int32_t>(static_cast<uint32_t>(n.magnitude));
        auto v = signed_value(n);
        if (!v || *v < std::numeric_limits<int32_t>::min() || *v > std::numeric_limits<int32_t>::max())
            return fail("immediate " + n.str() + " does not fit a signed 32-bit field" +
                        (pattern ? "" : " (64-bit operations sign-extend it; for a 64-bit constant use `ll`)"));
        return static_cast<int32_t>(*v);
    }
    static Result<int16_t> off16(const Number& n, std::string_view what) {
        auto v = signed_value(n);
        if (!v || *v < std::numeric_limits<int16_t>::min() || *v > std::numeric_limits<int16_t>::max())
            return fail(std::string(what) + " " + n.str() + " does not fit a signed 16-bit offset");
        return static_cast<int16_t>(*v);
    }

    // `(u32 *)` when `pointer`, `(s8)` otherwise; returns the type name.
    Result<std::string> type_cast(bool pointer) {
        XDPDK_RETURN_IF_ERROR(expect("("));
        std::string type(peek_word());
        if (type.empty()) return fail("expected a type such as u32 after '('");
        i_ += type.size();
        if (pointer) XDPDK_RETURN_IF_ERROR(expect("*"));
        XDPDK_RETURN_IF_ERROR(expect(")"));
        return type;
    }
    // `r6 +0`, `r10 - 8`, `r1` (offset 0).
    Result<Address> base_offset() {
        XDPDK_ASSIGN_OR_RETURN(Reg base, reg());
        if (!base.wide) return fail("address register must be an r register, not " + base.str());
        int16_t off = 0;
        if (peek() == '+' || peek() == '-') {
            XDPDK_ASSIGN_OR_RETURN(Number n, number());
            XDPDK_ASSIGN_OR_RETURN(off, off16(n, "offset"));
        }
        return Address{base, off};
    }
    Result<Address> address() {
        XDPDK_RETURN_IF_ERROR(expect("("));
        XDPDK_ASSIGN_OR_RETURN(Address a, base_offset());
        XDPDK_RETURN_IF_ERROR(expect(")"));
        return a;
    }

    struct Target {
        std::optional<std::string> label;
        int64_t rel = 0;
    };
    // `+3`, `-3`, `pc+3` (bpftool), or a label.
    Result<Target> target() {
        ws();
        if (s_.substr(i_, 2) == "pc" && i_ + 2 < s_.size() && (s_[i_ + 2] == '+' || s_[i_ + 2] == '-')) i_ += 2;
        if (peek() == '+' || peek() == '-') {
            XDPDK_ASSIGN_OR_RETURN(Number n, number());
            auto v = signed_value(n);
            if (!v) return fail("jump offset " + n.str() + " out of range");
            return Target{std::nullopt, *v};
        }
        if (peek_number()) return fail("jump offset needs a sign (+N or -N) or a label");
        std::string label(peek_word());
        if (label.empty()) return fail("expected a jump target (+N, -N or a label)");
        i_ += label.size();
        return Target{label, 0};
    }

    static Statement one(RawInsn insn) { return Statement{{insn}, std::nullopt}; }

    // ---- statements ----
    Result<Statement> dispatch() {
        if (eat_word("exit")) return one(encode_insn(Op::Exit, 0, 0, 0, 0));
        if (eat_word("gotol")) return jump(Op::Ja32, 0, 0, 0);
        if (eat_word("goto")) return jump(Op::Ja, 0, 0, 0);
        if (eat_word("call")) return call();
        if (eat_word("if")) return conditional_jump();
        if (eat_word("lock")) return atomic_update();
        // The disassembler writes encodings it cannot express as `.insn`, and
        // unknown opcodes as `.invalid`; both read back as the raw fields.
        if (eat_word(".insn") || eat_word(".invalid")) return raw_insn();
        if (peek() == '*') return store();
        if (peek_reg()) return register_statement();
        return fail("unknown instruction");
    }

    // `insn` already holds the operands; the target fills off (goto, if) or
    // imm (gotol).
    Result<Statement> jump(Op op, uint8_t dst, uint8_t src, int32_t imm) {
        XDPDK_ASSIGN_OR_RETURN(Target t, target());
        const bool in_imm = op == Op::Ja32;
        Statement st = one(encode_insn(op, dst, src, 0, imm));
        if (t.label) {
            st.fixup = Fixup{in_imm ? Fixup::Kind::Imm : Fixup::Kind::Off, *t.label};
        } else if (in_imm) {
            if (t.rel < std::numeric_limits<int32_t>::min() || t.rel > std::numeric_limits<int32_t>::max())
                return fail("gotol offset " + std::to_string(t.rel) + " does not fit 32 bits");
            st.insns[0].imm = static_cast<int32_t>(t.rel);
        } else {
            if (t.rel < std::numeric_limits<int16_t>::min() || t.rel > std::numeric_limits<int16_t>::max())
                return fail("jump offset " + std::to_string(t.rel) + " does not fit 16 bits (use gotol)");
            st.insns[0].off = static_cast<int16_t>(t.rel);
        }
        return st;
    }

    Result<Statement> call() {
        ws();
        if (s_.substr(i_, 2) == "pc" && i_ + 2 < s_.size() && (s_[i_ + 2] == '+' || s_[i_ + 2] == '-')) {
            i_ += 2;
            XDPDK_ASSIGN_OR_RETURN(Number n, number());
            XDPDK_ASSIGN_OR_RETURN(int32_t rel, imm32(n, false));
            return one(encode_insn(Op::CallLocal, 0, 0, 0, rel));
        }
        if (peek_number()) {
            XDPDK_ASSIGN_OR_RETURN(Number n, number());
            XDPDK_ASSIGN_OR_RETURN(int32_t id, imm32(n, false));
            return one(encode_insn(Op::Call, 0, 0, 0, id));
        }
        std::string name(peek_word());
        if (name.empty()) return fail("expected a helper number, helper name, label or pc+N after call");
        i_ += name.size();
        auto known = helpers_.find(name);
        if (eat("#")) {  // bpftool: `call bpf_trace_printk#6`, `call unknown#195`
            XDPDK_ASSIGN_OR_RETURN(Number n, number());
            XDPDK_ASSIGN_OR_RETURN(int32_t id, imm32(n, false));
            if (known != helpers_.end() && known->second != id)
                return fail("helper " + name + " is #" + std::to_string(known->second) + ", not #" + std::to_string(id));
            return one(encode_insn(Op::Call, 0, 0, 0, id));
        }
        Statement st = one(encode_insn(Op::Call, 0, 0, 0, 0));
        st.fixup = Fixup{Fixup::Kind::CallName, name};
        return st;
    }

    Result<Statement> conditional_jump() {
        XDPDK_ASSIGN_OR_RETURN(Reg dst, reg());
        std::optional<std::string> sym;
        for (const auto& s : jmp_syms())
            if (eat(s)) {
                sym = s;
                break;
            }
        if (!sym) return fail("expected a comparison (==, !=, >, s<, &, ...) after " + dst.str());
        if (peek_reg()) {
            XDPDK_ASSIGN_OR_RETURN(Reg src, reg());
            XDPDK_RETURN_IF_ERROR(same_width(dst, src));
            const Op op = *find_op([&](const OpInfo& i) { return i.kind == Kind::JmpReg && i.is64 == dst.wide && i.sym == *sym; });
            XDPDK_RETURN_IF_ERROR(expect_word("goto"));
            return jump(op, dst.num, src.num, 0);
        }
        XDPDK_ASSIGN_OR_RETURN(Number n, number());
        XDPDK_ASSIGN_OR_RETURN(int32_t imm, imm32(n, true));
        const Op op = *find_op([&](const OpInfo& i) { return i.kind == Kind::JmpImm && i.is64 == dst.wide && i.sym == *sym; });
        XDPDK_RETURN_IF_ERROR(expect_word("goto"));
        return jump(op, dst.num, 0, imm);
    }
    Status expect_word(std::string_view w) {
        if (eat_word(w)) return {};
        return fail("expected '" + std::string(w) + "' before '" + std::string(rest()) + "'");
    }

    static Result<uint8_t> atomic_size(const std::string& type) {
        if (type == "u32") return uint8_t{4};
        if (type == "u64") return uint8_t{8};
        return fail("atomic operations take u32 or u64, not " + type);
    }

    // lock *(u64 *)(r1 +0) += r2
    Result<Statement> atomic_update() {
        XDPDK_RETURN_IF_ERROR(expect("*"));
        XDPDK_ASSIGN_OR_RETURN(std::string type, type_cast(true));
        XDPDK_ASSIGN_OR_RETURN(uint8_t size, atomic_size(type));
        XDPDK_ASSIGN_OR_RETURN(Address a, address());
        std::optional<std::string> sym;
        for (const auto& s : atomic_syms())
            if (!is_ident_start(s[0]) && eat(s)) {
                sym = s;
                break;
            }
        if (!sym) return fail("expected +=, |=, &= or ^= after the lock address");
        XDPDK_ASSIGN_OR_RETURN(Reg src, reg());
        const Op op = *find_op([&](const OpInfo& i) { return i.kind == Kind::Atomic && i.size == size && i.sym == *sym; });
        return one(encode_insn(op, a.base.num, src.num, a.off, 0));
    }

    // .insn code, dst, src, off, imm: any encoding, valid or not.
    Result<Statement> raw_insn() {
        int64_t f[5];
        const int64_t lo[5] = {0, 0, 0, std::numeric_limits<int16_t>::min(), std::numeric_limits<int32_t>::min()};
        const int64_t hi[5] = {255, 15, 15, std::numeric_limits<int16_t>::max(), 0xffffffffLL};
        const char* names[5] = {"code", "dst", "src", "off", "imm"};
        for (int k = 0; k < 5; ++k) {
            if (k > 0) eat(",");
            XDPDK_ASSIGN_OR_RETURN(Number n, number());
            auto v = signed_value(n);
            if (!v || *v < lo[k] || *v > hi[k]) return fail(std::string(".insn ") + names[k] + " " + n.str() + " out of range");
            f[k] = *v;
        }
        return one(RawInsn{static_cast<uint8_t>(f[0]), static_cast<uint8_t>(f[1]), static_cast<uint8_t>(f[2]),
                           static_cast<int16_t>(f[3]), static_cast<int32_t>(static_cast<uint32_t>(f[4]))});
    }

    // *(u32 *)(r1 +0) = r2  /  *(u8 *)(r1 +2) = 7
    Result<Statement> store() {
        XDPDK_RETURN_IF_ERROR(expect("*"));
        XDPDK_ASSIGN_OR_RETURN(std::string type, type_cast(true));
        XDPDK_ASSIGN_OR_RETURN(Address a, address());
        XDPDK_RETURN_IF_ERROR(expect("="));
        const Kind kind = peek_reg() ? Kind::Stx : Kind::St;
        auto op = find_op([&](const OpInfo& i) { return i.kind == kind && i.sym == type; });
        if (!op) return fail("cannot store type " + type);
        if (kind == Kind::Stx) {
            XDPDK_ASSIGN_OR_RETURN(Reg src, reg());
            return one(encode_insn(*op, a.base.num, src.num, a.off, 0));
        }
        XDPDK_ASSIGN_OR_RETURN(Number n, number());
        XDPDK_ASSIGN_OR_RETURN(int32_t imm, imm32(n, op_info(*op).size < 8));
        return one(encode_insn(*op, a.base.num, 0, a.off, imm));
    }

    Result<Statement> register_statement() {
        XDPDK_ASSIGN_OR_RETURN(Reg dst, reg());
        std::optional<std::string> sym;
        for (const auto& s : alu_syms())
            if (eat(s)) {
                sym = s;
                break;
            }
        if (!sym) return fail("expected an assignment or operator (=, +=, s>>=, ...) after " + dst.str());
        if (*sym == "=") {
            if (auto st = assignment(dst)) return std::move(*st);
        }
        if (peek_reg()) {
            XDPDK_ASSIGN_OR_RETURN(Reg src, reg());
            XDPDK_RETURN_IF_ERROR(same_width(dst, src));
            const Op op = *find_op([&](const OpInfo& i) { return i.kind == Kind::AluReg && i.is64 == dst.wide && i.sym == *sym; });
            return one(encode_insn(op, dst.num, src.num, 0, 0));
        }
        if (!peek_number()) return fail("expected a register or number after " + *sym);
        XDPDK_ASSIGN_OR_RETURN(Number n, number());
        if (*sym == "=" && (eat_word("ll") || dumped_code_ == 0x18)) return lddw(dst, n);
        XDPDK_ASSIGN_OR_RETURN(int32_t imm, imm32(n, !dst.wide));
        const Op op = *find_op([&](const OpInfo& i) { return i.kind == Kind::AluImm && i.is64 == dst.wide && i.sym == *sym; });
        return one(encode_insn(op, dst.num, 0, 0, imm));
    }

    Result<Statement> lddw(Reg dst, const Number& n) {
        if (!dst.wide) return fail("lddw loads 64 bits; write r" + std::to_string(dst.num));
        uint64_t v = n.magnitude;
        if (n.negative) {
            if (n.magnitude > uint64_t{1} << 63) return fail("constant " + n.str() + " does not fit 64 bits");
            v = 0 - n.magnitude;
        }
        Statement st = one(encode_insn(Op::Lddw, dst.num, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(v))));
        st.insns.push_back(RawInsn{0, 0, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(v >> 32))});
        return st;
    }

    // The right-hand sides of `dst =` other than a register or number:
    // loads, sign-extending moves, negation, byte swaps, fetching atomics.
    // nullopt when the right-hand side is a plain register or number.
    std::optional<Result<Statement>> assignment(Reg dst) {
        if (peek() == '*') return load(dst);
        if (peek() == '(') return sign_extending_move(dst);
        const size_t save = i_;
        if (eat("-") && peek_reg()) return negation(dst);
        i_ = save;
        const std::string word(peek_word());
        if (auto op = find_op([&](const OpInfo& i) {
                return i.kind == Kind::Endian && word == std::string(i.sym) + std::to_string(i.size * 8);
            })) {
            i_ += word.size();
            return byte_swap(*op, dst);
        }
        if (!peek_reg() && !word.empty()) return fetching_atomic(dst, word);
        return std::nullopt;
    }

    Result<Statement> load(Reg dst) {
        eat("*");
        XDPDK_ASSIGN_OR_RETURN(std::string type, type_cast(true));
        XDPDK_ASSIGN_OR_RETURN(Address a, address());
        auto op = find_op([&](const OpInfo& i) { return (i.kind == Kind::Ldx || i.kind == Kind::Ldxs) && i.sym == type; });
        if (!op) return fail("cannot load type " + type);
        return one(encode_insn(*op, dst.num, a.base.num, a.off, 0));
    }

    Result<Statement> sign_extending_move(Reg dst) {
        XDPDK_ASSIGN_OR_RETURN(std::string type, type_cast(false));
        XDPDK_ASSIGN_OR_RETURN(Reg src, reg());
        XDPDK_RETURN_IF_ERROR(same_width(dst, src));
        auto op = find_op([&](const OpInfo& i) { return i.kind == Kind::MovSx && i.is64 == dst.wide && i.sym == type; });
        if (!op) return fail("no sign-extending move " + dst.str() + " = (" + type + ")" + src.str());
        return one(encode_insn(*op, dst.num, src.num, 0, 0));
    }

    Result<Statement> negation(Reg dst) {
        XDPDK_ASSIGN_OR_RETURN(Reg src, reg());
        if (src.num != dst.num || src.wide != dst.wide)
            return fail("negation works in place: write " + dst.str() + " = -" + dst.str());
        return one(encode_insn(dst.wide ? Op::Neg64 : Op::Neg32, dst.num, 0, 0, 0));
    }

    Result<Statement> byte_swap(Op op, Reg dst) {
        XDPDK_ASSIGN_OR_RETURN(Reg src, reg());
        if (src.num != dst.num)
            return fail("byte swaps work in place: write " + dst.str() + " = " + op_info(op).sym +
                        std::to_string(op_info(op).size * 8) + " " + dst.str());
        return one(encode_insn(op, dst.num, 0, 0, 0));
    }

    // llvm: atomic_fetch_add((u64 *)(r1 +0), r2), xchg_64(r1 +0, r2),
    //       cmpxchg32_32(r1 +0, w0, w2);
    // bpftool: atomic64_fetch_add(...), atomic_xchg(...), atomic64_cmpxchg((u64 *)(r1 +0), r0, r2).
    Result<Statement> fetching_atomic(Reg dst, const std::string& word) {
        std::string name = word;
        uint8_t size = 0;  // 0: from the pointer type
        bool typed = true;
        if (name.starts_with("atomic64_")) {
            name = name.substr(9);
            size = 8;
        } else if (name.starts_with("atomic_")) {
            name = name.substr(7);
        } else if (name.ends_with("32_32")) {
            name.resize(name.size() - 5);
            size = 4;
            typed = false;
        } else if (name.ends_with("_64")) {
            name.resize(name.size() - 3);
            size = 8;
            typed = false;
        } else {
            return fail("unknown operation '" + word + "'");
        }
        if (std::find(atomic_syms().begin(), atomic_syms().end(), name) == atomic_syms().end())
            return fail("unknown atomic operation '" + word + "'");
        i_ += word.size();
        XDPDK_RETURN_IF_ERROR(expect("("));
        if (typed) {
            XDPDK_ASSIGN_OR_RETURN(std::string type, type_cast(true));
            XDPDK_ASSIGN_OR_RETURN(uint8_t type_size, atomic_size(type));
            if (size != 0 && size != type_size) return fail(word + " works on u64, not " + type);
            size = type_size;
        }
        XDPDK_ASSIGN_OR_RETURN(Address a, typed ? address() : base_offset());
        XDPDK_RETURN_IF_ERROR(expect(","));
        const bool cmpxchg = name == "cmpxchg";
        if (cmpxchg) {
            XDPDK_ASSIGN_OR_RETURN(Reg expected, reg());
            if (expected.num != 0 || dst.num != 0)
                return fail("cmpxchg compares with and loads into r0: write r0 = " + word + "(..., r0, rN)");
            XDPDK_RETURN_IF_ERROR(expect(","));
        }
        XDPDK_ASSIGN_OR_RETURN(Reg src, reg());
        XDPDK_RETURN_IF_ERROR(expect(")"));
        if (!cmpxchg && src.num != dst.num)
            return fail(word + " loads the old value into its source register: write " + src.str() + " = " + word + "(..., " + src.str() + ")");
        const Op op = *find_op([&](const OpInfo& i) { return i.kind == Kind::Atomic && i.size == size && i.sym == name; });
        return one(encode_insn(op, a.base.num, src.num, a.off, 0));
    }

    std::string_view s_;
    size_t i_ = 0;
    std::optional<uint8_t> dumped_code_;
    const HelperNames& helpers_;
};

}  // namespace

Result<Statement> parse_statement(std::string_view text, std::optional<uint8_t> dumped_code, const HelperNames& helpers) {
    return Parser(text, dumped_code, helpers).statement();
}

}  // namespace xdpdk::vm::asm_syntax
