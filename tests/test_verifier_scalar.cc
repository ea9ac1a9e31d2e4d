// Soundness of the verifier's value tracking: for random abstract values and
// a concrete value inside each, every ALU operation's abstract result holds
// the concrete result, and the five views stay consistent.
#include <gtest/gtest.h>

#include <random>

#include "vm/verifier/scalar.h"

using namespace xdpdk::vm;
using namespace xdpdk::vm::verifier;

namespace {

bool holds(const Scalar& s, uint64_t v) {
    const Tnum& t = s.bits;
    return (v & ~t.mask) == t.value && v >= s.umin && v <= s.umax && int64_t(v) >= s.smin && int64_t(v) <= s.smax &&
           uint32_t(v) >= s.u32min && uint32_t(v) <= s.u32max && int32_t(uint32_t(v)) >= s.s32min &&
           int32_t(uint32_t(v)) <= s.s32max;
}

// A random abstract value and a concrete member of it.
std::pair<Scalar, uint64_t> random_value(std::mt19937_64& rng) {
    const uint64_t v = [&] {
        switch (rng() % 4) {
            case 0: return rng() % 256;
            case 1: return uint64_t(-int64_t(rng() % 300));
            case 2: return rng() & 0xffffffff;
            default: return rng();
        }
    }();
    switch (rng() % 5) {
        case 0: return {Scalar::constant(v), v};
        case 1: return {Scalar::unknown(), v};
        case 2: {
            const uint64_t lo = v - (v ? rng() % (v < 1000 ? v + 1 : 1000) : 0);
            const uint64_t hi = v + (rng() % 1000);
            return {Scalar::urange(lo, hi < v ? v : hi), v};
        }
        case 3: {
            Scalar s;
            s.bits = Tnum{v & ~0xffull, 0xff};
            s.sync();
            return {s, v};
        }
        default: {
            Scalar s;
            const int64_t sv = int64_t(v);
            s.smin = sv - int64_t(rng() % 50);
            s.smax = sv + int64_t(rng() % 50);
            if (s.smin > sv) s.smin = sv;
            if (s.smax < sv) s.smax = sv;
            s.sync();
            return {s, v};
        }
    }
}

TEST(VerifierScalar, AluResultsHoldTheConcreteResult) {
    std::mt19937_64 rng(12345);
    int checked = 0;
    for (int iter = 0; iter < 20000; ++iter) {
        auto [a, x] = random_value(rng);
        auto [b, y] = random_value(rng);
        ASSERT_TRUE(holds(a, x)) << a.str() << " " << x;
        ASSERT_TRUE(holds(b, y)) << b.str() << " " << y;
        for (int i = 0; i < kNumOps; ++i) {
            const Op op = static_cast<Op>(i);
            const Kind k = op_info(op).kind;
            if (k != Kind::AluReg && k != Kind::Neg && k != Kind::MovSx && k != Kind::Endian) continue;
            const uint64_t concrete = alu_eval(op, x, y);
            const Scalar abstract = scalar_alu(op, a, b);
            ASSERT_TRUE(holds(abstract, concrete))
                << op_info(op).name << "(" << a.str() << " [" << x << "], " << b.str() << " [" << y << "]) = "
                << abstract.str() << " misses " << concrete;
            ++checked;
        }
    }
    EXPECT_GT(checked, 100000);
}

TEST(VerifierScalar, SyncNarrowsAcrossViews) {
    Scalar s;
    s.umax = 255;
    ASSERT_TRUE(s.sync());
    EXPECT_EQ(s.smin, 0);
    EXPECT_EQ(s.smax, 255);
    EXPECT_EQ(s.u32max, 255u);
    EXPECT_EQ(s.bits.mask, 0xffu);
    Scalar empty;
    empty.umin = 10;
    empty.umax = 5;
    EXPECT_FALSE(empty.sync());
}

TEST(VerifierScalar, ConstantsFoldExactly) {
    EXPECT_EQ(scalar_alu(Op::Add64Reg, Scalar::constant(40), Scalar::constant(2)).const_value(), 42u);
    EXPECT_EQ(scalar_alu(Op::Div64Reg, Scalar::constant(7), Scalar::constant(0)).const_value(), 0u);
    EXPECT_EQ(scalar_alu(Op::Mod32Reg, Scalar::constant(0x100000007ull), Scalar::constant(0)).const_value(), 7u);
    const Scalar masked = scalar_alu(Op::And64Reg, Scalar::unknown(), Scalar::constant(0xf0));
    EXPECT_EQ(masked.umax, 0xf0u);
    EXPECT_EQ(masked.bits.mask, 0xf0u);
}

}  // namespace

// Found by fuzz_load_jit: with both factors near 2^64 the exact 128-bit
// interval of their product overflowed. That is undefined behaviour, which
// only UBSan shows (fuzz/smoke.sh replays tests/fuzz_regress/load_jit/
// crash-mul-span-overflow under it); GCC's wrapped result happened to give no
// bounds. Here: whatever the interval code does, the bounds hold the product.
TEST(VerifierScalar, MultiplyOfTwoHugeRangesHoldsTheWrappedProduct) {
    const uint64_t top = ~uint64_t{0};
    for (const auto& [x, y] : {std::pair{top, top}, std::pair{top - 1, top}, std::pair{top - 1, top - 1}}) {
        const Scalar a = Scalar::urange(top - 1, top), b = Scalar::urange(top - 1, top);
        const Scalar product = scalar_alu(Op::Mul64Reg, a, b);
        EXPECT_TRUE(holds(product, x * y)) << product.str() << " misses " << x * y;
    }
}
