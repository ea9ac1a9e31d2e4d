// `xdpdk prog dump`: a loaded program as text, the way `bpftool prog dump`
// shows it. xlated is the eBPF after load-time relocation and rewriting, one
// `  12: (bf) r6 = r1` line per instruction, with lddw map references named
// (`r1 = map[counts] ll`, `r1 = map[hello.bss]+4 ll`) instead of the host
// pointers the instructions hold, so the dump is the same on every run.
// jited is the machine code disassembled, grouped under `; 12: r6 = r1` for
// each eBPF instruction it came from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "vm/program.h"

namespace xdpdk::inspect {

// Header line of a program's dump: "prog 'xdp_main' (section xdp):".
std::string dump_header(const vm::Program& prog);

// Instruction `index` of prog.xlated as text, map references named; an lddw
// tail slot gives "".
std::string xlated_insn_text(const vm::Program& prog, size_t index);

struct XlatedDumpOptions {
    // bpftool's `linum`: each source line followed by
    // "[file:F line_num:N line_col:C]".
    bool linum = false;
};

// Every instruction: "%4u: (opcode) text\n"; lddw tails are skipped, as in
// bpftool and vm::disassemble. Where the program has BTF line and function
// info, as bpftool prints them: "int f(struct xdp_md * ctx):" at each
// function's start and "; <source line>" above the instructions of each
// line (leading whitespace trimmed).
std::string format_xlated(const vm::Program& prog, const XlatedDumpOptions& opts = {});

struct JitedCode {
    std::span<const uint8_t> code;
    // Where each eBPF instruction's code starts; insns + 1 entries, the last
    // one the end of the body. Code before the first entry is the prologue,
    // code after the last the epilogue and out-of-line stubs.
    std::span<const uint32_t> insn_offsets;
};

struct JitedDumpOptions {
    bool opcodes = false;  // the instruction bytes next to each instruction
};

// The code disassembled (AT&T syntax, as bpftool prints it), grouped under
// "; N: <eBPF text>" per instruction. Errors name the program when the
// offsets do not fit the code or the disassembler cannot start.
Result<std::string> format_jited(const vm::Program& prog, const JitedCode& jited, const JitedDumpOptions& opts);

}  // namespace xdpdk::inspect
