#include "tnum.h"

#include <bit>

namespace xdpdk::vm::verifier {

Tnum Tnum::range(uint64_t min, uint64_t max) {
    const uint64_t chi = min ^ max;
    const int bits = chi ? 64 - std::countl_zero(chi) : 0;
    if (bits > 63) return unknown();
    const uint64_t delta = (uint64_t{1} << bits) - 1;
    return Tnum{min & ~delta, delta};
}

bool Tnum::contains(const Tnum& b) const {
    if (b.mask & ~mask) return false;
    return (b.value & ~mask) == value;
}

Tnum tnum_add(Tnum a, Tnum b) {
    const uint64_t sm = a.mask + b.mask;
    const uint64_t sv = a.value + b.value;
    const uint64_t sigma = sm + sv;
    const uint64_t chi = sigma ^ sv;
    const uint64_t mu = chi | a.mask | b.mask;
    return Tnum{sv & ~mu, mu};
}

Tnum tnum_sub(Tnum a, Tnum b) {
    const uint64_t dv = a.value - b.value;
    const uint64_t alpha = dv + a.mask;
    const uint64_t beta = dv - b.mask;
    const uint64_t chi = alpha ^ beta;
    const uint64_t mu = chi | a.mask | b.mask;
    return Tnum{dv & ~mu, mu};
}

Tnum tnum_and(Tnum a, Tnum b) {
    const uint64_t alpha = a.value | a.mask;
    const uint64_t beta = b.value | b.mask;
    const uint64_t v = a.value & b.value;
    return Tnum{v, alpha & beta & ~v};
}

Tnum tnum_or(Tnum a, Tnum b) {
    const uint64_t v = a.value | b.value;
    const uint64_t mu = a.mask | b.mask;
    return Tnum{v, mu & ~v};
}

Tnum tnum_xor(Tnum a, Tnum b) {
    const uint64_t v = a.value ^ b.value;
    const uint64_t mu = a.mask | b.mask;
    return Tnum{v & ~mu, mu};
}

// Long multiplication over the bits of `a`: each set bit adds a shifted `b`,
// each unknown bit adds a shifted "maybe b".
Tnum tnum_mul(Tnum a, Tnum b) {
    Tnum acc_v = Tnum::constant(a.value * b.value);
    Tnum acc_m = Tnum::constant(0);
    while (a.value || a.mask) {
        if (a.value & 1) acc_m = tnum_add(acc_m, Tnum{0, b.mask});
        else if (a.mask & 1) acc_m = tnum_add(acc_m, Tnum{0, b.value | b.mask});
        a = tnum_rshift(a, 1);
        b = tnum_lshift(b, 1);
    }
    return tnum_add(acc_v, acc_m);
}

Tnum tnum_lshift(Tnum a, unsigned shift) {
    if (shift >= 64) return Tnum::constant(0);
    return Tnum{a.value << shift, a.mask << shift};
}

Tnum tnum_rshift(Tnum a, unsigned shift) {
    if (shift >= 64) return Tnum::constant(0);
    return Tnum{a.value >> shift, a.mask >> shift};
}

Tnum tnum_arshift(Tnum a, unsigned shift, unsigned bits) {
    if (bits == 32) {
        const auto v = static_cast<uint32_t>(static_cast<int32_t>(static_cast<uint32_t>(a.value)) >> (shift & 31));
        const auto m = static_cast<uint32_t>(static_cast<int32_t>(static_cast<uint32_t>(a.mask)) >> (shift & 31));
        return Tnum{v, m};
    }
    return Tnum{static_cast<uint64_t>(static_cast<int64_t>(a.value) >> (shift & 63)),
                static_cast<uint64_t>(static_cast<int64_t>(a.mask) >> (shift & 63))};
}

Tnum tnum_intersect(Tnum a, Tnum b) {
    const uint64_t v = a.value | b.value;
    const uint64_t mu = a.mask & b.mask;
    return Tnum{v & ~mu, mu};
}

Tnum tnum_union(Tnum a, Tnum b) {
    const uint64_t mu = a.mask | b.mask | (a.value ^ b.value);
    return Tnum{a.value & ~mu, mu};
}

Tnum tnum_cast(Tnum a, unsigned bytes) {
    if (bytes >= 8) return a;
    const uint64_t keep = (uint64_t{1} << (bytes * 8)) - 1;
    return Tnum{a.value & keep, a.mask & keep};
}

Tnum tnum_subreg(Tnum a) { return tnum_cast(a, 4); }

Tnum tnum_with_subreg(Tnum a, Tnum sub) {
    const uint64_t hi = ~uint64_t{0xffffffff};
    return Tnum{(a.value & hi) | (sub.value & 0xffffffff), (a.mask & hi) | (sub.mask & 0xffffffff)};
}

}  // namespace xdpdk::vm::verifier
