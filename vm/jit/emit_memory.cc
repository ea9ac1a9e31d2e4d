// LDX, ST, STX and the atomics. Atomic read-modify-writes are lock-prefixed
// (xchg is locked by itself); fetch-or/and/xor have no x86 instruction that
// returns the old value, so they loop on lock cmpxchg.
#include "emitter.h"

namespace xdpdk::vm::jit {

Status Emitter::emit_memory(const Insn& in) {
    const OpInfo& info = op_info(in.op);
    if (info.kind == Kind::Ldx || info.kind == Kind::Ldxs) {
        if (const auto value = known.folded_load(in)) {
            if (*value == 0) a.xor_(reg32(in.dst), reg32(in.dst));
            else a.mov(reg64(in.dst), *value);
            return {};
        }
    }
    switch (in.op) {
        case Op::LdxB: a.movzx(reg32(in.dst), x86::byte_ptr(reg64(in.src), in.off)); break;
        case Op::LdxH: a.movzx(reg32(in.dst), x86::word_ptr(reg64(in.src), in.off)); break;
        case Op::LdxW: a.mov(reg32(in.dst), x86::dword_ptr(reg64(in.src), in.off)); break;
        case Op::LdxDW: a.mov(reg64(in.dst), x86::qword_ptr(reg64(in.src), in.off)); break;
        case Op::LdxsB: a.movsx(reg64(in.dst), x86::byte_ptr(reg64(in.src), in.off)); break;
        case Op::LdxsH: a.movsx(reg64(in.dst), x86::word_ptr(reg64(in.src), in.off)); break;
        case Op::LdxsW: a.movsxd(reg64(in.dst), x86::dword_ptr(reg64(in.src), in.off)); break;
        case Op::StB: a.mov(x86::byte_ptr(reg64(in.dst), in.off), static_cast<int8_t>(in.imm)); break;
        case Op::StH: a.mov(x86::word_ptr(reg64(in.dst), in.off), static_cast<int16_t>(in.imm)); break;
        case Op::StW: a.mov(x86::dword_ptr(reg64(in.dst), in.off), in.imm); break;
        case Op::StDW: a.mov(x86::qword_ptr(reg64(in.dst), in.off), in.imm); break;
        case Op::StxB: a.mov(x86::byte_ptr(reg64(in.dst), in.off), reg8(in.src)); break;
        case Op::StxH: a.mov(x86::word_ptr(reg64(in.dst), in.off), reg16(in.src)); break;
        case Op::StxW: a.mov(x86::dword_ptr(reg64(in.dst), in.off), reg32(in.src)); break;
        case Op::StxDW: a.mov(x86::qword_ptr(reg64(in.dst), in.off), reg64(in.src)); break;
        default: return insn_error(std::string("the JIT does not handle ") + info.name + " as a memory access");
    }
    if (info.kind == Kind::St || info.kind == Kind::Stx) note_store(in);
    return {};
}

namespace {
constexpr int32_t kAdd = 0x00, kOr = 0x40, kAnd = 0x50, kXor = 0xa0;
}  // namespace

Status Emitter::emit_atomic(const Insn& in) {
    const OpInfo& info = op_info(in.op);
    const unsigned size = info.size;
    const x86::Mem mem = x86::ptr(reg64(in.dst), in.off, size);
    const x86::Gp src = sized(reg64(in.src), size);
    const int32_t op = info.select_value;
    switch (op) {
        case kAdd: a.lock().add(mem, src); break;
        case kOr: a.lock().or_(mem, src); break;
        case kAnd: a.lock().and_(mem, src); break;
        case kXor: a.lock().xor_(mem, src); break;
        case kAdd | bpf::FETCH: a.lock().xadd(mem, src); break;  // src = old value, zero-extended
        case kOr | bpf::FETCH:
        case kAnd | bpf::FETCH:
        case kXor | bpf::FETCH: emit_fetch_logic(in, size, op & ~bpf::FETCH); break;
        case bpf::XCHG: a.xchg(mem, src); break;
        case bpf::CMPXCHG:
            a.lock().cmpxchg(mem, src, size == 8 ? x86::Gp(x86::rax) : x86::Gp(x86::eax));
            // On success a 32-bit cmpxchg leaves rax's upper half alone;
            // eBPF's r0 is the zero-extended old value either way.
            if (size == 4) a.mov(x86::eax, x86::eax);
            break;
        default: return insn_error(std::string("the JIT does not handle ") + info.name);
    }
    note_store(in);
    return {};
}

// src = fetch_<op>(dst + off, src), as a lock cmpxchg loop on rax.
void Emitter::emit_fetch_logic(const Insn& in, unsigned size, int32_t op) {
    const bool src_is_r0 = in.src == 0;
    // The new value is built in src itself (it receives the old value in the
    // end anyway), or in rcx when src is r0, which cmpxchg needs.
    const x86::Gp save = src_is_r0 ? x86::Gp(x86::rcx) : x86::Gp(x86::rax);
    const x86::Gp temp = sized(src_is_r0 ? x86::Gp(x86::rcx) : reg64(in.src), size);
    const x86::Gp acc = sized(x86::rax, size);
    const x86::Gp operand = sized(kScratch, size);
    const x86::Mem mem = x86::ptr(kScratch2, 0, size);
    a.lea(kScratch2, x86::ptr(reg64(in.dst), in.off));
    a.mov(kScratch, reg64(in.src));
    a.push(save);
    a.mov(acc, mem);
    const asmjit::Label retry = a.newLabel();
    a.bind(retry);
    a.mov(temp, acc);
    if (op == kOr) a.or_(temp, operand);
    else if (op == kAnd) a.and_(temp, operand);
    else a.xor_(temp, operand);
    a.lock().cmpxchg(mem, temp, acc);
    a.jne(retry);
    if (!src_is_r0) a.mov(sized(reg64(in.src), size), acc);
    a.pop(save);
}

}  // namespace xdpdk::vm::jit
