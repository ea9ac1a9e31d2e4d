// Frames and calls: the program prologue, the callee prologue of BPF-to-BPF
// calls, exit and the shared epilogue, helper calls, tail calls, and the
// out-of-line call-depth fault.
#include <cstddef>

#include "../helpers.h"
#include "emitter.h"

namespace xdpdk::vm {
namespace {

// Called by the machine code of a tail call: where to continue, or nullptr
// to fall through. A target without machine code is treated as an empty slot,
// as the kernel never puts an un-JITed program next to JITed ones.
const void* jit_tail_call_entry(uint64_t prog_array, uint64_t index, ExecContext* ex) {
    const Program* next = tail_call_target(prog_array, index, ex);
    if (next == nullptr || !next->jit) return nullptr;
    return next->jit->tail_entry();
}

}  // namespace

namespace jit {

const char kDepthFault[] = "call depth exceeds 8 frames";

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
    a.xor_(x86::r11d, x86::r11d);  // depth 0
    emit_frame_push();
    a.mov(kExReg, x86::rdx);
    // The interpreter starts with every other register zero; so do we.
    for (uint8_t r : {0, 3, 4, 5, 6, 7, 8, 9}) a.xor_(reg32(r), reg32(r));
}

Status Emitter::emit_exit() {
    // The epilogue directly follows the last instruction.
    if (pc + 1 != prog.insns.size()) a.jmp(epilogue);
    return {};
}

void Emitter::emit_tail() {
    a.bind(epilogue);
    a.mov(x86::rsp, x86::rbp);
    a.add(x86::rsp, 8);  // depth
    a.pop(x86::r12);
    a.pop(x86::r15);
    a.pop(x86::r14);
    a.pop(x86::r13);
    a.pop(x86::rbx);
    a.pop(x86::rbp);
    a.ret();

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

// bpf_tail_call(ctx = r1, prog_array = r2, index = r3). On success the target
// continues in this frame with every register as it was, as in the
// interpreter; on failure execution falls through with r0-r5 unchanged.
void Emitter::emit_tail_call() {
    const asmjit::Label failed = a.newLabel();
    for (uint8_t r : {0, 1, 2, 3, 4, 5}) a.push(reg64(r));  // 48 bytes: rsp stays aligned
    a.mov(x86::rdi, x86::rsi);
    a.mov(x86::rsi, x86::rdx);
    a.mov(x86::rdx, kExReg);
    a.mov(kScratch, reinterpret_cast<uint64_t>(&jit_tail_call_entry));
    a.call(kScratch);
    a.mov(kScratch2, x86::rax);
    for (uint8_t r : {5, 4, 3, 2, 1, 0}) a.pop(reg64(r));
    a.test(kScratch2, kScratch2);
    a.jz(failed);
    a.jmp(kScratch2);
    a.bind(failed);
}

}  // namespace jit
}  // namespace xdpdk::vm
