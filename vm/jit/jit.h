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

    // tail_entry: offset of instruction 0's code after the prologue, where a
    // tail call from another program continues in the caller's frame.
    JitCode(void* mem, size_t mapped_size, size_t code_size, std::vector<uint32_t> insn_offsets,
            uint32_t tail_entry);
    ~JitCode();
    JitCode(const JitCode&) = delete;
    JitCode& operator=(const JitCode&) = delete;

    Entry entry() const { return reinterpret_cast<Entry>(mem_); }
    const uint8_t* code() const { return static_cast<const uint8_t*>(mem_); }
    size_t code_size() const { return code_size_; }
    // Byte offset in code() where eBPF instruction i starts (size = insns + 1;
    // the last entry is the end of the program's body), for `prog dump jited`.
    // Bytes before insn_offsets()[0] are the program's prologue; bytes from
    // insn_offsets().back() to code_size() are the shared epilogue and the
    // out-of-line paths.
    const std::vector<uint32_t>& insn_offsets() const { return insn_offsets_; }
    // A callback (Program::callbacks[i]) called from a helper with the C
    // calling convention: r1-r5 and the run's ExecContext, r0 returned.
    using CallbackEntry = uint64_t (*)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                       ExecContext* ex);
    CallbackEntry callback_entry(uint32_t i) const {
        return reinterpret_cast<CallbackEntry>(static_cast<uint8_t*>(mem_) + callback_offsets_[i]);
    }
    void set_callback_offsets(std::vector<uint32_t> offsets) { callback_offsets_ = std::move(offsets); }
    // Where bpf_tail_call into this program jumps (frame already set up).
    const void* tail_entry() const { return tail_address_; }

private:
    const void* tail_address_;
    void* mem_;
    size_t mapped_size_;
    size_t code_size_;
    std::vector<uint32_t> insn_offsets_;
    std::vector<uint32_t> callback_offsets_;
};

struct JitOptions {
    // Inline code instead of helper calls where the JIT can prove the target
    // (bpf_get_smp_processor_id, lookups in an array map loaded by lddw in
    // the same basic block). Off only to compare both forms in tests.
    bool inline_helpers = true;
    // Byte loads that clang combines with shifts and ors (a u16 or u32
    // header field read byte by byte) become one wider load. Off only to
    // compare both forms in tests.
    bool fuse_byte_loads = true;
    // Byte stores clang emits for a memcpy of unknown alignment (load/store
    // pairs) or for a register's bytes (stores between shifts) become one
    // store per run of contiguous bytes (fuse_stores.cc). Off only to compare
    // both forms in tests.
    bool fuse_byte_stores = true;
    // Words the block has just written with narrower stores (a map key on the
    // stack, a header under an inline bpf_csum_diff) are read in pieces that
    // the store buffer forwards (narrow_stores.cc). Off only to compare both
    // forms in tests.
    bool forward_narrow_stores = true;
    // Shifts by a register with BMI2 (shlx/shrx/sarx) when the CPU has it;
    // off forces the rcx sequence so tests cover both.
    bool use_bmi2 = true;
    // Programs whose machine code would be larger are refused.
    size_t max_code_bytes = size_t{256} << 20;
};

// Compiles `prog` (already decoded) and stores the code in prog.jit. Errors
// (an instruction the JIT does not handle, an asmjit failure, exhausted code
// buffer) carry the instruction index; on error prog.jit stays empty and the
// program is never run from partially emitted code.
Status jit_compile(Program& prog, const JitOptions& opts = {});

}  // namespace xdpdk::vm
