// Clang reads a multi-byte header field whose alignment it cannot prove one
// byte at a time and combines the bytes with shifts and ors, e.g. for a u16:
//   rW = *(u8 *)(rB +k+1); rW <<= 8; rN = *(u8 *)(rB +k); rW |= rN
// (or with the two loads first), and a u32 as two such u16s joined by
// `rW2 <<= 16; rW2 |= rW1`. x86 loads unaligned words directly: the window
// becomes one movzx/mov of the result, plus the final value of every other
// register the window wrote that is still live after it. The window holds no
// store, no jump target, and never writes rB, so the loads can be reordered.
#include <optional>

#include "emitter.h"

namespace xdpdk::vm::jit {
namespace {

struct BytePair {
    uint8_t base, wide, narrow;  // wide = u16 at base+off, narrow = u8 at base+off
    int16_t off;
};

bool is(const Insn& in, Op op) { return in.op == op; }

std::optional<BytePair> match_pair(const Insn* in) {
    // wide = u8[k+1]; wide <<= 8; narrow = u8[k]; wide |= narrow
    if (is(in[0], Op::LdxB) && is(in[1], Op::Lsh64Imm) && in[1].dst == in[0].dst && in[1].imm == 8 &&
        is(in[2], Op::LdxB) && in[2].src == in[0].src && int32_t{in[2].off} == int32_t{in[0].off} - 1 &&
        is(in[3], Op::Or64Reg) && in[3].dst == in[0].dst && in[3].src == in[2].dst) {
        const BytePair p{in[0].src, in[0].dst, in[2].dst, in[2].off};
        if (p.wide != p.narrow && p.base != p.wide && p.base != p.narrow) return p;
    }
    // narrow = u8[k]; wide = u8[k+1]; wide <<= 8; wide |= narrow
    if (is(in[0], Op::LdxB) && is(in[1], Op::LdxB) && in[1].src == in[0].src &&
        int32_t{in[1].off} == int32_t{in[0].off} + 1 && is(in[2], Op::Lsh64Imm) && in[2].dst == in[1].dst &&
        in[2].imm == 8 && is(in[3], Op::Or64Reg) && in[3].dst == in[1].dst && in[3].src == in[0].dst) {
        const BytePair p{in[0].src, in[1].dst, in[0].dst, in[0].off};
        if (p.wide != p.narrow && p.base != p.wide && p.base != p.narrow) return p;
    }
    return std::nullopt;
}

}  // namespace

size_t Emitter::emit_fused_byte_loads() {
    constexpr size_t kPair = 4, kQuad = 2 * kPair + 2;
    const size_t n = prog.insns.size();
    if (pc + kPair > n) return 0;
    const Insn* in = &prog.insns[pc];
    auto inside_is_straight = [&](size_t len) {
        for (size_t k = pc + 1; k < pc + len; ++k)
            if (block_start[k]) return false;
        return true;
    };
    const auto first = match_pair(in);
    if (!first || !inside_is_straight(kPair)) return 0;

    // Final contents of each register the window writes, in program order:
    // width (0: not written) and offset.
    struct Load {
        unsigned bytes = 0;
        int32_t off = 0;
    };
    Load final[11];
    final[first->wide] = {2, first->off};
    final[first->narrow] = {1, first->off};
    size_t covered = kPair;
    uint8_t result = first->wide;
    std::optional<BytePair> second;
    if (pc + kQuad <= n && inside_is_straight(kQuad)) second = match_pair(in + kPair);
    if (second && second->base == first->base && int32_t{second->off} == int32_t{first->off} + 2 &&
        second->wide != first->wide && second->narrow != first->wide && is(in[8], Op::Lsh64Imm) &&
        in[8].dst == second->wide && in[8].imm == 16 && is(in[9], Op::Or64Reg) && in[9].dst == second->wide &&
        in[9].src == first->wide) {
        covered = kQuad;
        result = second->wide;
        final[second->narrow] = {1, second->off};
        final[second->wide] = {4, first->off};
    }

    const uint16_t live_after = use.live_out[pc + covered - 1];
    const x86::Gp base = reg64(first->base);
    for (uint8_t r = 0; r < 11; ++r) {
        const Load& l = final[r];
        if (l.bytes == 0 || (r != result && !(live_after & (1u << r)))) continue;
        if (l.bytes == 4) a.mov(reg32(r), x86::dword_ptr(base, l.off));
        else if (l.bytes == 2) a.movzx(reg32(r), x86::word_ptr(base, l.off));
        else a.movzx(reg32(r), x86::byte_ptr(base, l.off));
    }
    return covered;
}

}  // namespace xdpdk::vm::jit
