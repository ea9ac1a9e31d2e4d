// jit_compile: one pass over the decoded instructions, dispatching on the
// opcode table's Kind to the emit function of each class; then the code is
// copied into fresh W^X memory. Nothing is stored in the Program unless every
// instruction was emitted and asmjit reported no error.
#include <asmjit/x86.h>

#include "emitter.h"
#include "exec_memory.h"

namespace xdpdk::vm {
namespace {

class RecordingErrorHandler final : public asmjit::ErrorHandler {
public:
    void handleError(asmjit::Error err, const char* message, asmjit::BaseEmitter*) override {
        if (error != asmjit::kErrorOk) return;
        error = err;
        this->message = message ? message : asmjit::DebugUtils::errorAsString(err);
    }
    asmjit::Error error = asmjit::kErrorOk;
    std::string message;
};

std::string subject_of(const Program& prog) {
    // make_program names raw programs by their subject already.
    if (prog.name.rfind("prog ", 0) == 0) return prog.name;
    return "prog '" + prog.name + "'";
}

}  // namespace

namespace jit {

Op four_group_base(Op op) {
    const int i = static_cast<int>(op);
    const int first = i >= static_cast<int>(Op::Jeq64Imm) ? static_cast<int>(Op::Jeq64Imm) : static_cast<int>(Op::Add64Imm);
    return static_cast<Op>(i - (i - first) % 4);
}

Emitter::Emitter(const Program& p, const JitOptions& o, x86::Assembler& assembler, std::string subj)
    : prog(p), opts(o), a(assembler), subject(std::move(subj)), known(p) {
    bmi2 = opts.use_bmi2 && asmjit::CpuInfo::host().hasFeature(asmjit::CpuFeatures::X86::kBMI2);
}

Error Emitter::insn_error(std::string reason) const {
    return make_insn_error(subject, static_cast<int64_t>(pc), std::move(reason));
}

Status Emitter::emit_instruction(size_t at) {
    pc = at;
    const Insn& in = prog.insns[pc];
    a.bind(start_labels[pc]);
    if (static_cast<int>(in.op) >= kNumOps) return insn_error("the JIT does not handle opcode value " +
                                                              std::to_string(static_cast<int>(in.op)));
    if (callee_labels[pc].isValid()) {
        // Falling into a callee (no verifier yet) must not run its prologue.
        if (falls_through_to(pc)) a.jmp(insn_labels[pc]);
        a.bind(callee_labels[pc]);
        emit_frame_push();
    }
    a.bind(insn_labels[pc]);
    if (block_start[pc]) {
        known.forget_all();
        mem_stores.clear();
        reachable = true;
    }
    // Nothing jumps here and nothing falls through (after a jump decided at
    // compile time, say): no code.
    if (!reachable) return {};
    if (pc < fused_end) {
        known.after(pc);
        forget_stores_based_on(in);
        return {};
    }
    size_t covered = 0;
    if (opts.fuse_byte_loads) covered = emit_fused_byte_loads();
    if (covered == 0 && opts.fuse_byte_stores) covered = emit_fused_byte_stores();
    if (covered != 0) {
        fused_end = pc + covered;
        known.after(pc);
        forget_stores_based_on(in);
        return {};
    }
    Status st = emit_by_class(in);
    if (st.ok() && in.op != Op::LddwTail) {
        known.after(pc);
        forget_stores_based_on(in);
    }
    if (in.op == Op::Exit || in.op == Op::Ja || in.op == Op::Ja32) reachable = false;
    return st;
}

Status Emitter::emit_by_class(const Insn& in) {
    switch (op_info(in.op).kind) {
        case Kind::AluImm:
        case Kind::AluReg:
        case Kind::Neg:
        case Kind::MovSx:
        case Kind::Endian:
        case Kind::Lddw: return emit_alu(in);
        case Kind::LddwTail: return {};
        case Kind::JmpImm:
        case Kind::JmpReg:
        case Kind::Ja: return emit_jump(in);
        case Kind::Ldx:
        case Kind::Ldxs:
        case Kind::St:
        case Kind::Stx: return emit_memory(in);
        case Kind::Atomic: return emit_atomic(in);
        case Kind::Call: return emit_call(in);
        case Kind::Exit: return emit_exit();
    }
    return insn_error(std::string("the JIT does not handle ") + op_info(in.op).name);
}

bool Emitter::falls_through_to(size_t at) const {
    if (at == 0) return true;  // from the program prologue
    size_t prev = at - 1;
    if (prog.insns[prev].op == Op::LddwTail && prev > 0) --prev;
    const Op op = prog.insns[prev].op;
    return op != Op::Exit && op != Op::Ja && op != Op::Ja32;
}

Status Emitter::analyze() {
    const size_t n = prog.insns.size();
    start_labels.resize(n + 1);
    insn_labels.resize(n);
    callee_labels.resize(n);
    block_start.assign(n + 1, false);
    for (size_t i = 0; i <= n; ++i) start_labels[i] = a.newLabel();
    for (size_t i = 0; i < n; ++i) insn_labels[i] = a.newLabel();
    epilogue = a.newLabel();
    depth_fault = a.newLabel();
    for (pc = 0; pc < n; ++pc) {
        const Insn& in = prog.insns[pc];
        if (static_cast<int>(in.op) >= kNumOps) continue;  // refused when emitted, with its index
        const Kind kind = op_info(in.op).kind;
        int64_t off;
        if (kind == Kind::JmpImm || kind == Kind::JmpReg || in.op == Op::Ja) off = in.off;
        else if (in.op == Op::Ja32 || in.op == Op::CallLocal) off = in.imm;
        else continue;
        const int64_t target = static_cast<int64_t>(pc) + off + 1;
        if (target < 0 || target >= static_cast<int64_t>(n) || prog.insns[target].op == Op::LddwTail)
            return insn_error((in.op == Op::CallLocal ? "call" : "jump") + std::string(" to insn ") +
                              std::to_string(target) + " is not an instruction start");
        block_start[target] = true;
        if (in.op == Op::CallLocal && !callee_labels[target].isValid()) callee_labels[target] = a.newLabel();
    }
    // A callback is entered from its helper through a callee prologue too.
    for (const auto& cb : prog.callbacks) {
        if (cb->start >= n || prog.insns[cb->start].op == Op::LddwTail)
            return insn_error("function address of insn " + std::to_string(cb->start) + " is not an instruction start");
        block_start[cb->start] = true;
        if (!callee_labels[cb->start].isValid()) callee_labels[cb->start] = a.newLabel();
        callback_entries.push_back(a.newLabel());
    }
    pc = 0;
    return {};
}

}  // namespace jit

Status jit_compile(Program& prog, const JitOptions& opts) {
    prog.set_jit(nullptr);
    const std::string subject = subject_of(prog);
    if (prog.insns.empty()) return make_error(subject, "no instructions to compile");

    asmjit::CodeHolder code;
    RecordingErrorHandler errors;
    if (asmjit::Error err = code.init(asmjit::Environment::host()); err != asmjit::kErrorOk)
        return make_error(subject, std::string("asmjit: ") + asmjit::DebugUtils::errorAsString(err));
    code.setErrorHandler(&errors);
    asmjit::x86::Assembler a(&code);

    jit::Emitter emitter(prog, opts, a, subject);
    XDPDK_RETURN_IF_ERROR(emitter.analyze());
    auto asmjit_failure = [&](int64_t insn, asmjit::Error err = asmjit::kErrorOk) {
        const std::string why = errors.error != asmjit::kErrorOk ? errors.message
                                                                 : asmjit::DebugUtils::errorAsString(err);
        return make_insn_error(subject, insn, "asmjit: " + why);
    };
    emitter.emit_program_prologue();
    if (errors.error != asmjit::kErrorOk) return asmjit_failure(0);
    for (size_t pc = 0; pc < prog.insns.size(); ++pc) {
        XDPDK_RETURN_IF_ERROR(emitter.emit_instruction(pc));
        if (errors.error != asmjit::kErrorOk) return asmjit_failure(static_cast<int64_t>(pc));
        if (a.offset() > opts.max_code_bytes)
            return make_insn_error(subject, static_cast<int64_t>(pc),
                                   "code buffer exhausted: machine code exceeds " +
                                       std::to_string(opts.max_code_bytes) + " bytes");
    }
    const int64_t last = static_cast<int64_t>(prog.insns.size()) - 1;
    a.bind(emitter.start_labels.back());
    emitter.emit_tail();
    if (errors.error != asmjit::kErrorOk) return asmjit_failure(last);
    if (a.offset() > opts.max_code_bytes)
        return make_insn_error(subject, last, "code buffer exhausted: machine code exceeds " +
                                                  std::to_string(opts.max_code_bytes) + " bytes");
    if (asmjit::Error err = code.flatten(); err != asmjit::kErrorOk) return asmjit_failure(last, err);
    if (asmjit::Error err = code.resolveUnresolvedLinks(); err != asmjit::kErrorOk) return asmjit_failure(last, err);
    if (code.hasUnresolvedLinks()) return asmjit_failure(last, asmjit::kErrorInvalidLabel);

    XDPDK_ASSIGN_OR_RETURN(jit::WritableCode mem, jit::WritableCode::map(code.codeSize(), subject));
    if (asmjit::Error err = code.relocateToBase(reinterpret_cast<uint64_t>(mem.data())); err != asmjit::kErrorOk)
        return asmjit_failure(last, err);
    if (asmjit::Error err = code.copyFlattenedData(mem.data(), mem.size(), asmjit::CopySectionFlags::kPadTargetBuffer);
        err != asmjit::kErrorOk)
        return asmjit_failure(last, err);
    if (errors.error != asmjit::kErrorOk) return asmjit_failure(last);

    std::vector<uint32_t> offsets(prog.insns.size() + 1);
    for (size_t i = 0; i < offsets.size(); ++i)
        offsets[i] = static_cast<uint32_t>(code.labelOffset(emitter.start_labels[i]));
    const auto tail_entry = static_cast<uint32_t>(code.labelOffset(emitter.insn_labels[0]));
    std::vector<uint32_t> callback_offsets;
    for (const asmjit::Label& l : emitter.callback_entries)
        callback_offsets.push_back(static_cast<uint32_t>(code.labelOffset(l)));
    XDPDK_ASSIGN_OR_RETURN(auto jited, std::move(mem).make_executable(code.codeSize(), std::move(offsets), tail_entry));
    jited->set_callback_offsets(std::move(callback_offsets));
    prog.set_jit(std::move(jited));
    return {};
}

}  // namespace xdpdk::vm
