// Private to the JIT: the state of one compilation and the emit function of
// each opcode class, one file per class (emit_alu.cc, emit_jump.cc,
// emit_memory.cc, emit_call.cc, emit_inline.cc), and the JIT's own
// optimisations (fuse_loads.cc, fuse_stores.cc, narrow_stores.cc). compile.cc drives them.
//
// Register mapping (as the kernel's x86-64 JIT, so helper arguments r1-r5
// already sit in the SysV argument registers):
//   r0 rax  r1 rdi  r2 rsi  r3 rdx  r4 rcx  r5 r8
//   r6 rbx  r7 r13  r8 r14  r9 r15  r10 rbp (frame pointer)
//   r12: ExecContext* for the whole run (the helpers' sixth argument, in r9)
//   r10, r11: scratch, never live across eBPF instructions
//
// Every function frame, the program's own and each BPF-to-BPF callee's, has
// the same shape, so a tail call can continue in whatever frame it was made
// from, as the interpreter does:
//   [return address] rbp rbx r13 r14 r15 r12 word   <- rbp (eBPF r10)
//   512 bytes of eBPF stack                          <- rsp (16-aligned)
// word: the call depth in its low half. A callee frame pushes every register
// (its caller's r6-r9 must come back). The program's own frame (depth 0)
// saves only what the program touches (RegisterUse) while its word is 0; the
// first tail call taken in it saves the rest, since the target may touch any,
// and sets the high half, after which the epilogue restores all of them.
#pragma once

#include <asmjit/x86.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../error.h"
#include "../program.h"
#include "jit.h"
#include "known_values.h"
#include "register_use.h"

namespace xdpdk::vm::jit {

namespace x86 = asmjit::x86;

constexpr uint32_t kRegIds[11] = {
    x86::Gp::kIdAx,  x86::Gp::kIdDi,  x86::Gp::kIdSi,  x86::Gp::kIdDx,  x86::Gp::kIdCx, x86::Gp::kIdR8,
    x86::Gp::kIdBx,  x86::Gp::kIdR13, x86::Gp::kIdR14, x86::Gp::kIdR15, x86::Gp::kIdBp,
};

inline x86::Gp reg64(uint8_t r) { return x86::gpq(kRegIds[r]); }
inline x86::Gp reg32(uint8_t r) { return x86::gpd(kRegIds[r]); }
inline x86::Gp reg16(uint8_t r) { return x86::gpw(kRegIds[r]); }
inline x86::Gp reg8(uint8_t r) { return x86::gpb(kRegIds[r]); }
// The register of eBPF register r at an operation's width (4 or 8 bytes).
inline x86::Gp reg_sized(uint8_t r, bool is64) { return is64 ? reg64(r) : reg32(r); }
inline x86::Gp sized(const x86::Gp& r, unsigned bytes) {
    switch (bytes) {
        case 1: return x86::gpb(r.id());
        case 2: return x86::gpw(r.id());
        case 4: return x86::gpd(r.id());
        default: return x86::gpq(r.id());
    }
}

inline constexpr x86::Gpq kExReg = x86::r12;
inline constexpr x86::Gpq kScratch = x86::r10;
inline constexpr x86::Gpq kScratch2 = x86::r11;

constexpr int kSavedSlots = 7;  // rbp rbx r13 r14 r15 r12 word
constexpr int32_t kFrameBytes = 8 + kSavedSlots * 8 + bpf::kStackSize;
static_assert(kFrameBytes % 16 == 0, "frames keep rsp 16-byte aligned at helper calls");

// The message the interpreter sets when calls nest too deeply.
extern const char kDepthFault[];

class Emitter {
public:
    Emitter(const Program& prog, const JitOptions& opts, x86::Assembler& a, std::string subject);

    // Creates the labels, checks jump and call targets, and finds basic-block
    // starts and callees.
    Status analyze();
    // The code before instruction 0: frame, ExecContext, zeroed registers.
    void emit_program_prologue();
    // Instruction `pc` (and a callee prologue before it if it is called).
    // Refusals are returned with the index; asmjit errors are collected by the
    // CodeHolder's error handler and checked by the caller.
    Status emit_instruction(size_t pc);
    // After the last instruction: the shared epilogue and the slow paths.
    void emit_tail();

