// Tristate numbers: what is known about each bit of a 64-bit value. A bit is
// known when its mask bit is clear (then `value` holds it) and unknown when
// set. The verifier tracks every scalar, and the variable part of every
// pointer offset, as a tnum next to its signed and unsigned ranges.
#pragma once

#include <cstdint>

namespace xdpdk::vm::verifier {

struct Tnum {
    uint64_t value = 0;
    uint64_t mask = ~uint64_t{0};

    static constexpr Tnum constant(uint64_t v) { return Tnum{v, 0}; }
    static constexpr Tnum unknown() { return Tnum{0, ~uint64_t{0}}; }
    // The tightest tnum holding every value in [min, max].
    static Tnum range(uint64_t min, uint64_t max);

    bool is_const() const { return mask == 0; }
    bool is_unknown() const { return mask == ~uint64_t{0}; }
    uint64_t min() const { return value; }
    uint64_t max() const { return value | mask; }
    // Every value `b` allows is allowed here.
    bool contains(const Tnum& b) const;
    bool operator==(const Tnum&) const = default;
};

Tnum tnum_add(Tnum a, Tnum b);
Tnum tnum_sub(Tnum a, Tnum b);
Tnum tnum_and(Tnum a, Tnum b);
Tnum tnum_or(Tnum a, Tnum b);
Tnum tnum_xor(Tnum a, Tnum b);
Tnum tnum_mul(Tnum a, Tnum b);
Tnum tnum_lshift(Tnum a, unsigned shift);
Tnum tnum_rshift(Tnum a, unsigned shift);
Tnum tnum_arshift(Tnum a, unsigned shift, unsigned bits);  // bits: 32 or 64
// Values both allow (the caller knows they overlap).
Tnum tnum_intersect(Tnum a, Tnum b);
// Values either allows.
Tnum tnum_union(Tnum a, Tnum b);
// The low `bytes` bytes, zero-extended.
Tnum tnum_cast(Tnum a, unsigned bytes);
Tnum tnum_subreg(Tnum a);  // low 32 bits
// Replaces the low 32 bits of `a` with `sub`'s.
Tnum tnum_with_subreg(Tnum a, Tnum sub);

}  // namespace xdpdk::vm::verifier
