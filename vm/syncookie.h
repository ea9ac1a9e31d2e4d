// SYN cookies as Linux computes them (net/ipv4/syncookies.c,
// net/ipv6/syncookies.c), behind the bpf_tcp_raw_{gen,check}_syncookie_*
// helpers: the cookie is
//   hash(secret0; addrs, ports, 0) + their seq + (count << 24)
//     + ((hash(secret1; addrs, ports, count) + mss index) mod 2^24)
// with SipHash-2-4 keyed by secrets random per process (the kernel's are
// random per boot), and count the minute counter tcp_cookie_time(). Headers
// are raw network-order bytes (struct iphdr / ipv6hdr, struct tcphdr).
#pragma once

#include <cstdint>

namespace xdpdk::vm::syncookie {

constexpr uint32_t kMaxAge = 2;  // MAX_SYNCOOKIE_AGE: a cookie is good this many minutes
constexpr uint16_t kMssDefaultV4 = 536;   // TCP_MSS_DEFAULT
constexpr uint16_t kMssDefaultV6 = 1220;  // IPV6_MIN_MTU - sizeof(tcphdr) - sizeof(ipv6hdr)

// tcp_cookie_time(): jiffies_64 / (60 * HZ).
uint32_t cookie_time();

// tcp_parse_mss_option(th, 0): the MSS option of a TCP header of th[12] >> 4
// words, or 0.
uint16_t parse_mss_option(const uint8_t* th);

// __cookie_v4_init_sequence / __cookie_v6_init_sequence at minute `count`:
// rounds *mss down to the table's entry and returns the cookie.
uint32_t v4_init_sequence(const uint8_t* iph, const uint8_t* th, uint16_t* mss, uint32_t count);
uint32_t v6_init_sequence(const uint8_t* ip6h, const uint8_t* th, uint16_t* mss, uint32_t count);

// __cookie_v4_check / __cookie_v6_check at minute `count`, for the cookie
// ack_seq - 1 of the ACK `th`: the MSS it encodes, or 0 when it is not ours
// or older than kMaxAge minutes.
uint16_t v4_check(const uint8_t* iph, const uint8_t* th, uint32_t count);
uint16_t v6_check(const uint8_t* ip6h, const uint8_t* th, uint32_t count);

}  // namespace xdpdk::vm::syncookie
