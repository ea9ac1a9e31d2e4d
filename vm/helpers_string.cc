// bpf_strtol, bpf_strtoul and bpf_strncmp as kernel/bpf/helpers.c has them
// (the parsing is lib/kstrtox.c's, which the kernel's helpers call).
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "helper_impl.h"

namespace xdpdk::vm {
namespace {

constexpr uint64_t kBaseMask = 0x1f;            // BPF_STRTOX_BASE_MASK
constexpr uint32_t kOverflow = 1u << 31;        // KSTRTOX_OVERFLOW

// The kernel's isspace: the ASCII spaces and Latin-1's no-break space.
bool kernel_isspace(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0; }
uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }
bool is_xdigit(uint8_t c) { return (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'f'); }

// _parse_integer_fixup_radix.
const char* fixup_radix(const char* s, unsigned* base) {
    if (*base == 0) {
        if (s[0] == '0') *base = lower(uint8_t(s[1])) == 'x' && is_xdigit(uint8_t(s[2])) ? 16 : 8;
        else *base = 10;
    }
    if (*base == 16 && s[0] == '0' && lower(uint8_t(s[1])) == 'x') s += 2;
    return s;
}

// _parse_integer: digits consumed, with kOverflow set on overflow.
uint32_t parse_integer(const char* s, unsigned base, uint64_t* out) {
    uint64_t res = 0;
    uint32_t rv = 0;
    for (;; ++s) {
        const uint8_t c = uint8_t(*s), lc = lower(c);
        unsigned val;
        if (c >= '0' && c <= '9') val = c - '0';
        else if (lc >= 'a' && lc <= 'f') val = lc - 'a' + 10;
        else break;
        if (val >= base) break;
        if (res & (~0ull << 60))
            if (res > (UINT64_MAX - val) / base) rv |= kOverflow;
        res = res * base + val;
        ++rv;
    }
    *out = res;
    return rv;
}

// __bpf_strtoull: bytes consumed, or a negative errno.
int64_t strtoull(const char* buf, uint64_t len, uint64_t flags, uint64_t* res, bool* negative) {
    unsigned base = static_cast<unsigned>(flags & kBaseMask);
    if (base != 0 && base != 8 && base != 10 && base != 16) return -EINVAL;
    if (flags & ~kBaseMask) return -EINVAL;
    const char* cur = buf;
    while (cur < buf + len && kernel_isspace(uint8_t(*cur))) ++cur;
    *negative = cur < buf + len && *cur == '-';
    if (*negative) ++cur;
    uint64_t consumed = static_cast<uint64_t>(cur - buf);
    uint64_t left = len - consumed;
    if (left == 0) return -EINVAL;
    char str[64];
    left = std::min<uint64_t>(left, sizeof str - 1);
    std::memcpy(str, cur, left);
    str[left] = '\0';
    const char* digits = fixup_radix(str, &base);
    const uint32_t n = parse_integer(digits, base, res);
    if (n & kOverflow) return -ERANGE;
    if (n == 0) return -EINVAL;
    return static_cast<int64_t>(consumed + static_cast<uint64_t>(digits + n - str));
}

}  // namespace

// bpf_strtol(buf, buf_len, flags, long *res): *res is 0 on error.
XDPDK_HELPER(helper_strtol) {
    (void)r5, (void)ex;
    auto* res = reinterpret_cast<int64_t*>(r4);
    *res = 0;
    uint64_t value;
    bool negative;
    const int64_t n = strtoull(reinterpret_cast<const char*>(r1), r2, r3, &value, &negative);
    if (n < 0) return static_cast<uint64_t>(n);
    if (negative) {
        if (static_cast<int64_t>(0 - value) > 0) return static_cast<uint64_t>(-ERANGE);
        *res = static_cast<int64_t>(0 - value);
    } else {
        if (static_cast<int64_t>(value) < 0) return static_cast<uint64_t>(-ERANGE);
        *res = static_cast<int64_t>(value);
    }
    return static_cast<uint64_t>(n);
}

// bpf_strtoul(buf, buf_len, flags, unsigned long *res): a '-' is -EINVAL.
XDPDK_HELPER(helper_strtoul) {
    (void)r5, (void)ex;
    auto* res = reinterpret_cast<uint64_t*>(r4);
    *res = 0;
    uint64_t value;
    bool negative;
    const int64_t n = strtoull(reinterpret_cast<const char*>(r1), r2, r3, &value, &negative);
    if (n < 0) return static_cast<uint64_t>(n);
    if (negative) return static_cast<uint64_t>(-EINVAL);
    *res = value;
    return static_cast<uint64_t>(n);
}

// bpf_strncmp(s1, s1_sz, s2): the kernel's strncmp, -1, 0 or 1.
XDPDK_HELPER(helper_strncmp) {
    (void)r4, (void)r5, (void)ex;
    const auto* a = reinterpret_cast<const uint8_t*>(r1);
    const auto* b = reinterpret_cast<const uint8_t*>(r3);
    for (uint64_t i = 0; i < r2; ++i) {
        if (a[i] != b[i]) return a[i] < b[i] ? static_cast<uint64_t>(-1) : 1;
        if (a[i] == 0) break;
    }
    return 0;
}

}  // namespace xdpdk::vm
