// Clang writes bytes one at a time when it cannot prove an address aligned:
// a memcpy of a 6-byte MAC becomes load/store pairs
//   r2 = *(u8 *)(r1 +2); *(u8 *)(r1 +8) = r2; r2 = *(u8 *)(r1 +3); ...
// and a register's bytes are stored between shifts
//   *(u8 *)(r1 +4) = r2; r2 >>= 8; *(u8 *)(r1 +5) = r2
// (or from copies `r3 = r2; r3 >>= 16`). x86 accesses unaligned words
// directly: such a window becomes one store per run of contiguous bytes (in
// 8/4/2/1-byte pieces), then the final value of every register the window
// wrote that is still live after it.
//
// The window is evaluated symbolically: each register holds its own value at
// the window's start shifted right by whole bytes, or one byte of memory.
// Every access goes through one base register that the window never writes,
// so byte addresses compare exactly, and no byte is both read and written
// (a load after a store to its byte would see the new value; a store to a
// byte read earlier would change what a final register reload sees). Then
// all loads read the memory as it was before the window, whatever the order,
// and a byte stored twice keeps the later value. Wider accesses touch only
// bytes the verifier has already proved accessible one by one.
#include <algorithm>
#include <bit>
#include <map>
#include <set>

#include "emitter.h"

