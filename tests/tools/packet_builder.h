// Builds well-formed Ethernet frames (optional VLAN tags; IPv4 with options
// and fragment fields, IPv6, ARP, raw EtherTypes; TCP, UDP, ICMP) with correct
// lengths and checksums, padded with a payload pattern to an exact frame
// length. Used by the pcap generator, the differential tests and the
// benchmarks, so all of them feed programs the same kind of traffic.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace xdpdk::test {

using Mac = std::array<uint8_t, 6>;
using Ipv6Addr = std::array<uint8_t, 16>;

// "10.1.2.3" in host byte order; "2001:db8::1" as 16 bytes. Bad text aborts
// (these are fixtures written in code).
uint32_t ipv4(const char* text);
Ipv6Addr ipv6(const char* text);

enum class L3 : uint8_t { Ipv4, Ipv6, Arp, Raw };

namespace tcp_flag {
constexpr uint8_t Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Urg = 0x20;
}

struct PacketSpec {
    Mac dst_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    Mac src_mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
    std::vector<uint16_t> vlan_tcis;  // outermost first; the outer uses 802.1ad when there are two
    L3 l3 = L3::Ipv4;
    uint16_t raw_ether_type = 0;  // for L3::Raw

    uint32_t src4 = 0x0a000001;  // host order
    uint32_t dst4 = 0x0a000002;
    Ipv6Addr src6{};
    Ipv6Addr dst6{};
    uint8_t ttl = 64;
    uint8_t tos = 0;
    uint16_t frag_field = 0;         // IPv4 flags + fragment offset, host order (0x2000 = MF)
    uint8_t ipv4_option_words = 0;   // 32-bit words of NOP options after the header

    uint8_t l4 = 17;  // IPPROTO_*; TCP and UDP get ports, ICMP/ICMPv6 an echo request
    uint16_t sport = 40000;
    uint16_t dport = 80;
    uint8_t tcp_flags = tcp_flag::Ack;
    uint32_t tcp_seq = 1;

    // Total frame length; the payload fills up to it. Shorter than the headers
    // truncates the frame there (a malformed frame on purpose).
    size_t frame_len = 64;
    uint8_t payload_seed = 0;
};

std::vector<uint8_t> build_packet(const PacketSpec& spec);

// Writes Ethernet frames to a pcap file, one microsecond apart. Empty string
// on success, otherwise the reason.
std::string write_pcap(const std::string& path, const std::vector<std::vector<uint8_t>>& frames);

}  // namespace xdpdk::test
