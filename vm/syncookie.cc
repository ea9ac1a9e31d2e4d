#include "syncookie.h"

#include <sodium.h>

#include <cstring>
#include <iterator>

#include "helper_impl.h"

namespace xdpdk::vm::syncookie {
namespace {

constexpr uint32_t kCookieBits = 24;
constexpr uint32_t kCookieMask = (1u << kCookieBits) - 1;
// The MSS values a cookie can carry, by index (sorted, as the kernel's).
constexpr uint16_t kMssTableV4[] = {536, 1300, 1440, 1460};
constexpr uint16_t kMssTableV6[] = {1280 - 60, 1480 - 60, 1500 - 60, 9000 - 60};

// Two SipHash keys per family, as the kernel's syncookie_secret[2] and
// syncookie6_secret[2]; libsodium's crypto_shorthash_siphash24 is the
// kernel's siphash() (SipHash-2-4, 128-bit key, 64-bit result).
struct Secrets {
    uint8_t v4[2][crypto_shorthash_siphash24_KEYBYTES];
    uint8_t v6[2][crypto_shorthash_siphash24_KEYBYTES];
    Secrets() {
        if (sodium_init() < 0) std::abort();
        randombytes_buf(v4, sizeof v4);
        randombytes_buf(v6, sizeof v6);
    }
};

const Secrets& secrets() {
    static const Secrets s;
    return s;
}

uint32_t siphash32(const uint8_t* msg, size_t len, const uint8_t* key) {
    uint8_t out[crypto_shorthash_siphash24_BYTES];
    crypto_shorthash_siphash24(out, msg, len, key);
    uint64_t h;
    std::memcpy(&h, out, sizeof h);  // little-endian, as the kernel's u64 on x86-64
    return static_cast<uint32_t>(h);
}

uint32_t load32(const uint8_t* p) {  // as the CPU reads it (a __be32 field, unconverted)
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
uint16_t load16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}
uint32_t be32(const uint8_t* p) { return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]; }

// The addresses and ports of a connection, hashed as each family's cookie_hash.
struct Flow {
    bool v6;
    const uint8_t* ip;  // iphdr or ipv6hdr
    const uint8_t* th;
};

// v4: siphash_4u32(saddr, daddr, sport << 16 | dport, count); v6: siphash
// over {saddr, daddr, count, sport, dport} (40 bytes).
uint32_t cookie_hash(const Flow& f, uint32_t count, int c) {
    const uint16_t sport = load16(f.th), dport = load16(f.th + 2);
    if (!f.v6) {
        const uint32_t words[4] = {load32(f.ip + 12), load32(f.ip + 16), uint32_t{sport} << 16 | dport, count};
        return siphash32(reinterpret_cast<const uint8_t*>(words), sizeof words, secrets().v4[c]);
    }
    uint8_t combined[40];
    std::memcpy(combined, f.ip + 8, 32);
    std::memcpy(combined + 32, &count, 4);
    std::memcpy(combined + 36, &sport, 2);
    std::memcpy(combined + 38, &dport, 2);
    return siphash32(combined, sizeof combined, secrets().v6[c]);
}

uint32_t secure_tcp_syn_cookie(const Flow& f, uint32_t sseq, uint32_t data, uint32_t count) {
    return cookie_hash(f, 0, 0) + sseq + (count << kCookieBits) + ((cookie_hash(f, count, 1) + data) & kCookieMask);
}

// The data (mss index) a cookie carries, or UINT32_MAX when it is too old.
uint32_t check_tcp_syn_cookie(const Flow& f, uint32_t cookie, uint32_t sseq, uint32_t count) {
    cookie -= cookie_hash(f, 0, 0) + sseq;
    const uint32_t diff = (count - (cookie >> kCookieBits)) & (UINT32_MAX >> kCookieBits);
    if (diff >= kMaxAge) return UINT32_MAX;
    return (cookie - cookie_hash(f, count - diff, 1)) & kCookieMask;
}

template <size_t N>
uint32_t init_sequence(const Flow& f, const uint16_t (&table)[N], uint16_t* mss, uint32_t count) {
    uint32_t index = N - 1;
    for (; index; --index)
        if (*mss >= table[index]) break;
    *mss = table[index];
    return secure_tcp_syn_cookie(f, be32(f.th + 4), index, count);
}

template <size_t N>
uint16_t check(const Flow& f, const uint16_t (&table)[N], uint32_t count) {
    const uint32_t cookie = be32(f.th + 8) - 1;
    const uint32_t index = check_tcp_syn_cookie(f, cookie, be32(f.th + 4) - 1, count);
    return index < N ? table[index] : 0;
}

}  // namespace

uint32_t cookie_time() {
    return static_cast<uint32_t>(jiffies64_now() / (60 * jiffies_hz()));
}

uint16_t parse_mss_option(const uint8_t* th) {
    constexpr uint8_t kEol = 0, kNop = 1, kMss = 2, kMssLen = 4;
    const uint8_t* p = th + 20;
    int length = (th[12] >> 4) * 4 - 20;
    uint16_t mss = 0;
    while (length > 0) {
        const uint8_t opcode = *p++;
        if (opcode == kEol) return mss;
        if (opcode == kNop) {
            --length;
            continue;
        }
        if (length < 2) return mss;
        const int size = *p++;
        if (size < 2 || size > length) return mss;  // silly or partial options
        if (opcode == kMss && size == kMssLen) {
            const uint16_t in = static_cast<uint16_t>(p[0] << 8 | p[1]);
            if (in) mss = in;
        }
        p += size - 2;
        length -= size;
    }
    return mss;
}

uint32_t v4_init_sequence(const uint8_t* iph, const uint8_t* th, uint16_t* mss, uint32_t count) {
    return init_sequence(Flow{false, iph, th}, kMssTableV4, mss, count);
}
uint32_t v6_init_sequence(const uint8_t* ip6h, const uint8_t* th, uint16_t* mss, uint32_t count) {
    return init_sequence(Flow{true, ip6h, th}, kMssTableV6, mss, count);
}
uint16_t v4_check(const uint8_t* iph, const uint8_t* th, uint32_t count) {
    return check(Flow{false, iph, th}, kMssTableV4, count);
}
uint16_t v6_check(const uint8_t* ip6h, const uint8_t* th, uint32_t count) {
    return check(Flow{true, ip6h, th}, kMssTableV6, count);
}

}  // namespace xdpdk::vm::syncookie
