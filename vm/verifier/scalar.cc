#include "scalar.h"

#include <algorithm>
#include <cstdio>

namespace xdpdk::vm::verifier {
namespace {

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
constexpr int64_t kS64Min = std::numeric_limits<int64_t>::min(), kS64Max = std::numeric_limits<int64_t>::max();
constexpr uint32_t kU32Max = std::numeric_limits<uint32_t>::max();
constexpr int32_t kS32Min = std::numeric_limits<int32_t>::min(), kS32Max = std::numeric_limits<int32_t>::max();

using i128 = __int128;

// An interval computed exactly, before it is fitted into a register view.
struct Span {
    i128 lo, hi;
};

Span span_add(Span a, Span b) { return {a.lo + b.lo, a.hi + b.hi}; }
Span span_sub(Span a, Span b) { return {a.lo - b.hi, a.hi - b.lo}; }
// Inputs are at most 64 bits wide (magnitudes up to 2^64). A corner product
// fits in 128 signed bits when one side stays below 2^63; when both reach it,
// some corner is at least 2^126, so no 64- or 32-bit view could hold the
// result anyway, and it is given up on.
bool span_mul(Span a, Span b, Span* out) {
    const i128 lim = i128{1} << 64, half = i128{1} << 63;
    const auto magnitude = [](Span s) { return std::max(s.lo < 0 ? -s.lo : s.lo, s.hi < 0 ? -s.hi : s.hi); };
    const i128 ma = magnitude(a), mb = magnitude(b);
    if (ma > lim || mb > lim || (ma >= half && mb >= half)) return false;
    const i128 c[4] = {a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi};
    *out = {*std::min_element(c, c + 4), *std::max_element(c, c + 4)};
    return true;
}

Span uspan(uint64_t lo, uint64_t hi) { return {i128(lo), i128(hi)}; }
Span sspan(int64_t lo, int64_t hi) { return {i128(lo), i128(hi)}; }

// Views the result may take; a span that does not fit leaves the view unknown.
void fit_u64(Scalar& r, Span s) {
    if (s.lo >= 0 && s.hi <= i128(kU64Max)) r.umin = uint64_t(s.lo), r.umax = uint64_t(s.hi);
}
void fit_s64(Scalar& r, Span s) {
    if (s.lo >= kS64Min && s.hi <= kS64Max) r.smin = int64_t(s.lo), r.smax = int64_t(s.hi);
}
void fit_u32(Scalar& r, Span s) {
    if (s.lo >= 0 && s.hi <= kU32Max) r.u32min = uint32_t(s.lo), r.u32max = uint32_t(s.hi);
}
void fit_s32(Scalar& r, Span s) {
    if (s.lo >= kS32Min && s.hi <= kS32Max) r.s32min = int32_t(s.lo), r.s32max = int32_t(s.hi);
}

Span u64_of(const Scalar& x) { return uspan(x.umin, x.umax); }
Span s64_of(const Scalar& x) { return sspan(x.smin, x.smax); }
Span u32_of(const Scalar& x) { return uspan(x.u32min, x.u32max); }
Span s32_of(const Scalar& x) { return sspan(x.s32min, x.s32max); }

// A 32-bit result, zero-extended into the register.
Scalar zext_result(const Scalar& r32) {
    Scalar r;
    r.bits = tnum_subreg(r32.bits);
    r.u32min = r32.u32min, r.u32max = r32.u32max;
    r.s32min = r32.s32min, r.s32max = r32.s32max;
    r.umin = 0, r.umax = kU32Max;
    r.smin = 0, r.smax = kU32Max;
    r.sync();
    return r;
}

Scalar finish(Scalar r) {
    r.sync();
    return r;
}

// The ALU operation family (Add, Sub, ...) of a FOUR-group op.
enum class Family { Add, Sub, Mul, Div, Or, And, Lsh, Rsh, Mod, Xor, Mov, Arsh, Sdiv, Smod, None };

Family family_of(Op op) {
    const int i = static_cast<int>(op);
    const int first = static_cast<int>(Op::Add64Imm);
    const int last = static_cast<int>(Op::Smod32Reg);
    if (i < first || i > last) return Family::None;
    return static_cast<Family>((i - first) / 4);
}

Scalar shift_const(Family f, const Scalar& a, unsigned k, bool is64) {
    Scalar r;
    if (is64) {
        switch (f) {
            case Family::Lsh:
                r.bits = tnum_lshift(a.bits, k);
                if (k == 0) return a;
                if (a.umax <= (kU64Max >> k)) r.umin = a.umin << k, r.umax = a.umax << k;
                if (a.smin >= 0 && a.smax <= (kS64Max >> k))
                    r.smin = int64_t(uint64_t(a.smin) << k), r.smax = int64_t(uint64_t(a.smax) << k);
                break;
            case Family::Rsh:
                r.bits = tnum_rshift(a.bits, k);
                r.umin = a.umin >> k, r.umax = a.umax >> k;
                break;
            default:  // Arsh
                r.bits = tnum_arshift(a.bits, k, 64);
                r.smin = a.smin >> k, r.smax = a.smax >> k;
                break;
        }
        return finish(r);
    }
    switch (f) {
        case Family::Lsh:
            r.bits = tnum_lshift(tnum_subreg(a.bits), k);
            if (k && a.u32max <= (kU32Max >> k)) r.u32min = a.u32min << k, r.u32max = a.u32max << k;
            if (!k) r.u32min = a.u32min, r.u32max = a.u32max, r.s32min = a.s32min, r.s32max = a.s32max;
            break;
        case Family::Rsh:
            r.bits = tnum_rshift(tnum_subreg(a.bits), k);
            r.u32min = a.u32min >> k, r.u32max = a.u32max >> k;
            break;
        default:
            r.bits = tnum_arshift(tnum_subreg(a.bits), k, 32);
            r.s32min = a.s32min >> k, r.s32max = a.s32max >> k;
            break;
    }
    return zext_result(r);
}

// Shift by a register whose value lies in [lo, hi] (< width).
Scalar shift_var(Family f, const Scalar& a, uint64_t lo, uint64_t hi, bool is64) {
    Scalar r;
    if (is64) {
        switch (f) {
            case Family::Lsh:
                if (a.umax <= (kU64Max >> hi)) r.umin = a.umin << lo, r.umax = a.umax << hi;
                r.bits = Tnum{0, ~uint64_t{0} << lo};
                break;
            case Family::Rsh: r.umin = a.umin >> hi, r.umax = a.umax >> lo; break;
            default:
                r.smin = std::min(a.smin >> lo, a.smin >> hi);
                r.smax = std::max(a.smax >> lo, a.smax >> hi);
                break;
        }
        return finish(r);
    }
    switch (f) {
        case Family::Lsh:
            if (a.u32max <= (kU32Max >> hi)) r.u32min = a.u32min << lo, r.u32max = a.u32max << hi;
            r.bits = Tnum{0, uint64_t{0xffffffff} << lo};
            break;
        case Family::Rsh: r.u32min = a.u32min >> hi, r.u32max = a.u32max >> lo; break;
        default:
            r.s32min = std::min(a.s32min >> lo, a.s32min >> hi);
            r.s32max = std::max(a.s32max >> lo, a.s32max >> hi);
            break;
    }
    return zext_result(r);
}

Scalar bitwise(Family f, const Scalar& a, const Scalar& b, bool is64) {
    Scalar r;
    Tnum t = f == Family::And ? tnum_and(a.bits, b.bits) : f == Family::Or ? tnum_or(a.bits, b.bits)
                                                                           : tnum_xor(a.bits, b.bits);
    if (is64) {
        r.bits = t;
        if (f == Family::And) r.umin = t.min(), r.umax = std::min(a.umax, b.umax);
        if (f == Family::Or) r.umin = std::max(a.umin, b.umin), r.umax = t.max();
        if (a.smin >= 0 && b.smin >= 0) r.smin = 0;
        if (f == Family::And && (a.smin >= 0 || b.smin >= 0)) r.smin = 0;
        return finish(r);
    }
    t = tnum_subreg(t);
    r.bits = t;
    if (f == Family::And) r.u32min = uint32_t(t.min()), r.u32max = std::min(a.u32max, b.u32max);
    if (f == Family::Or) r.u32min = std::max(a.u32min, b.u32min), r.u32max = uint32_t(t.max());
    if (a.s32min >= 0 && b.s32min >= 0) r.s32min = 0;
    if (f == Family::And && (a.s32min >= 0 || b.s32min >= 0)) r.s32min = 0;
    return zext_result(r);
}

Scalar arith(Family f, const Scalar& a, const Scalar& b, bool is64) {
    Scalar r;
    Span s;
    switch (f) {
        case Family::Add:
            r.bits = tnum_add(a.bits, b.bits);
            if (is64) fit_u64(r, span_add(u64_of(a), u64_of(b))), fit_s64(r, span_add(s64_of(a), s64_of(b)));
            fit_u32(r, span_add(u32_of(a), u32_of(b)));
            fit_s32(r, span_add(s32_of(a), s32_of(b)));
            break;
        case Family::Sub:
            r.bits = tnum_sub(a.bits, b.bits);
            if (is64) fit_u64(r, span_sub(u64_of(a), u64_of(b))), fit_s64(r, span_sub(s64_of(a), s64_of(b)));
            fit_u32(r, span_sub(u32_of(a), u32_of(b)));
            fit_s32(r, span_sub(s32_of(a), s32_of(b)));
            break;
        default:  // Mul
            r.bits = tnum_mul(a.bits, b.bits);
            if (is64) {
                if (span_mul(u64_of(a), u64_of(b), &s)) fit_u64(r, s);
                if (span_mul(s64_of(a), s64_of(b), &s)) fit_s64(r, s);
            }
            if (span_mul(u32_of(a), u32_of(b), &s)) fit_u32(r, s);
            if (span_mul(s32_of(a), s32_of(b), &s)) fit_s32(r, s);
            break;
    }
    if (is64) return finish(r);
    r.bits = tnum_subreg(r.bits);
    return zext_result(r);
}

Scalar divmod(Family f, const Scalar& a, const Scalar& b, bool is64) {
    Scalar r;
    const bool sign = f == Family::Sdiv || f == Family::Smod;
    const uint64_t amax = is64 ? a.umax : a.u32max, amin = is64 ? a.umin : a.u32min;
    const uint64_t bmax = is64 ? b.umax : b.u32max, bmin = is64 ? b.umin : b.u32min;
    if (!sign) {
        uint64_t lo = 0, hi = amax;
        if (f == Family::Div && bmin > 0) lo = amin / bmax, hi = amax / bmin;
        if (f == Family::Mod) {
            if (bmin > amax) return is64 ? a : a.zext32();  // dividend always smaller
            if (bmin > 0) hi = std::min(amax, bmax - 1);
        }
        if (is64) {
            r.umin = lo, r.umax = hi;
            return finish(r);
        }
        r.u32min = uint32_t(lo), r.u32max = uint32_t(hi);
    }
    return is64 ? finish(r) : zext_result(r);
}

Scalar sign_extend(const Scalar& src, unsigned bytes, bool is64) {
    const int64_t lim = int64_t{1} << (bytes * 8 - 1);
    if (src.smin >= -lim && src.smax < lim) return is64 ? src : src.zext32();
    const Scalar wide = Scalar::of_signed_size(bytes);
    return is64 ? wide : wide.zext32();
}

Scalar byte_swap(Op op, const Scalar& a) {
    const unsigned bytes = op_info(op).size;
    const bool truncate_only = op == Op::Le16 || op == Op::Le32 || op == Op::Le64;
    if (truncate_only) {
        if (bytes == 8) return a;
        if (a.umax < (uint64_t{1} << (bytes * 8))) return a;
        Scalar r;
        r.bits = tnum_cast(a.bits, bytes);
        return finish(r);
    }
    return Scalar::of_size(bytes);
}

}  // namespace

Scalar Scalar::constant(uint64_t v) {
    Scalar s;
    s.bits = Tnum::constant(v);
    s.umin = s.umax = v;
    s.smin = s.smax = int64_t(v);
    s.u32min = s.u32max = uint32_t(v);
    s.s32min = s.s32max = int32_t(uint32_t(v));
    return s;
}

Scalar Scalar::urange(uint64_t min, uint64_t max) {
    Scalar s;
    s.umin = min, s.umax = max;
    s.sync();
    return s;
}

Scalar Scalar::of_size(unsigned bytes) {
    if (bytes >= 8) return unknown();
    return urange(0, (uint64_t{1} << (bytes * 8)) - 1);
}

Scalar Scalar::of_signed_size(unsigned bytes) {
    if (bytes >= 8) return unknown();
    Scalar s;
    const int64_t lim = int64_t{1} << (bytes * 8 - 1);
    s.smin = -lim, s.smax = lim - 1;
    if (bytes < 4) s.s32min = int32_t(-lim), s.s32max = int32_t(lim - 1);
    s.sync();
    return s;
}

bool Scalar::is_unknown() const { return *this == Scalar{}; }

Scalar Scalar::zext32() const { return zext_result(*this); }

bool Scalar::sync() {
    for (int round = 0; round < 4; ++round) {
        const Scalar before = *this;
        // Known bits bound every range.
        umin = std::max(umin, bits.min());
        umax = std::min(umax, bits.max());
        smin = std::max(smin, int64_t(bits.value | (bits.mask & (uint64_t{1} << 63))));
        smax = std::min(smax, int64_t(bits.value | (bits.mask & ~(uint64_t{1} << 63))));
        const Tnum t32 = tnum_subreg(bits);
        u32min = std::max(u32min, uint32_t(t32.min()));
        u32max = std::min(u32max, uint32_t(t32.max()));
        s32min = std::max(s32min, int32_t(uint32_t(t32.value | (t32.mask & 0x80000000u))));
        s32max = std::min(s32max, int32_t(uint32_t(t32.value | (t32.mask & 0x7fffffffu))));
        // Signed and unsigned agree where a range does not cross the sign.
        if ((u32min >> 31) == (u32max >> 31))
            s32min = std::max(s32min, int32_t(u32min)), s32max = std::min(s32max, int32_t(u32max));
        if (s32min >= 0 || s32max < 0)
            u32min = std::max(u32min, uint32_t(s32min)), u32max = std::min(u32max, uint32_t(s32max));
        if ((umin >> 63) == (umax >> 63))
            smin = std::max(smin, int64_t(umin)), smax = std::min(smax, int64_t(umax));
        if (smin >= 0 || smax < 0)
            umin = std::max(umin, uint64_t(smin)), umax = std::min(umax, uint64_t(smax));
        // The whole register within one 2^32 block: its low half is a range too.
        if ((umin >> 32) == (umax >> 32)) {
            u32min = std::max(u32min, uint32_t(umin));
            u32max = std::min(u32max, uint32_t(umax));
            const uint64_t hi = umin & ~uint64_t{0xffffffff};
            umin = std::max(umin, hi | u32min);
            umax = std::min(umax, hi | u32max);
        }
        if ((smin >> 32) == (smax >> 32)) {
            u32min = std::max(u32min, uint32_t(uint64_t(smin)));
            u32max = std::min(u32max, uint32_t(uint64_t(smax)));
            const uint64_t hi = uint64_t(smin) & ~uint64_t{0xffffffff};
            smin = std::max(smin, int64_t(hi | u32min));
            smax = std::min(smax, int64_t(hi | u32max));
        }
        if (smin >= kS32Min && smax <= kS32Max)
            s32min = std::max(s32min, int32_t(smin)), s32max = std::min(s32max, int32_t(smax));
        if (umin > umax || smin > smax || u32min > u32max || s32min > s32max) return false;
        // Ranges bound the known bits.
        const Tnum from_range = Tnum::range(umin, umax);
        if ((bits.value ^ from_range.value) & ~bits.mask & ~from_range.mask) return false;
        bits = tnum_intersect(bits, from_range);
        const Tnum sub_range = Tnum::range(u32min, u32max);
        const Tnum sub = tnum_subreg(bits);
        if ((sub.value ^ sub_range.value) & ~sub.mask & ~sub_range.mask) return false;
        bits = tnum_with_subreg(bits, tnum_intersect(sub, sub_range));
        if (*this == before) break;
    }
    return true;
}

bool Scalar::contains(const Scalar& b) const {
    return bits.contains(b.bits) && umin <= b.umin && b.umax <= umax && smin <= b.smin && b.smax <= smax &&
           u32min <= b.u32min && b.u32max <= u32max && s32min <= b.s32min && b.s32max <= s32max;
}

std::string Scalar::str() const {
    char buf[256];
    if (is_const()) {
        const int64_t v = int64_t(bits.value);
        if (v >= -4096 && v <= 4096) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
        else std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(bits.value));
        return buf;
    }
    std::string out;
    auto add = [&](const char* name, const char* fmt, auto v) {
        std::snprintf(buf, sizeof buf, fmt, v);
        out += out.empty() ? "" : ",";
        out += name;
        out += "=";
        out += buf;
    };
    const Scalar full;
    if (smin != full.smin && smin != int64_t(umin)) add("smin", "%lld", static_cast<long long>(smin));
    if (smax != full.smax && smax != int64_t(umax)) add("smax", "%lld", static_cast<long long>(smax));
    if (umin != full.umin) add("umin", "%llu", static_cast<unsigned long long>(umin));
    if (umax != full.umax) add("umax", "%llu", static_cast<unsigned long long>(umax));
    if (umax > kU32Max) {
        if (s32min != full.s32min && s32min != int32_t(u32min)) add("smin32", "%d", s32min);
        if (s32max != full.s32max && s32max != int32_t(u32max)) add("smax32", "%d", s32max);
        if (u32min != full.u32min) add("umin32", "%u", u32min);
        if (u32max != full.u32max) add("umax32", "%u", u32max);
    }
    if (!bits.is_unknown() && bits != Tnum::range(umin, umax)) {
        std::snprintf(buf, sizeof buf, "(%#llx; %#llx)", static_cast<unsigned long long>(bits.value),
                      static_cast<unsigned long long>(bits.mask));
        out += out.empty() ? "" : ",";
        out += "var_off=";
        out += buf;
    }
    return out;
}

