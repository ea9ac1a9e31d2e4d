// Helper calls the JIT replaces with inline code. Each sequence returns what
// the helper returns for every input (tests run both forms on the same
// programs); r1-r5 are left as they are, which a verified program never reads
// after a call.
#include <algorithm>
#include <cerrno>
#include <cstddef>

#include "../helpers.h"
#include "../map.h"
#include "../maps/array_of_maps.h"
#include "../maps/hash_map.h"
#include "../xdp.h"
#include "emitter.h"
#include "hash_lookup.h"

namespace xdpdk::vm::jit {
namespace {

uint64_t round_up8(uint64_t v) { return (v + 7) & ~uint64_t{7}; }

}  // namespace

bool Emitter::emit_inline_helper(const Insn& in) {
    const HelperSpec* h = helper_spec(in.imm);
    switch (h ? h->inline_form : InlineForm::None) {
        case InlineForm::CpuId:
            a.mov(x86::eax, x86::dword_ptr(kExReg, offsetof(ExecContext, cpu)));
            return true;
        case InlineForm::MapLookup:
            return emit_inline_array_lookup() || emit_inline_hash_lookup() || emit_inline_array_of_maps_lookup();
        case InlineForm::CsumDiff: return emit_inline_csum_diff();
        case InlineForm::AdjustHead: emit_inline_adjust_head(); return true;
        case InlineForm::None: return false;
    }
    return false;
}

// The map `reg` holds at the call at `pc`, when an lddw of a map sets it in
// the same basic block; nullptr when it may come from anywhere else.
const Map* Emitter::constant_map_in(uint8_t reg) const {
    for (size_t k = pc; k-- > 0;) {
        if (block_start[k + 1]) return nullptr;
        const Insn& w = prog.insns[k];
        if (static_cast<int>(w.op) >= kNumOps) return nullptr;
        if (w.op == Op::LddwTail) continue;
        const Kind kind = op_info(w.op).kind;
        if (kind == Kind::Exit || kind == Kind::Ja) return nullptr;
        if (!((written_registers(w) >> reg) & 1)) continue;
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

// An array of maps named by lddw (Katran's lru_mapping), as
// ArrayOfMaps::lookup reads it: index = *(u32 *)r2; index < max_entries ?
// slots[index] (the inner map itself, or NULL for an empty slot) : NULL.
// A slot is an atomic pointer, which an aligned 8-byte load reads with
// acquire semantics on x86-64.
bool Emitter::emit_inline_array_of_maps_lookup() {
    const Map* constant = constant_map_in_r1();
    if (!constant || constant->type() != MapType::ArrayOfMaps) return false;
    static_assert(sizeof(std::atomic<Map*>) == sizeof(Map*));
    const auto* slots = static_cast<const maps::ArrayOfMaps*>(constant)->slots();
    const asmjit::Label null = a.newLabel(), done = a.newLabel();
    a.mov(x86::eax, x86::dword_ptr(reg64(2)));
    a.cmp(x86::eax, static_cast<uint32_t>(constant->spec().max_entries));
    a.jae(null);
    a.mov(kScratch, reinterpret_cast<uint64_t>(slots));
    a.mov(x86::rax, x86::qword_ptr(kScratch, x86::rax, 3));
    a.jmp(done);
    a.bind(null);
    a.xor_(x86::eax, x86::eax);
    a.bind(done);
    return true;
}

// Hash, per-CPU hash, LRU and LRU per-CPU hash lookups with a key size that
// has a specialised reader: a direct call to it with the table as an
// immediate, the key pointer (r2) where it already is, and for per-CPU maps
// the calling CPU, the CPU count and the value stride. A key on the stack is
// first made forwardable to the reader's word loads (narrow_stores.cc).
bool Emitter::emit_inline_hash_lookup() {
    const Map* map = constant_map_in_r1();
    if (!map) return emit_inline_dynamic_hash_lookup();
    const MapType type = map->type();
    const bool lru = type == MapType::LruHash || type == MapType::LruPercpuHash;
    const bool percpu = type == MapType::PercpuHash || type == MapType::LruPercpuHash;
    if (type != MapType::Hash && !lru && !percpu) return false;
    const HashLookupFn fn = specialised_hash_lookup(map->spec().key_size, lru, percpu);
    if (fn == nullptr) return false;
    const maps::HashTable& table = static_cast<const maps::HashMap*>(map)->table();
    if (const auto key = known.stack_offset(2); key && opts.forward_narrow_stores)
        emit_stack_key_words(*key, map->spec().key_size);
    a.mov(x86::rdi, reinterpret_cast<uint64_t>(&table));
    if (percpu) {
        a.mov(x86::edx, x86::dword_ptr(kExReg, offsetof(ExecContext, cpu)));
        a.mov(x86::ecx, map->ncpus());
        a.mov(x86::r8d, static_cast<uint32_t>(round_up8(map->spec().value_size)));
    }
    a.mov(kScratch, reinterpret_cast<uint64_t>(fn));
    a.call(kScratch);
    return true;
}

// A hash lookup in a map the verifier proved to be of one hash type and key
// size on every path, though not a constant (an inner map of a map of maps,
// Katran's per-CPU LRU tables): a direct call to the reader specialised for
// them, with the map where r1 already is (rdi) and the calling CPU.
bool Emitter::emit_inline_dynamic_hash_lookup() {
    const auto& calls = prog.dynamic_map_calls;
    const auto it = std::lower_bound(calls.begin(), calls.end(), static_cast<uint32_t>(pc),
                                     [](const DynamicMapCall& c, uint32_t at) { return c.insn < at; });
    if (it == calls.end() || it->insn != pc) return false;
    const MapType type = static_cast<MapType>(it->map_type);
    const bool lru = type == MapType::LruHash || type == MapType::LruPercpuHash;
    const bool percpu = type == MapType::PercpuHash || type == MapType::LruPercpuHash;
    if (type != MapType::Hash && !lru && !percpu) return false;
    const DynamicHashLookupFn fn = specialised_dynamic_hash_lookup(it->key_size, lru, percpu);
    if (fn == nullptr) return false;
    if (const auto key = known.stack_offset(2); key && opts.forward_narrow_stores)
        emit_stack_key_words(*key, it->key_size);
    // r1 is rdi and r2 rsi: the map and the key are already in place.
    a.mov(x86::edx, x86::dword_ptr(kExReg, offsetof(ExecContext, cpu)));
    a.mov(kScratch, reinterpret_cast<uint64_t>(fn));
    a.call(kScratch);
    return true;
}

// bpf_csum_diff(from = r1, from_size = r2, to = r3, to_size = r4, seed = r5)
// when both sizes are immediates, multiples of 4 and small: the word sums are
// unrolled. As the helper: 32-bit words summed in 64 bits and folded with
// end-around carry, from's sum complemented and added to to's (seeded) sum,
// the result folded to 16 bits. r1-r5 are left unchanged.
bool Emitter::emit_inline_csum_diff() {
    constexpr uint64_t kMaxInlineBytes = 64;
    const auto from_size = known.immediate(2), to_size = known.immediate(4);
    if (!from_size || !to_size) return false;
    const uint32_t from_bytes = static_cast<uint32_t>(*from_size), to_bytes = static_cast<uint32_t>(*to_size);
    if (from_bytes % 4 || to_bytes % 4 || from_bytes > kMaxInlineBytes || to_bytes > kMaxInlineBytes) return false;

    // acc (64-bit, its 32-bit start already in place) += the words at base;
    // then fold to 32 bits with end-around carry.
    // Words just written in narrower pieces are read in those pieces
    // (narrow_stores.cc), with r9 (free here) as the second scratch.
    auto sum_words = [&](const x86::Gp& acc, uint8_t ptr_reg, uint32_t bytes) {
        KnownValues::Address base = known.address(ptr_reg);
        // r0 (rax) already holds the sum here.
        if (base.base == 0) base = KnownValues::Address{ptr_reg, 0};
        for (uint32_t i = 0; i < bytes; i += 4) {
            emit_load_word(kScratch2, x86::r9, base.base, base.offset + i, 4);
            a.add(acc, kScratch2);
        }
        a.mov(kScratch2, acc);
        a.shr(kScratch2, 32);
        a.add(sized(acc, 4), x86::r11d);
        a.adc(sized(acc, 4), 0);
    };
    constexpr uint8_t from = 1, to = 3;
    const x86::Gpd seed = x86::r8d;  // r5
    if (from_bytes && to_bytes) {
        a.mov(x86::eax, seed);
        sum_words(x86::rax, to, to_bytes);
        a.xor_(x86::r10d, x86::r10d);
        sum_words(kScratch, from, from_bytes);
        a.not_(x86::r10d);
        a.add(x86::eax, x86::r10d);
        a.adc(x86::eax, 0);
    } else if (to_bytes) {
        a.mov(x86::eax, seed);
        sum_words(x86::rax, to, to_bytes);
    } else if (from_bytes) {
        a.mov(x86::eax, seed);
        a.not_(x86::eax);
        sum_words(x86::rax, from, from_bytes);
        a.not_(x86::eax);
    } else {
        a.mov(x86::eax, seed);
    }
    // csum_from32to16: sum += rol(sum, 16); return sum >> 16.
    a.mov(x86::r10d, x86::eax);
    a.rol(x86::r10d, 16);
    a.add(x86::eax, x86::r10d);
    a.shr(x86::eax, 16);
    return true;
}

// bpf_xdp_adjust_head(ctx = r1, offset = r2) on a frame without metadata
// (data_meta == data, as XDP programs mostly run): the helper's bounds
// (data may not go below data_hard_start plus the reserved xdp_frame, nor
// leave less than an Ethernet header) and its two stores, inline. With
// metadata the helper runs, as it also moves the metadata.
void Emitter::emit_inline_adjust_head() {
    const asmjit::Label call = a.newLabel(), refused = a.newLabel(), done = a.newLabel();
    const x86::Gp ctx = reg64(1);
    a.mov(kScratch, x86::qword_ptr(ctx, offsetof(XdpBuff, data)));
    a.cmp(kScratch, x86::qword_ptr(ctx, offsetof(XdpBuff, data_meta)));
    a.jne(call);
    a.movsxd(kScratch2, reg32(2));
    a.add(kScratch2, kScratch);  // the new data
    a.mov(kScratch, x86::qword_ptr(ctx, offsetof(XdpBuff, data_hard_start)));
    a.add(kScratch, static_cast<int32_t>(kXdpFrameReserve));
    a.cmp(kScratch2, kScratch);
    a.jb(refused);
    a.mov(kScratch, x86::qword_ptr(ctx, offsetof(XdpBuff, data_end)));
    a.sub(kScratch, static_cast<int32_t>(kEthHeaderLen));
    a.cmp(kScratch2, kScratch);
    a.ja(refused);
    a.mov(x86::qword_ptr(ctx, offsetof(XdpBuff, data)), kScratch2);
    a.mov(x86::qword_ptr(ctx, offsetof(XdpBuff, data_meta)), kScratch2);
    a.xor_(x86::eax, x86::eax);
    a.jmp(done);
    a.bind(refused);
    a.mov(x86::rax, -static_cast<int64_t>(EINVAL));
    a.jmp(done);
    a.bind(call);
    emit_helper_call(helper_id::XdpAdjustHead);
    a.bind(done);
}

}  // namespace xdpdk::vm::jit