    // One per opcode class.
    Status emit_alu(const Insn& in);
    Status emit_jump(const Insn& in);
    Status emit_memory(const Insn& in);
    Status emit_atomic(const Insn& in);
    Status emit_call(const Insn& in);
    Status emit_exit();

    // Byte loads combined by shifts and ors starting at `pc`, emitted as
    // wider loads (fuse_loads.cc); returns how many instructions that covers,
    // 0 when none.
    size_t emit_fused_byte_loads();
    // Byte-wise copies and byte stores of shifted registers starting at
    // `pc`, emitted as wider stores (fuse_stores.cc); returns how many
    // instructions that covers, 0 when none.
    size_t emit_fused_byte_stores();

    // Helper calls replaced by inline code; false when `in` is not one.
    bool emit_inline_helper(const Insn& in);

    Error insn_error(std::string reason) const;

    // Records a store or atomic `in` in mem_stores.
    void note_store(const Insn& in);
    // Forgets the stores addressed by registers `in` (just emitted) writes.
    void forget_stores_based_on(const Insn& in);
    // dst (zero-extended) = the n (4 or 8) bytes at `base` + off, the value
    // of eBPF register base_reg plus off: one load, or when this block wrote
    // those bytes with several stores, one load inside each store's bytes
    // (each forwarded from the store buffer), joined with `tmp`. See
    // narrow_stores.cc.
    void emit_load_word(const x86::Gp& dst, const x86::Gp& tmp, uint8_t base_reg, int64_t off, unsigned n);
    // Before a call that reads the key_size-byte key at r10 + key in 8-byte
    // words (and a 4-byte tail): rewrites each word that this block built
    // from narrower stores as one store of that width, so the callee's loads
    // are store-forwarded instead of waiting for the narrow stores to reach
    // the cache. The bytes stay what they were. Clobbers rax and r11.
    void emit_stack_key_words(int64_t key, uint32_t key_size);

    const Program& prog;
    const JitOptions& opts;
    x86::Assembler& a;
    std::string subject;
    size_t pc = 0;
    bool bmi2 = false;

    std::vector<asmjit::Label> start_labels;  // all code emitted for insn i (insn_offsets)
    std::vector<asmjit::Label> insn_labels;   // insn i's own code: jump targets
    std::vector<asmjit::Label> callee_labels; // prologue before a call target; invalid otherwise
    std::vector<bool> block_start;            // reached other than by falling through from i - 1
    asmjit::Label epilogue, depth_fault;
    std::vector<asmjit::Label> callback_entries;  // per Program::callbacks entry (emit_callback_entries)
    KnownValues known;  // at the instruction being emitted
    RegisterUse use;
    // x86 registers the program's own frame saves in its prologue (x86 ids).
    std::vector<uint32_t> entry_saved;
    // Stores emitted so far in this basic block, in program order, each at
    // an offset from a register not written since (r10 for the stack),
    // for narrow_stores.cc.
    struct MemStore {
        uint8_t base;
        int32_t off;
        uint8_t size;
    };
    std::vector<MemStore> mem_stores;
    bool reachable = true;  // the instruction being emitted can run
    size_t fused_end = 0;   // instructions before this were emitted by a fused sequence

private:
    Status emit_by_class(const Insn& in);
    void emit_frame_push();
    void emit_callback_entries();
    bool falls_through_to(size_t pc) const;
    Status emit_alu_binary(const Insn& in, const OpInfo& info);
    void emit_shift_by_reg(Op base, const Insn& in, bool is64);
    void emit_divmod(Op base, const Insn& in, bool is64, bool imm);
    void emit_fetch_logic(const Insn& in, unsigned size, int32_t op);
    void emit_helper_call(int32_t id);
    void emit_tail_call();
    bool emit_resolve_constant_tail_call(asmjit::Label failed);
    const Map* constant_map_in(uint8_t reg) const;
    bool emit_inline_dynamic_hash_lookup();
    bool emit_inline_array_of_maps_lookup();
    bool emit_inline_array_lookup();
    bool emit_inline_csum_diff();
    void emit_inline_adjust_head();
    const Map* constant_map_in_r1() const { return constant_map_in(1); }
    bool emit_inline_hash_lookup();
};

// The n##64Imm member of the FOUR group (64/32 bits, imm/reg) holding `op`.
Op four_group_base(Op op);

}  // namespace xdpdk::vm::jit
