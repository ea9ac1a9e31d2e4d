// Helper calls the JIT replaces with inline code. Each sequence returns what
// the helper returns for every input (tests run both forms on the same
// programs); r1-r5 are left as they are, which a verified program never reads
// after a call.
#include <cstddef>

#include "../helpers.h"
#include "../map.h"
#include "emitter.h"

namespace xdpdk::vm::jit {
namespace {

// Registers an instruction writes (r0-r5 for calls).
bool writes_register(const Insn& in, uint8_t r) {
    switch (op_info(in.op).kind) {
        case Kind::AluImm:
        case Kind::AluReg:
        case Kind::Neg:
        case Kind::MovSx:
        case Kind::Endian:
        case Kind::Lddw:
        case Kind::Ldx:
        case Kind::Ldxs: return in.dst == r;
        case Kind::Atomic: {
            const int32_t op = op_info(in.op).select_value;
            if (op == bpf::CMPXCHG) return r == 0;
            return (op & bpf::FETCH) && in.src == r;
        }
        case Kind::Call: return r <= 5;
        default: return false;
    }
}

uint64_t round_up8(uint64_t v) { return (v + 7) & ~uint64_t{7}; }

}  // namespace

bool Emitter::emit_inline_helper(const Insn& in) {
    switch (in.imm) {
        case helper_id::GetSmpProcessorId:
            a.mov(x86::eax, x86::dword_ptr(kExReg, offsetof(ExecContext, cpu)));
            return true;
        case helper_id::MapLookupElem: return emit_inline_array_lookup();
        default: return false;
    }
}

// The map r1 holds at the call at `pc`, when an lddw of a map sets it in the
// same basic block; nullptr when r1 may come from anywhere else.
const Map* Emitter::constant_map_in_r1() const {
    for (size_t k = pc; k-- > 0;) {
        if (block_start[k + 1]) return nullptr;
        const Insn& w = prog.insns[k];
        if (static_cast<int>(w.op) >= kNumOps) return nullptr;
        if (w.op == Op::LddwTail) continue;
        const Kind kind = op_info(w.op).kind;
        if (kind == Kind::Exit || kind == Kind::Ja) return nullptr;
        if (!writes_register(w, 1)) continue;
        if (kind != Kind::Lddw || k + 1 >= prog.insns.size()) return nullptr;
        const uint64_t value = static_cast<uint32_t>(w.imm) |
                               (static_cast<uint64_t>(static_cast<uint32_t>(prog.insns[k + 1].imm)) << 32);
        for (const LddwOrigin& o : prog.lddw_origins)
            if (o.insn == k && !o.value && reinterpret_cast<uint64_t>(o.map) == value) return o.map;
        return nullptr;
    }
    return nullptr;
}

// Array and per-CPU array lookups, as ArrayMap::lookup computes them:
//   index = *(u32 *)r2; index < max_entries (and cpu < ncpus for per-CPU)
//   ? value_base + cpu * cpu_stride + index * round_up(value_size, 8) : NULL
bool Emitter::emit_inline_array_lookup() {
    const Map* constant = constant_map_in_r1();
    if (!constant) return false;
    const bool percpu = constant->type() == MapType::PercpuArray;
    if (constant->type() != MapType::Array && !percpu) return false;
    // Map memory is owned by the object and outlives the program; lookups
    // hand out writable pointers into it just as the helper does.
    Map* map = const_cast<Map*>(constant);
    uint8_t* base = map->value_base();
    const uint64_t stride = round_up8(map->spec().value_size);
    const uint64_t cpu_stride = map->value_cpu_stride();
    if (base == nullptr || stride > INT32_MAX || cpu_stride > INT32_MAX || (percpu && cpu_stride == 0)) return false;

    const asmjit::Label null = a.newLabel(), done = a.newLabel();
    a.mov(x86::eax, x86::dword_ptr(reg64(2)));
    a.cmp(x86::eax, static_cast<uint32_t>(map->spec().max_entries));
    a.jae(null);
    if (percpu) {
        a.mov(x86::r11d, x86::dword_ptr(kExReg, offsetof(ExecContext, cpu)));
        a.cmp(x86::r11d, map->ncpus());
        a.jae(null);
        a.imul(kScratch2, kScratch2, static_cast<int32_t>(cpu_stride));
    }
    a.mov(kScratch, reinterpret_cast<uint64_t>(base));
    if (percpu) a.add(kScratch, kScratch2);
    if (stride == 8) {
        a.lea(x86::rax, x86::ptr(kScratch, x86::rax, 3));
    } else {
        if ((stride & (stride - 1)) == 0) a.shl(x86::rax, __builtin_ctzll(stride));
        else a.imul(x86::rax, x86::rax, static_cast<int32_t>(stride));
        a.add(x86::rax, kScratch);
    }
    a.jmp(done);
    a.bind(null);
    a.xor_(x86::eax, x86::eax);
    a.bind(done);
    return true;
}

}  // namespace xdpdk::vm::jit