namespace xdpdk::vm::jit {
namespace {

// Bounds the work per window; longer runs are fused in several windows.
constexpr size_t kMaxWindow = 64;

struct Sym {
    bool mem = false;    // false: byte-shifted start value of reg
    uint8_t reg = 0;     // !mem: whose start value
    uint8_t shift = 0;   // !mem: right shift in bits (a multiple of 8, < 64)
    int32_t off = 0;     // mem: the byte at base + off, zero-extended
    bool operator==(const Sym&) const = default;
};

// The state after some prefix of the window.
struct Window {
    Sym regs[11];
    uint16_t written = 0;
    std::set<int32_t> loaded;        // bytes read
    std::map<int32_t, Sym> stored;   // bytes written: their final value (byte 0 of the Sym)
    size_t stores = 0;               // StxB instructions
};

// The byte i places after the one `s` names.
Sym byte_after(const Sym& s, unsigned i) {
    Sym b = s;
    if (b.mem) b.off += static_cast<int32_t>(i);
    else b.shift = static_cast<uint8_t>(b.shift + 8 * i);
    return b;
}

// Whether stored byte `next` continues the run whose last byte is `prev`.
bool continues(const Sym& prev, const Sym& next) {
    if (prev.mem != next.mem) return false;
    if (prev.mem) return next.off == prev.off + 1;
    return next.reg == prev.reg && next.shift == prev.shift + 8;
}

}  // namespace

size_t Emitter::emit_fused_byte_stores() {
    const size_t n = prog.insns.size();
    Window w;
    for (uint8_t r = 0; r < 11; ++r) w.regs[r] = Sym{false, r, 0, 0};
    int base = -1;
    Window best;
    size_t end = 0;  // one past the last store of the longest acceptable prefix

    for (size_t k = pc; k < n && k < pc + kMaxWindow; ++k) {
        if (k > pc && block_start[k]) break;
        const Insn& in = prog.insns[k];
        auto writes_ok = [&](uint8_t r) { return r != 10 && int{r} != base; };
        auto base_ok = [&](uint8_t r) {
            if (base < 0 && !(w.written & (1u << r))) base = r;
            return int{r} == base;
        };
        if (in.op == Op::LdxB) {
            if (!base_ok(in.src) || !writes_ok(in.dst) || w.stored.count(in.off)) break;
            w.loaded.insert(in.off);
            w.regs[in.dst] = Sym{true, 0, 0, in.off};
            w.written |= static_cast<uint16_t>(1u << in.dst);
        } else if (in.op == Op::StxB) {
            if (!base_ok(in.dst) || w.loaded.count(in.off)) break;
            w.stored[in.off] = w.regs[in.src];
            ++w.stores;
            best = w;
            end = k + 1;
        } else if (in.op == Op::Mov64Reg) {
            if (!writes_ok(in.dst)) break;
            w.regs[in.dst] = w.regs[in.src];
            w.written |= static_cast<uint16_t>(1u << in.dst);
        } else if (in.op == Op::Rsh64Imm) {
            Sym& s = w.regs[in.dst];
            if (!writes_ok(in.dst) || s.mem || in.imm <= 0 || in.imm % 8 != 0 || s.shift + in.imm >= 64) break;
            s.shift = static_cast<uint8_t>(s.shift + in.imm);
            w.written |= static_cast<uint16_t>(1u << in.dst);
        } else {
            break;
        }
    }
    if (end == 0 || best.stores < 2) return 0;

    // Runs of contiguous bytes, each split into 8/4/2/1-byte pieces.
    struct Piece {
        int32_t off;
        unsigned size;
        Sym from;  // its first byte
    };
    std::vector<Piece> pieces;
    for (auto it = best.stored.begin(); it != best.stored.end();) {
        auto last = it;
        unsigned len = 1;
        for (auto next = std::next(it); next != best.stored.end() && next->first == last->first + 1 &&
                                        continues(last->second, next->second);
             last = next++)
            ++len;
        for (unsigned b = 0; b < len;) {
            const unsigned size = std::bit_floor(std::min(len - b, 8u));
            pieces.push_back(Piece{it->first + static_cast<int32_t>(b), size, byte_after(it->second, b)});
            b += size;
        }
        it = std::next(last);
    }
    if (pieces.size() >= best.stores) return 0;

    // Final values of the live registers the window changed. A register
    // holding another's start value is set before that one is overwritten;
    // memory bytes are reloaded last (the window never stored them).
    const uint16_t live_after = use.live_out[end - 1];
    std::vector<uint8_t> from_regs, from_mem;
    for (uint8_t r = 0; r < 10; ++r) {
        const Sym& s = best.regs[r];
        if (!(live_after & (1u << r)) || s == Sym{false, r, 0, 0}) continue;
        (s.mem ? from_mem : from_regs).push_back(r);
    }
    std::vector<uint8_t> order;
    while (!from_regs.empty()) {
        auto free = std::find_if(from_regs.begin(), from_regs.end(), [&](uint8_t r) {
            return std::none_of(from_regs.begin(), from_regs.end(),
                                [&](uint8_t o) { return o != r && best.regs[o].reg == r; });
        });
        if (free == from_regs.end()) return 0;  // a cycle of moves: leave it to the plain code
        order.push_back(*free);
        from_regs.erase(free);
    }

    const x86::Gp b = reg64(static_cast<uint8_t>(base));
    for (const Piece& p : pieces) {
        const x86::Mem to = x86::ptr(b, p.off, p.size);
        if (p.from.mem) {
            const x86::Mem from = x86::ptr(b, p.from.off, p.size);
            if (p.size >= 4) a.mov(sized(kScratch, p.size), from);
            else a.movzx(kScratch.r32(), from);
            a.mov(to, sized(kScratch, p.size));
        } else if (p.from.shift == 0) {
            a.mov(to, sized(reg64(p.from.reg), p.size));
        } else {
            a.mov(kScratch, reg64(p.from.reg));
            a.shr(kScratch, p.from.shift);
            a.mov(to, sized(kScratch, p.size));
        }
        // For narrow_stores.cc, the stores as they now are.
        if (p.off >= INT16_MIN && p.off <= INT16_MAX) {
            const Op op = p.size == 8 ? Op::StxDW : p.size == 4 ? Op::StxW : p.size == 2 ? Op::StxH : Op::StxB;
            note_store(Insn{op, static_cast<uint8_t>(base), 0, static_cast<int16_t>(p.off), 0});
        }
    }
    for (uint8_t r : order) {
        const Sym& s = best.regs[r];
        if (s.reg != r) a.mov(reg64(r), reg64(s.reg));
        if (s.shift) a.shr(reg64(r), s.shift);
    }
    for (uint8_t r : from_mem) a.movzx(reg32(r), x86::byte_ptr(b, best.regs[r].off));
    return end - pc;
}

}  // namespace xdpdk::vm::jit
