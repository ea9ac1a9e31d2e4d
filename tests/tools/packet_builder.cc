#include "packet_builder.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "dataplane/replay/pcap_io.h"

namespace xdpdk::test {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800, kEtherIpv6 = 0x86dd, kEtherArp = 0x0806, kEther8021q = 0x8100,
                   kEther8021ad = 0x88a8;
constexpr uint8_t kTcp = 6, kUdp = 17, kIcmp = 1, kIcmpv6 = 58;

class Writer {
public:
    void u8(uint8_t v) { bytes.push_back(v); }
    void u16(uint16_t v) {
        u8(static_cast<uint8_t>(v >> 8));
        u8(static_cast<uint8_t>(v));
    }
    void u32(uint32_t v) {
        u16(static_cast<uint16_t>(v >> 16));
        u16(static_cast<uint16_t>(v));
    }
    void raw(const uint8_t* p, size_t n) { bytes.insert(bytes.end(), p, p + n); }
    void put16(size_t at, uint16_t v) {
        bytes[at] = static_cast<uint8_t>(v >> 8);
        bytes[at + 1] = static_cast<uint8_t>(v);
    }
    size_t size() const { return bytes.size(); }
    std::vector<uint8_t> bytes;
};

uint32_t sum16(const uint8_t* p, size_t n, uint32_t sum = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
    return sum;
}

uint16_t fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

void write_l4_header(Writer& w, const PacketSpec& s) {
    switch (s.l4) {
        case kTcp:
            w.u16(s.sport);
            w.u16(s.dport);
            w.u32(s.tcp_seq);
            w.u32((s.tcp_flags & tcp_flag::Ack) ? 1000 : 0);
            w.u8(5 << 4);  // data offset: 5 words
            w.u8(s.tcp_flags);
            w.u16(65535);  // window
            w.u16(0);      // checksum, filled later
            w.u16(0);      // urgent pointer
            break;
        case kUdp:
            w.u16(s.sport);
            w.u16(s.dport);
            w.u16(0);  // length, filled later
            w.u16(0);  // checksum, filled later
            break;
        case kIcmp:
        case kIcmpv6:
            w.u8(s.l4 == kIcmp ? 8 : 128);  // echo request
            w.u8(0);
            w.u16(0);  // checksum, filled later
            w.u16(static_cast<uint16_t>(s.sport));
            w.u16(static_cast<uint16_t>(s.tcp_seq));
            break;
        default: break;
    }
}

// Lengths and checksums of the L4 header at `l4_at`, once the payload is in.
void finish_l4(Writer& w, const PacketSpec& s, size_t l4_at, uint32_t pseudo_sum) {
    const size_t l4_len = w.size() - l4_at;
    uint8_t* p = w.bytes.data() + l4_at;
    size_t csum_at = 0;
    switch (s.l4) {
        case kTcp: csum_at = 16; break;
        case kUdp:
            w.put16(l4_at + 4, static_cast<uint16_t>(l4_len));
            csum_at = 6;
            break;
        case kIcmp:
        case kIcmpv6: csum_at = 2; break;
        default: return;
    }
    // ICMPv4 has no pseudo header.
    const uint32_t start = s.l4 == kIcmp ? 0 : pseudo_sum + static_cast<uint32_t>(l4_len) + s.l4;
    uint16_t csum = fold(sum16(p, l4_len, start));
    if (s.l4 == kUdp && csum == 0) csum = 0xffff;
    w.put16(l4_at + csum_at, csum);
}

void fill_payload(Writer& w, const PacketSpec& s) {
    uint8_t v = s.payload_seed;
    while (w.size() < s.frame_len) w.u8(v++);
}

}  // namespace

uint32_t ipv4(const char* text) {
    in_addr a{};
    if (inet_pton(AF_INET, text, &a) != 1) {
        std::fprintf(stderr, "packet_builder: bad IPv4 address '%s'\n", text);
        std::abort();
    }
    return ntohl(a.s_addr);
}

Ipv6Addr ipv6(const char* text) {
    Ipv6Addr out{};
    if (inet_pton(AF_INET6, text, out.data()) != 1) {
        std::fprintf(stderr, "packet_builder: bad IPv6 address '%s'\n", text);
        std::abort();
    }
    return out;
}

