// Frames and calls: the program prologue, the callee prologue of BPF-to-BPF
// calls, exit and the shared epilogue, helper calls, tail calls, and the
// out-of-line call-depth fault.
#include <atomic>
#include <cstddef>
#include <cstring>

#include "../helpers.h"
#include "../maps/prog_array.h"
#include "emitter.h"

namespace xdpdk::vm {
namespace {

// Called by the machine code of a tail call whose prog array or index is not
// known at compile time: where to continue, or nullptr to fall through. A
// target without machine code is treated as an empty slot, as the kernel
// never puts an un-JITed program next to JITed ones.
const void* jit_tail_call_entry(uint64_t prog_array, uint64_t index, ExecContext* ex) {
    const Program* next = tail_call_target(prog_array, index, ex);
    if (next == nullptr || !next->jit) return nullptr;
    return next->jit->tail_entry();
}

}  // namespace

namespace jit {

const char kDepthFault[] = "call depth exceeds 8 frames";

namespace {

// Frame slots above rbp (see emitter.h).
struct SavedSlot {
    uint32_t reg;
    int32_t offset;
};
constexpr SavedSlot kSavedSlotsAboveWord[] = {
    {x86::Gp::kIdR12, 8}, {x86::Gp::kIdR15, 16}, {x86::Gp::kIdR14, 24}, {x86::Gp::kIdR13, 32}, {x86::Gp::kIdBx, 40},
};
constexpr int32_t kSavedRbpOffset = 48;

int32_t slot_offset(uint32_t reg) {
    for (const SavedSlot& s : kSavedSlotsAboveWord)
        if (s.reg == reg) return s.offset;
    return -1;
}

}  // namespace

// Entered with r11 = the new frame's depth.
void Emitter::emit_frame_push() {
    a.push(x86::rbp);
    a.push(x86::rbx);
    a.push(x86::r13);
    a.push(x86::r14);
    a.push(x86::r15);
    a.push(x86::r12);
    a.push(kScratch2);            // depth of this frame, at [rbp]
    a.mov(x86::rbp, x86::rsp);    // eBPF r10: top of this frame's stack
    a.sub(x86::rsp, bpf::kStackSize);
}

// entry(r1 = rdi, r2 = rsi, ex = rdx).
void Emitter::emit_program_prologue() {
    use = analyze_register_use(prog);
    entry_saved.clear();
    if (use.calls) entry_saved.push_back(x86::Gp::kIdR12);
    for (uint8_t r = 6; r <= 9; ++r)
        if (use.touched & (1u << r)) entry_saved.push_back(kRegIds[r]);

    a.push(x86::rbp);
    a.lea(x86::rbp, x86::ptr(x86::rsp, -kSavedRbpOffset));
    a.sub(x86::rsp, kSavedRbpOffset + bpf::kStackSize);
    for (uint32_t reg : entry_saved) a.mov(x86::qword_ptr(x86::rbp, slot_offset(reg)), x86::gpq(reg));
    a.mov(x86::qword_ptr(x86::rbp), 0);  // depth 0, no tail call taken
    if (use.calls) a.mov(kExReg, x86::rdx);
    // The interpreter starts with every other register zero; only registers
    // some path reads before writing can show it.
    for (uint8_t r : {0, 3, 4, 5, 6, 7, 8, 9})
        if (use.read_unwritten & (1u << r)) a.xor_(reg32(r), reg32(r));
}

// One C-callable entry per callback, called by bpf_loop or
// bpf_for_each_map_elem as entry(r1, r2, r3, r4, r5, ex): r1-r5 arrive where
// the eBPF registers live (the SysV argument registers) and ex in r9. It
// builds a frame shaped as the program's own (depth 0) with every
// callee-saved register stored and the "restore all" half of the word set,
// then calls the subprogram as a BPF-to-BPF call at depth 1: the shared
// epilogue then restores everything and returns to the helper, and a depth
// fault inside the callback unwinds to this frame as it would to the
// program's.
void Emitter::emit_callback_entries() {
    for (size_t i = 0; i < callback_entries.size(); ++i) {
        a.bind(callback_entries[i]);
        a.push(x86::rbp);
        a.lea(x86::rbp, x86::ptr(x86::rsp, -kSavedRbpOffset));
        a.sub(x86::rsp, kSavedRbpOffset + bpf::kStackSize);
        for (const SavedSlot& s : kSavedSlotsAboveWord) a.mov(x86::qword_ptr(x86::rbp, s.offset), x86::gpq(s.reg));
        a.mov(x86::dword_ptr(x86::rbp), 0);     // depth 0
        a.mov(x86::dword_ptr(x86::rbp, 4), 1);  // restore every register on the way out
        a.mov(kExReg, x86::r9);
        a.mov(x86::r11d, 1);
        a.call(callee_labels[prog.callbacks[i]->start]);
        a.jmp(epilogue);
    }
}

Status Emitter::emit_exit() {
    // The epilogue directly follows the last instruction.
    if (pc + 1 != prog.insns.size()) a.jmp(epilogue);
    return {};
}

void Emitter::emit_tail() {
    const asmjit::Label restore_all = a.newLabel();
    a.bind(epilogue);
    a.cmp(x86::qword_ptr(x86::rbp), 0);
    a.jne(restore_all);
    for (uint32_t reg : entry_saved) a.mov(x86::gpq(reg), x86::qword_ptr(x86::rbp, slot_offset(reg)));
    a.lea(x86::rsp, x86::ptr(x86::rbp, kSavedRbpOffset));
    a.pop(x86::rbp);
    a.ret();

    // A callee's frame, or the program's own after a tail call.
    a.bind(restore_all);
    a.lea(x86::rsp, x86::ptr(x86::rbp, 8));
    a.pop(x86::r12);
    a.pop(x86::r15);
    a.pop(x86::r14);
    a.pop(x86::r13);
    a.pop(x86::rbx);
    a.pop(x86::rbp);
    a.ret();

    emit_callback_entries();

    // A call at depth kMaxFrames - 1: every frame has the same size, so the
    // program's own frame is a constant distance up; stop the run there.
    a.bind(depth_fault);
    a.lea(x86::rbp, x86::ptr(x86::rsp, (bpf::kMaxFrames - 1) * kFrameBytes + bpf::kStackSize));
    a.mov(kScratch, reinterpret_cast<uint64_t>(kDepthFault));
    a.mov(x86::qword_ptr(kExReg, offsetof(ExecContext, fault)), kScratch);
    a.xor_(x86::eax, x86::eax);
    a.jmp(epilogue);
}

Status Emitter::emit_call(const Insn& in) {
    if (in.op == Op::CallLocal) {
        const size_t target = static_cast<size_t>(static_cast<int64_t>(pc) + in.imm + 1);
        a.mov(x86::r11d, x86::dword_ptr(x86::rbp));
        a.add(x86::r11d, 1);
        a.cmp(x86::r11d, bpf::kMaxFrames);
        a.jae(depth_fault);
        a.call(callee_labels[target]);
        return {};
    }
    if (in.imm == helper_id::TailCall) {
        emit_tail_call();
        return {};
    }
    if (!find_helper(in.imm)) return insn_error("unknown helper " + helper_name(in.imm));
    if (opts.inline_helpers && emit_inline_helper(in)) return {};
    emit_helper_call(in.imm);
    return {};
}

void Emitter::emit_helper_call(int32_t id) {
    a.mov(x86::r9, kExReg);
    a.mov(kScratch, reinterpret_cast<uint64_t>(find_helper(id)));
    a.call(kScratch);
}

// A tail call through a constant prog array (lddw in this block) at a
// constant index: the slot's current program is read inline, as
// tail_call_target and program_at do, so prog array updates take effect at
// the next call. Leaves the target's tail entry in r10 or jumps to `failed`.
bool Emitter::emit_resolve_constant_tail_call(asmjit::Label failed) {
    const Map* map = constant_map_in(2);
    const auto index = known.immediate(3);
    if (map == nullptr || map->type() != MapType::ProgArray || !index) return false;
    const uint32_t i = static_cast<uint32_t>(*index);  // the kernel's 32-bit compare
    if (i >= map->spec().max_entries) {
        a.jmp(failed);
        return true;
    }
    const auto* slot = static_cast<const maps::ProgArray*>(map)->tail_slot(i);
    const x86::Mem tail_calls = x86::dword_ptr(kExReg, offsetof(ExecContext, tail_calls));
    a.cmp(tail_calls, bpf::kMaxTailCalls);
    a.jae(failed);
    a.mov(kScratch, reinterpret_cast<uint64_t>(slot));
    a.mov(kScratch, x86::qword_ptr(kScratch));  // acquire on x86: a plain load
    a.test(kScratch, kScratch);
    a.jz(failed);
    static_assert(sizeof(JitTailEntry) == sizeof(void*));  // entry, the only member, at offset 0
    a.mov(kScratch, x86::qword_ptr(kScratch));
    a.test(kScratch, kScratch);
    a.jz(failed);
    a.add(tail_calls, 1);
    return true;
}

// bpf_tail_call(ctx = r1, prog_array = r2, index = r3). On success the target
// continues in this frame with every register as it was, as in the
// interpreter; on failure execution falls through with r0-r5 unchanged.
void Emitter::emit_tail_call() {
    const asmjit::Label failed = a.newLabel(), saved = a.newLabel();
    if (!emit_resolve_constant_tail_call(failed)) {
        for (uint8_t r : {0, 1, 2, 3, 4, 5}) a.push(reg64(r));  // 48 bytes: rsp stays aligned
        a.mov(x86::rdi, x86::rsi);
        a.mov(x86::rsi, x86::rdx);
        a.mov(x86::rdx, kExReg);
        a.mov(kScratch, reinterpret_cast<uint64_t>(&jit_tail_call_entry));
        a.call(kScratch);
        a.mov(kScratch, x86::rax);
        for (uint8_t r : {5, 4, 3, 2, 1, 0}) a.pop(reg64(r));
        a.test(kScratch, kScratch);
        a.jz(failed);
    }
    // The program's own frame, with only its registers saved: the target may
    // touch any, and still hold the caller's values, so save the rest now.
    a.cmp(x86::qword_ptr(x86::rbp), 0);
    a.jne(saved);
    for (const SavedSlot& s : kSavedSlotsAboveWord) {
        bool already = false;
        for (uint32_t reg : entry_saved) already |= reg == s.reg;
        if (!already) a.mov(x86::qword_ptr(x86::rbp, s.offset), x86::gpq(s.reg));
    }
    a.mov(x86::dword_ptr(x86::rbp, 4), 1);
    a.bind(saved);
    a.jmp(kScratch);
    a.bind(failed);
}

}  // namespace jit
}  // namespace xdpdk::vm
