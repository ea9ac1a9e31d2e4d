// bpf_tcp_raw_gen_syncookie_ipv4/ipv6 and bpf_tcp_raw_check_syncookie_ipv4/ipv6
// (net/core/filter.c): SYN cookies from raw headers, without a socket.
#include <cerrno>

#include "helper_impl.h"
#include "syncookie.h"

namespace xdpdk::vm {
namespace {

const uint8_t* bytes(uint64_t r) { return reinterpret_cast<const uint8_t*>(r); }

// The cookie in the low half, the MSS it encodes in the high half; -EINVAL
// when th_len is not the header's own length (doff).
uint64_t gen(uint64_t iph, uint64_t th, uint64_t th_len, bool v6) {
    const uint8_t* t = bytes(th);
    if (th_len < 20 || th_len != uint64_t{(t[12] >> 4) * 4u}) return static_cast<uint64_t>(-EINVAL);
    uint16_t mss = syncookie::parse_mss_option(t);
    if (mss == 0) mss = v6 ? syncookie::kMssDefaultV6 : syncookie::kMssDefaultV4;
    const uint32_t now = syncookie::cookie_time();
    const uint32_t cookie = v6 ? syncookie::v6_init_sequence(bytes(iph), t, &mss, now)
                               : syncookie::v4_init_sequence(bytes(iph), t, &mss, now);
    return cookie | uint64_t{mss} << 32;
}

uint64_t check(uint64_t iph, uint64_t th, bool v6) {
    const uint32_t now = syncookie::cookie_time();
    const uint16_t mss = v6 ? syncookie::v6_check(bytes(iph), bytes(th), now)
                            : syncookie::v4_check(bytes(iph), bytes(th), now);
    return mss > 0 ? 0 : static_cast<uint64_t>(-EACCES);
}

}  // namespace

XDPDK_HELPER(helper_tcp_raw_gen_syncookie_ipv4) {
    (void)r4, (void)r5, (void)ex;
    return gen(r1, r2, r3, false);
}

XDPDK_HELPER(helper_tcp_raw_gen_syncookie_ipv6) {
    (void)r4, (void)r5, (void)ex;
    return gen(r1, r2, r3, true);
}

XDPDK_HELPER(helper_tcp_raw_check_syncookie_ipv4) {
    (void)r3, (void)r4, (void)r5, (void)ex;
    return check(r1, r2, false);
}

XDPDK_HELPER(helper_tcp_raw_check_syncookie_ipv6) {
    (void)r3, (void)r4, (void)r5, (void)ex;
    return check(r1, r2, true);
}

}  // namespace xdpdk::vm
