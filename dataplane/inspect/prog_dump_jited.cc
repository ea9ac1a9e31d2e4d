#include <capstone/capstone.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <memory>

#include "prog_dump.h"

namespace xdpdk::inspect {
namespace {

struct CapstoneHandle {
    csh handle = 0;
    ~CapstoneHandle() {
        if (handle != 0) cs_close(&handle);
    }
};

struct InsnFree {
    void operator()(cs_insn* insn) const { cs_free(insn, 1); }
};

std::string hex_bytes(const uint8_t* bytes, size_t n) {
    std::string out;
    char buf[4];
    for (size_t i = 0; i < n; ++i) {
        std::snprintf(buf, sizeof buf, "%02x", bytes[i]);
        if (!out.empty()) out += ' ';
        out += buf;
    }
    return out;
}

// "   1f:\tmov    %rdi, %rbx" (bpftool's layout), with the bytes before the
// mnemonic when asked for.
std::string code_line(uint64_t offset, const uint8_t* bytes, size_t size, const std::string& text, bool opcodes) {
    char prefix[32];
    std::snprintf(prefix, sizeof prefix, "%5" PRIx64 ":\t", offset);
    std::string line = prefix;
    if (opcodes) {
        std::string b = hex_bytes(bytes, size);
        // Ten bytes (the longest movabs) fit before the mnemonic.
        b.resize(std::max<size_t>(b.size() + 1, 31), ' ');
        line += b;
    }
    return line + text + "\n";
}

// Disassembles code[begin, end); bytes Capstone cannot decode come out as
// `.byte 0x..`, one at a time, so the rest still lines up.
void disassemble_range(csh cs, cs_insn* insn, std::span<const uint8_t> code, size_t begin, size_t end, bool opcodes,
                       std::string& out) {
    const uint8_t* cursor = code.data() + begin;
    size_t left = end - begin;
    uint64_t address = begin;
    while (left > 0) {
        if (cs_disasm_iter(cs, &cursor, &left, &address, insn)) {
            std::string text = insn->mnemonic;
            if (insn->op_str[0] != '\0') {
                if (text.size() < 6) text.resize(6, ' ');
                text += ' ';
                text += insn->op_str;
            }
            out += code_line(insn->address, insn->bytes, insn->size, text, opcodes);
            continue;
        }
        char text[16];
        std::snprintf(text, sizeof text, ".byte 0x%02x", unsigned{*cursor});
        out += code_line(address, cursor, 1, text, opcodes);
        ++cursor;
        --left;
        ++address;
    }
}

Status check_offsets(const vm::Program& prog, const JitedCode& jited) {
    const std::string subject = "prog '" + prog.name + "'";
    if (jited.insn_offsets.size() != prog.xlated.size() + 1)
        return make_error(subject, "the JIT gave " + std::to_string(jited.insn_offsets.size()) +
                                       " instruction offsets for " + std::to_string(prog.xlated.size()) +
                                       " instructions (expected one more)");
    for (size_t i = 0; i < jited.insn_offsets.size(); ++i) {
        const uint32_t off = jited.insn_offsets[i];
        if (off > jited.code.size() || (i > 0 && off < jited.insn_offsets[i - 1]))
            return make_insn_error(subject, static_cast<int64_t>(i),
                                   "JIT offset " + std::to_string(off) + " is out of order or past the code (" +
                                       std::to_string(jited.code.size()) + " bytes)");
    }
    return {};
}

}  // namespace

Result<std::string> format_jited(const vm::Program& prog, const JitedCode& jited, const JitedDumpOptions& opts) {
    XDPDK_RETURN_IF_ERROR(check_offsets(prog, jited));
    CapstoneHandle cs;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs.handle) != CS_ERR_OK)
        return make_error("capstone", "cannot open an x86-64 disassembler");
    cs_option(cs.handle, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
    std::unique_ptr<cs_insn, InsnFree> insn(cs_malloc(cs.handle));
    if (!insn) return make_error("capstone", "out of memory");

    const auto& offsets = jited.insn_offsets;
    const size_t n = prog.xlated.size();
    std::string out;
    if (offsets[0] > 0) {
        out += "; prologue\n";
        disassemble_range(cs.handle, insn.get(), jited.code, 0, offsets[0], opts.opcodes, out);
    }
    for (size_t i = 0; i < n;) {
        // An lddw's code may span both of its slots; it is listed under the
        // first, whose text covers both.
        size_t next = i + 1;
        while (next < n && next < prog.insns.size() && prog.insns[next].op == vm::Op::LddwTail) ++next;
        out += "; " + std::to_string(i) + ": " + xlated_insn_text(prog, i) + "\n";
        disassemble_range(cs.handle, insn.get(), jited.code, offsets[i], offsets[next], opts.opcodes, out);
        i = next;
    }
    if (offsets[n] < jited.code.size()) {
        out += "; epilogue and out-of-line code\n";
        disassemble_range(cs.handle, insn.get(), jited.code, offsets[n], jited.code.size(), opts.opcodes, out);
    }
    return out;
}

}  // namespace xdpdk::inspect