uint64_t alu_eval(Op op, uint64_t a, uint64_t b) {
    const bool is64 = op_info(op).is64;
    switch (op) {
        case Op::Neg64: return 0 - a;
        case Op::Neg32: return uint32_t(0u - uint32_t(a));
        case Op::Movsx64x8: return uint64_t(int64_t(int8_t(b)));
        case Op::Movsx64x16: return uint64_t(int64_t(int16_t(b)));
        case Op::Movsx64x32: return uint64_t(int64_t(int32_t(b)));
        case Op::Movsx32x8: return uint32_t(int32_t(int8_t(b)));
        case Op::Movsx32x16: return uint32_t(int32_t(int16_t(b)));
        case Op::Le16: return uint16_t(a);
        case Op::Le32: return uint32_t(a);
        case Op::Le64: return a;
        case Op::Be16: case Op::Bswap16: return __builtin_bswap16(uint16_t(a));
        case Op::Be32: case Op::Bswap32: return __builtin_bswap32(uint32_t(a));
        case Op::Be64: case Op::Bswap64: return __builtin_bswap64(a);
        default: break;
    }
    if (!is64) {
        const uint32_t x = uint32_t(a), y = uint32_t(b);
        const int32_t sx = int32_t(x), sy = int32_t(y);
        switch (family_of(op)) {
            case Family::Add: return uint32_t(x + y);
            case Family::Sub: return uint32_t(x - y);
            case Family::Mul: return uint32_t(x * y);
            case Family::Div: return y ? x / y : 0;
            case Family::Or: return x | y;
            case Family::And: return x & y;
            case Family::Lsh: return uint32_t(x << (y & 31));
            case Family::Rsh: return x >> (y & 31);
            case Family::Mod: return y ? x % y : x;
            case Family::Xor: return x ^ y;
            case Family::Mov: return y;
            case Family::Arsh: return uint32_t(sx >> (y & 31));
            case Family::Sdiv: return sy == 0 ? 0 : sy == -1 ? 0u - x : uint32_t(sx / sy);
            case Family::Smod: return sy == 0 ? x : sy == -1 ? 0 : uint32_t(sx % sy);
            case Family::None: break;
        }
        return 0;
    }
    const int64_t sa = int64_t(a), sb = int64_t(b);
    switch (family_of(op)) {
        case Family::Add: return a + b;
        case Family::Sub: return a - b;
        case Family::Mul: return a * b;
        case Family::Div: return b ? a / b : 0;
        case Family::Or: return a | b;
        case Family::And: return a & b;
        case Family::Lsh: return a << (b & 63);
        case Family::Rsh: return a >> (b & 63);
        case Family::Mod: return b ? a % b : a;
        case Family::Xor: return a ^ b;
        case Family::Mov: return b;
        case Family::Arsh: return uint64_t(sa >> (b & 63));
        case Family::Sdiv: return sb == 0 ? 0 : sb == -1 ? 0 - a : uint64_t(sa / sb);
        case Family::Smod: return sb == 0 ? a : sb == -1 ? 0 : uint64_t(sa % sb);
        case Family::None: break;
    }
    return 0;
}

