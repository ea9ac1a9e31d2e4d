// Words read right after they were written in narrower pieces.
//
// A load is forwarded from the store buffer only when one store contains it;
// a load over several narrower stores instead waits until they have reached
// the cache. Two places read such words on the load balancer's path:
//  - map keys: clang builds a struct key field by field (a u32, a u16, a u8
//    store) right before bpf_map_lookup_elem, and the specialised lookups
//    read it in 8-byte words;
//  - bpf_csum_diff over a header the program has just written byte and
//    half-word at a time, which the inline checksum reads in 4-byte words.
// The JIT records the stores of the current basic block as offsets from a
// register not written since, and where it knows the address of such a word
// it reads it in pieces that each lie inside the latest store to their bytes
// (each forwarded) and joins them. For a key, the word is then stored back
// whole on the stack, and the callee's loads are forwarded from that store.
//
// The pieces are exactly the word's bytes and a key's store writes back what
// was read (on the program's own stack only), so this is correct whatever the
// tracking missed (a store through a pointer the JIT cannot place, a helper
// writing memory): a miss only costs the stall it was meant to avoid.
#include <algorithm>
#include <bit>

#include "emitter.h"

namespace xdpdk::vm::jit {
namespace {

// Older stores than this many in one block are forgotten (they have most
// likely reached the cache anyway); bounds the work per word.
constexpr size_t kMaxTrackedStores = 64;

}  // namespace

void Emitter::note_store(const Insn& in) {
    const KnownValues::Address base = known.address(in.dst);
    const int64_t off = base.offset + in.off;
    const unsigned size = op_info(in.op).size;
    if (off < INT32_MIN || off > INT32_MAX - 8) return;
    if (base.base == 10 && (off < -bpf::kStackSize || off + size > 0)) return;
    if (mem_stores.size() == kMaxTrackedStores) mem_stores.erase(mem_stores.begin());
    mem_stores.push_back(MemStore{base.base, static_cast<int32_t>(off), static_cast<uint8_t>(size)});
}

void Emitter::forget_stores_based_on(const Insn& in) {
    const uint16_t written = written_registers(in);
    if (written == 0) return;
    std::erase_if(mem_stores, [&](const MemStore& s) { return (written >> s.base) & 1; });
}

void Emitter::emit_load_word(const x86::Gp& dst, const x86::Gp& tmp, uint8_t base_reg, int64_t off, unsigned n) {
    const x86::Gp base = reg64(base_reg);
    // The latest tracked store to each byte of the word; -1: none.
    int writer[8];
    std::fill_n(writer, n, -1);
    if (opts.forward_narrow_stores) {
        for (size_t i = 0; i < mem_stores.size(); ++i) {
            const MemStore& s = mem_stores[i];
            if (s.base != base_reg) continue;
            const int64_t lo = std::max<int64_t>(s.off, off), hi = std::min<int64_t>(s.off + s.size, off + n);
            for (int64_t b = lo; b < hi; ++b) writer[b - off] = static_cast<int>(i);
        }
    }
    // Pieces of 1, 2, 4 or 8 bytes, each inside one store's bytes (or among
    // bytes no tracked store wrote): a single piece when one store, or none
    // in this block, wrote the whole word.
    bool first = true;
    for (unsigned b = 0; b < n;) {
        unsigned run = 1;
        while (b + run < n && writer[b + run] == writer[b]) ++run;
        const unsigned piece = std::bit_floor(run);
        const x86::Gp& to = first ? dst : tmp;
        const x86::Mem mem = x86::ptr(base, static_cast<int32_t>(off + b), piece);
        if (piece == 8) a.mov(to.r64(), mem);
        else if (piece == 4) a.mov(to.r32(), mem);
        else a.movzx(to.r32(), mem);
        if (!first) {
            a.shl(tmp.r64(), 8 * b);
            a.or_(dst.r64(), tmp.r64());
        }
        first = false;
        b += piece;
    }
}

void Emitter::emit_stack_key_words(int64_t key, uint32_t key_size) {
    if (key < -bpf::kStackSize || key + int64_t{key_size} > 0) return;
    for (uint32_t at = 0; at < key_size; at += 8) {
        const unsigned n = std::min(8u, key_size - at);
        // The specialised lookups read 8-byte words and a 4-byte tail.
        if (n != 8 && n != 4) return;
        const int64_t start = key + at;
        // Only words that this block wrote with more than one store.
        int writers = 0;
        const MemStore* last = nullptr;
        for (const MemStore& s : mem_stores) {
            if (s.base != 10 || s.off >= start + n || s.off + s.size <= start) continue;
            ++writers;
            last = &s;
        }
        if (writers == 0 || (last->off <= start && last->off + last->size >= start + n)) continue;
        emit_load_word(x86::rax, kScratch2, 10, start, n);
        a.mov(x86::ptr(x86::rbp, static_cast<int32_t>(start), n), sized(x86::rax, n));
        if (mem_stores.size() == kMaxTrackedStores) mem_stores.erase(mem_stores.begin());
        mem_stores.push_back(MemStore{10, static_cast<int32_t>(start), static_cast<uint8_t>(n)});
    }
}

}  // namespace xdpdk::vm::jit
