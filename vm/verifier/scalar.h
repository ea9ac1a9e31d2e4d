// What the verifier knows about a 64-bit value: its known bits (tnum) and its
// unsigned and signed ranges, both for the whole register and for its low 32
// bits. Every operation keeps the five views consistent (sync()), so a fact
// learned in one view (a signed compare, a mask) narrows the others.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "../opcodes.h"
#include "tnum.h"

namespace xdpdk::vm::verifier {

struct Scalar {
    Tnum bits = Tnum::unknown();
    uint64_t umin = 0, umax = std::numeric_limits<uint64_t>::max();
    int64_t smin = std::numeric_limits<int64_t>::min(), smax = std::numeric_limits<int64_t>::max();
    uint32_t u32min = 0, u32max = std::numeric_limits<uint32_t>::max();
    int32_t s32min = std::numeric_limits<int32_t>::min(), s32max = std::numeric_limits<int32_t>::max();

    static Scalar unknown() { return Scalar{}; }
    static Scalar constant(uint64_t v);
    // A value zero-extended from `bytes` bytes (a load of that size).
    static Scalar of_size(unsigned bytes);
    // A value sign-extended from `bytes` bytes.
    static Scalar of_signed_size(unsigned bytes);
    static Scalar urange(uint64_t min, uint64_t max);

    bool is_const() const { return bits.is_const(); }
    uint64_t const_value() const { return bits.value; }
    bool is_zero() const { return is_const() && bits.value == 0; }
    bool is_unknown() const;
    bool subreg_is_const() const { return (bits.mask & 0xffffffff) == 0; }

    // Narrows every view from the others; false when no value is left (the
    // path that produced it cannot happen).
    bool sync();
    // Every value `b` allows is allowed here (state pruning).
    bool contains(const Scalar& b) const;
    // The low 32 bits, zero-extended, as a new 64-bit value (ALU32 results).
    Scalar zext32() const;
    bool operator==(const Scalar&) const = default;

    // "42", "[0,255]", "scalar(smin=-1,umax=...,var_off=...)" style text.
    std::string str() const;
};

// The result of ALU operation `op` (an AluImm/AluReg/Neg/MovSx/Endian Op) on
// dst and src. `rfc9669` selects the raw-program semantics for shifts by an
// out-of-range constant (masked); both modes define division by zero.
Scalar scalar_alu(Op op, const Scalar& dst, const Scalar& src);

// Concrete evaluation of one ALU operation (constant folding), as the
// engines compute it (RFC 9669).
uint64_t alu_eval(Op op, uint64_t dst, uint64_t src);

}  // namespace xdpdk::vm::verifier