Scalar scalar_alu(Op op, const Scalar& dst, const Scalar& src) {
    const OpInfo& info = op_info(op);
    const bool is64 = info.is64;
    const Kind kind = info.kind;
    if (kind == Kind::MovSx) {
        if (src.is_const()) return Scalar::constant(alu_eval(op, 0, src.const_value()));
        return sign_extend(src, info.size, is64);
    }
    if (kind == Kind::Neg || kind == Kind::Endian) {
        if (dst.is_const()) return Scalar::constant(alu_eval(op, dst.const_value(), 0));
        if (kind == Kind::Endian) return byte_swap(op, dst);
        Scalar r;
        if (is64) {
            r.bits = tnum_sub(Tnum::constant(0), dst.bits);
            if (dst.smin != kS64Min) r.smin = -dst.smax, r.smax = -dst.smin;
            return finish(r);
        }
        r.bits = tnum_subreg(tnum_sub(Tnum::constant(0), dst.bits));
        if (dst.s32min != kS32Min) r.s32min = -dst.s32max, r.s32max = -dst.s32min;
        return zext_result(r);
    }
    const Family f = family_of(op);
    if (f == Family::Mov) return is64 ? src : src.zext32();
    const bool src_const = is64 ? src.is_const() : src.subreg_is_const();
    const bool dst_const = is64 ? dst.is_const() : dst.subreg_is_const();
    if (src_const && dst_const) return Scalar::constant(alu_eval(op, dst.const_value(), src.const_value()));
    const unsigned width = is64 ? 64 : 32;
    switch (f) {
        case Family::Add: case Family::Sub: case Family::Mul: return arith(f, dst, src, is64);
        case Family::And: case Family::Or: case Family::Xor: return bitwise(f, dst, src, is64);
        case Family::Lsh: case Family::Rsh: case Family::Arsh: {
            if (src_const) return shift_const(f, dst, unsigned(src.const_value() & (width - 1)), is64);
            const uint64_t lo = is64 ? src.umin : src.u32min, hi = is64 ? src.umax : src.u32max;
            if (hi < width) return shift_var(f, dst, lo, hi, is64);
            return is64 ? Scalar::unknown() : Scalar::unknown().zext32();
        }
        case Family::Div: case Family::Mod: case Family::Sdiv: case Family::Smod:
            return divmod(f, dst, src, is64);
        default: break;
    }
    return is64 ? Scalar::unknown() : Scalar::unknown().zext32();
}

}  // namespace xdpdk::vm::verifier