std::vector<uint8_t> build_packet(const PacketSpec& s) {
    Writer w;
    w.raw(s.dst_mac.data(), 6);
    w.raw(s.src_mac.data(), 6);
    for (size_t i = 0; i < s.vlan_tcis.size(); ++i) {
        const bool outer_of_two = s.vlan_tcis.size() > 1 && i == 0;
        w.u16(outer_of_two ? kEther8021ad : kEther8021q);
        w.u16(s.vlan_tcis[i]);
    }
    switch (s.l3) {
        case L3::Ipv4: {
            w.u16(kEtherIpv4);
            const size_t ip_at = w.size();
            const size_t ihl = 5 + s.ipv4_option_words;
            w.u8(static_cast<uint8_t>(0x40 | ihl));
            w.u8(s.tos);
            w.u16(0);  // total length, filled later
            w.u16(0x1234);
            w.u16(s.frag_field);
            w.u8(s.ttl);
            w.u8(s.l4);
            w.u16(0);  // checksum
            w.u32(s.src4);
            w.u32(s.dst4);
            for (int i = 0; i < s.ipv4_option_words * 4; ++i) w.u8(1);  // NOP
            const size_t l4_at = w.size();
            // Non-first fragments carry no L4 header.
            const bool has_l4 = (s.frag_field & 0x1fff) == 0;
            if (has_l4) write_l4_header(w, s);
            fill_payload(w, s);
            w.put16(ip_at + 2, static_cast<uint16_t>(w.size() - ip_at));
            w.put16(ip_at + 10, fold(sum16(w.bytes.data() + ip_at, ihl * 4)));
            const uint32_t pseudo = (s.src4 >> 16) + (s.src4 & 0xffff) + (s.dst4 >> 16) + (s.dst4 & 0xffff);
            if (has_l4 && !(s.frag_field & 0x2000)) finish_l4(w, s, l4_at, pseudo);
            break;
        }
        case L3::Ipv6: {
            w.u16(kEtherIpv6);
            const size_t ip_at = w.size();
            w.u32(0x60000000u | static_cast<uint32_t>(s.tos) << 20);
            w.u16(0);  // payload length, filled later
            w.u8(s.l4);
            w.u8(s.ttl);
            w.raw(s.src6.data(), 16);
            w.raw(s.dst6.data(), 16);
            const size_t l4_at = w.size();
            write_l4_header(w, s);
            fill_payload(w, s);
            w.put16(ip_at + 4, static_cast<uint16_t>(w.size() - l4_at));
            const uint32_t pseudo = sum16(s.src6.data(), 16, sum16(s.dst6.data(), 16));
            finish_l4(w, s, l4_at, pseudo);
            break;
        }
        case L3::Arp: {
            w.u16(kEtherArp);
            w.u16(1);       // Ethernet
            w.u16(kEtherIpv4);
            w.u8(6);
            w.u8(4);
            w.u16(1);       // request
            w.raw(s.src_mac.data(), 6);
            w.u32(s.src4);
            for (int i = 0; i < 6; ++i) w.u8(0);
            w.u32(s.dst4);
            fill_payload(w, s);
            break;
        }
        case L3::Raw:
            w.u16(s.raw_ether_type);
            fill_payload(w, s);
            break;
    }
    // A frame_len shorter than the headers truncates on purpose.
    if (w.bytes.size() > s.frame_len) w.bytes.resize(s.frame_len);
    return std::move(w.bytes);
}

std::string write_pcap(const std::string& path, const std::vector<std::vector<uint8_t>>& frames) {
    auto writer = cli::PcapWriter::open(path, 1 /* DLT_EN10MB */);
    if (!writer) return writer.error().str();
    int64_t usec = 0;
    for (const auto& f : frames) {
        writer.value()->write({1'700'000'000 + usec / 1'000'000, usec % 1'000'000}, static_cast<uint32_t>(f.size()), f);
        ++usec;
    }
    auto st = writer.value()->close();
    return st ? "" : st.error().str();
}

}  // namespace xdpdk::test
