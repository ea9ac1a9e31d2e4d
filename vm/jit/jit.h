// x86-64 JIT for eBPF programs, built on asmjit. Compiles a decoded Program
// into machine code that means exactly what the interpreter means; the
// interpreter is its oracle in every test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "../error.h"
#include "../exec_context.h"

namespace xdpdk::vm {

struct Program;

// Executable code of one program. The memory is mapped read-write while the
// code is copied in, then read-execute (never both), and unmapped when the
// JitCode is destroyed.
class JitCode {
public:
    // r1, r2 as the program expects them; ex reaches helpers.
    using Entry = uint64_t (*)(uint64_t r1, uint64_t r2, ExecContext* ex);

    JitCode(void* mem, size_t mapped_size, size_t code_size, std::vector<uint32_t> insn_offsets);
    ~JitCode();
    JitCode(const JitCode&) = delete;
    JitCode& operator=(const JitCode&) = delete;

    Entry entry() const { return reinterpret_cast<Entry>(mem_); }
    const uint8_t* code() const { return static_cast<const uint8_t*>(mem_); }
    size_t code_size() const { return code_size_; }
    // Byte offset in code() where eBPF instruction i starts (size = insns + 1;
    // the last entry is the end of the program's body), for `prog dump jited`.
    const std::vector<uint32_t>& insn_offsets() const { return insn_offsets_; }

private:
    void* mem_;
    size_t mapped_size_;
    size_t code_size_;
    std::vector<uint32_t> insn_offsets_;
};

// Compiles `prog` (already decoded) and stores the code in prog.jit. Errors
// (an instruction the JIT does not handle, an asmjit failure, exhausted code
// buffer) carry the instruction index; on error prog.jit stays empty and the
// program is never run from partially emitted code.
Status jit_compile(Program& prog);

}  // namespace xdpdk::vm
