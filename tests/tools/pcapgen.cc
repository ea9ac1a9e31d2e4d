// Writes the bundled captures in pcaps/: a deterministic mix of 100 Ethernet
// frames (ARP; IPv4 and IPv6 with UDP, TCP and ICMP; a few VLAN-tagged;
// 60 to 1514 bytes) with valid checksums, as sample.pcap and sample.pcapng,
// and corrupt_truncated.pcap (sample.pcap cut inside its 11th record).
//
//   pcapgen OUTDIR
//
// The files are committed; test_replay checks that they match this output.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using Bytes = std::vector<uint8_t>;

constexpr uint16_t kEthIpv4 = 0x0800, kEthIpv6 = 0x86dd, kEthArp = 0x0806, kEthVlan = 0x8100;
constexpr uint8_t kIcmp = 1, kTcp = 6, kUdp = 17, kIcmpv6 = 58;
constexpr size_t kMinFrame = 60, kMaxFrame = 1514;

struct Mac {
    uint8_t b[6];
};
struct Ip6 {
    uint8_t b[16];
};

const Mac kClientMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
const Mac kServerMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};
const Mac kRouterMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0xfe}};
const Mac kBroadcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
constexpr uint32_t kClientIp = 0x0a000001, kServerIp = 0x0a000002, kRemoteIp = 0xc6336407;  // 10.0.0.1/2, 198.51.100.7
const Ip6 kClientIp6{{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
const Ip6 kServerIp6{{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};

// A fixed linear congruential generator: the same bytes on every machine.
struct Lcg {
    uint32_t state = 12345;
    uint32_t next() {
        state = state * 1103515245u + 12345u;
        return state >> 8;
    }
};

void put8(Bytes& b, uint8_t v) { b.push_back(v); }
void put16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v >> 8));
    b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
    put16(b, static_cast<uint16_t>(v >> 16));
    put16(b, static_cast<uint16_t>(v));
}
// Byte by byte: g++ 12 warns falsely about vector::insert of small ranges.
void append(Bytes& b, const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) b.push_back(p[i]);
}
void append(Bytes& b, const Bytes& more) { append(b, more.data(), more.size()); }
void put_mac(Bytes& b, const Mac& m) { append(b, m.b, 6); }
void put_ip6(Bytes& b, const Ip6& a) { append(b, a.b, 16); }
void set16(Bytes& b, size_t at, uint16_t v) {
    b[at] = static_cast<uint8_t>(v >> 8);
    b[at + 1] = static_cast<uint8_t>(v);
}

uint32_t sum16(const uint8_t* p, size_t n, uint32_t sum = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
    return sum;
}
uint16_t fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

Bytes payload(Lcg& rng, size_t n) {
    Bytes p(n);
    for (auto& c : p) c = static_cast<uint8_t>(rng.next());
    return p;
}

// A DNS query for an A record of `name` (labels separated by dots).
Bytes dns_query(uint16_t id, const std::string& name) {
    Bytes q;
    put16(q, id);
    put16(q, 0x0100);  // recursion desired
    put16(q, 1);
    put16(q, 0);
    put16(q, 0);
    put16(q, 0);
    size_t start = 0;
    while (start < name.size()) {
        size_t dot = name.find('.', start);
        if (dot == std::string::npos) dot = name.size();
        put8(q, static_cast<uint8_t>(dot - start));
        q.insert(q.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(dot));
        start = dot + 1;
    }
    put8(q, 0);
    put16(q, 1);  // A
    put16(q, 1);  // IN
    return q;
}

Bytes udp(uint16_t sport, uint16_t dport, const Bytes& data) {
    Bytes s;
    put16(s, sport);
    put16(s, dport);
    put16(s, static_cast<uint16_t>(8 + data.size()));
    put16(s, 0);
    append(s, data);
    return s;
}
Bytes tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const Bytes& data) {
    Bytes s;
    put16(s, sport);
    put16(s, dport);
    put32(s, seq);
    put32(s, ack);
    put8(s, 5 << 4);
    put8(s, flags);
    put16(s, 64240);
    put16(s, 0);
    put16(s, 0);
    append(s, data);
    return s;
}
Bytes icmp_echo(uint8_t type, uint16_t id, uint16_t seq, const Bytes& data) {
    Bytes s;
    put8(s, type);
    put8(s, 0);
    put16(s, 0);
    put16(s, id);
    put16(s, seq);
    append(s, data);
    return s;
}
size_t checksum_offset(uint8_t proto) { return proto == kTcp ? 16 : proto == kUdp ? 6 : 2; }

Bytes ethernet(const Mac& dst, const Mac& src, uint16_t type, const Bytes& body, int vlan = -1) {
    Bytes f;
    put_mac(f, dst);
    put_mac(f, src);
    if (vlan >= 0) {
        put16(f, kEthVlan);
        put16(f, static_cast<uint16_t>(vlan));
    }
    put16(f, type);
    append(f, body);
    if (f.size() < kMinFrame) f.resize(kMinFrame, 0);
    return f;
}

Bytes ipv4(uint32_t src, uint32_t dst, uint8_t proto, Bytes l4, uint16_t id) {
    Bytes h;
    put8(h, 0x45);
    put8(h, 0);
    put16(h, static_cast<uint16_t>(20 + l4.size()));
    put16(h, id);
    put16(h, 0x4000);  // don't fragment
    put8(h, 64);
    put8(h, proto);
    put16(h, 0);
    put32(h, src);
    put32(h, dst);
    set16(h, 10, fold(sum16(h.data(), h.size())));
    uint32_t sum = 0;
    if (proto != kIcmp) {
        sum = sum16(h.data() + 12, 8);
        sum += proto;
        sum += static_cast<uint32_t>(l4.size());
    }
    uint16_t csum = fold(sum16(l4.data(), l4.size(), sum));
    if (proto == kUdp && csum == 0) csum = 0xffff;
    set16(l4, checksum_offset(proto), csum);
    append(h, l4);
    return h;
}

Bytes ipv6(const Ip6& src, const Ip6& dst, uint8_t next, Bytes l4, uint32_t flow) {
    Bytes h;
    put32(h, 0x60000000u | (flow & 0xfffff));
    put16(h, static_cast<uint16_t>(l4.size()));
    put8(h, next);
    put8(h, 64);
    put_ip6(h, src);
    put_ip6(h, dst);
    uint32_t sum = sum16(h.data() + 8, 32);
    sum += static_cast<uint32_t>(l4.size() >> 16) + static_cast<uint32_t>(l4.size() & 0xffff);
    sum += next;
    uint16_t csum = fold(sum16(l4.data(), l4.size(), sum));
    if (next == kUdp && csum == 0) csum = 0xffff;
    set16(l4, checksum_offset(next), csum);
    append(h, l4);
    return h;
}

Bytes arp(uint16_t op, const Mac& sha, uint32_t spa, const Mac& tha, uint32_t tpa) {
    Bytes a;
    put16(a, 1);
    put16(a, kEthIpv4);
    put8(a, 6);
    put8(a, 4);
    put16(a, op);
    put_mac(a, sha);
    put32(a, spa);
    put_mac(a, tha);
    put32(a, tpa);
    return a;
}

// Payload sizes that make a frame exactly `frame` bytes.
size_t fill_v4(size_t frame, size_t l4_header) { return frame - 14 - 20 - l4_header; }
size_t fill_v6(size_t frame, size_t l4_header) { return frame - 14 - 40 - l4_header; }

std::vector<Bytes> make_packets() {
    Lcg rng;
    std::vector<Bytes> pkts;
    const Mac zero{};
    static const size_t kSizes[] = {60, 64, 128, 256, 512, 576, 1024, 1280, 1500, 1514};
    static const std::string kNames[] = {"example.com", "www.example.org", "mail.example.net", "a.b.example"};
    uint32_t seq = 1000;
    for (int round = 0; round < 10; ++round) {
        const uint16_t sport = static_cast<uint16_t>(40000 + round);
        const size_t big = kSizes[round];
        const uint16_t id = static_cast<uint16_t>(round * 16);
        // 10 frames per round.
        pkts.push_back(ethernet(kBroadcast, kClientMac, kEthArp,
                                arp(1, kClientMac, kClientIp, zero, kServerIp)));
        pkts.push_back(ethernet(kClientMac, kServerMac, kEthArp,
                                arp(2, kServerMac, kServerIp, kClientMac, kClientIp)));
        pkts.push_back(ethernet(kServerMac, kClientMac, kEthIpv4,
                                ipv4(kClientIp, kServerIp, kUdp, udp(sport, 53, dns_query(static_cast<uint16_t>(rng.next()), kNames[round % 4])), id)));
        pkts.push_back(ethernet(kServerMac, kClientMac, kEthIpv4,
                                ipv4(kClientIp, kServerIp, kTcp, tcp(sport, 80, seq, 0, 0x02, {}), id + 1)));
        pkts.push_back(ethernet(kClientMac, kServerMac, kEthIpv4,
                                ipv4(kServerIp, kClientIp, kTcp,
                                     tcp(80, sport, 5000, seq + 1, 0x18, payload(rng, fill_v4(std::max<size_t>(big, 54), 20))),
                                     id + 2)));
        pkts.push_back(ethernet(kRouterMac, kClientMac, kEthIpv4,
                                ipv4(kClientIp, kRemoteIp, kIcmp, icmp_echo(8, 0x1234, static_cast<uint16_t>(round), payload(rng, 56)), id + 3)));
        pkts.push_back(ethernet(kClientMac, kRouterMac, kEthIpv4,
                                ipv4(kRemoteIp, kClientIp, kIcmp, icmp_echo(0, 0x1234, static_cast<uint16_t>(round), payload(rng, 56)), id + 4)));
        pkts.push_back(ethernet(kServerMac, kClientMac, kEthIpv6,
                                ipv6(kClientIp6, kServerIp6, kUdp, udp(sport, 9000, payload(rng, fill_v6(std::max<size_t>(kSizes[9 - round], 62), 8))), round)));
        pkts.push_back(ethernet(kServerMac, kClientMac, kEthIpv6,
                                ipv6(kClientIp6, kServerIp6, kTcp, tcp(sport, 443, seq + 7, 0, 0x02, {}), round)));
        if (round % 3 == 2) {
            pkts.push_back(ethernet(kServerMac, kClientMac, kEthIpv4,
                                    ipv4(kClientIp, kServerIp, kUdp, udp(sport, 5001, payload(rng, 100 + round)), id + 5), 100));
        } else {
            pkts.push_back(ethernet(kServerMac, kClientMac, kEthIpv6,
                                    ipv6(kClientIp6, kServerIp6, kIcmpv6, icmp_echo(128, 0x77, static_cast<uint16_t>(round), payload(rng, 32)), round)));
        }
        seq += 1000;
    }
    return pkts;
}

void le16(Bytes& b, uint16_t v) {
    b.push_back(static_cast<uint8_t>(v));
    b.push_back(static_cast<uint8_t>(v >> 8));
}
void le32(Bytes& b, uint32_t v) {
    le16(b, static_cast<uint16_t>(v));
    le16(b, static_cast<uint16_t>(v >> 16));
}

constexpr uint64_t kStartUsec = 1700000000ull * 1000000;
uint64_t timestamp_usec(size_t i) { return kStartUsec + i * 1000 + (i * 37) % 500; }

Bytes pcap_file(const std::vector<Bytes>& pkts, std::vector<size_t>* record_offsets) {
    Bytes f;
    le32(f, 0xa1b2c3d4);
    le16(f, 2);
    le16(f, 4);
    le32(f, 0);
    le32(f, 0);
    le32(f, 65535);
    le32(f, 1);  // LINKTYPE_ETHERNET
    for (size_t i = 0; i < pkts.size(); ++i) {
        if (record_offsets) record_offsets->push_back(f.size());
        const uint64_t ts = timestamp_usec(i);
        le32(f, static_cast<uint32_t>(ts / 1000000));
        le32(f, static_cast<uint32_t>(ts % 1000000));
        le32(f, static_cast<uint32_t>(pkts[i].size()));
        le32(f, static_cast<uint32_t>(pkts[i].size()));
        f.insert(f.end(), pkts[i].begin(), pkts[i].end());
    }
    return f;
}

void pcapng_block(Bytes& f, uint32_t type, const Bytes& body) {
    const uint32_t len = static_cast<uint32_t>(12 + body.size());
    le32(f, type);
    le32(f, len);
    append(f, body);
    le32(f, len);
}

Bytes pcapng_file(const std::vector<Bytes>& pkts) {
    Bytes f;
    Bytes shb;
    le32(shb, 0x1a2b3c4d);
    le16(shb, 1);
    le16(shb, 0);
    le32(shb, 0xffffffff);  // section length unknown
    le32(shb, 0xffffffff);
    pcapng_block(f, 0x0a0d0d0a, shb);
    Bytes idb;
    le16(idb, 1);  // LINKTYPE_ETHERNET
    le16(idb, 0);
    le32(idb, 65535);
    pcapng_block(f, 1, idb);  // microsecond timestamps by default
    for (size_t i = 0; i < pkts.size(); ++i) {
        Bytes epb;
        const uint64_t ts = timestamp_usec(i);
        le32(epb, 0);
        le32(epb, static_cast<uint32_t>(ts >> 32));
        le32(epb, static_cast<uint32_t>(ts));
        le32(epb, static_cast<uint32_t>(pkts[i].size()));
        le32(epb, static_cast<uint32_t>(pkts[i].size()));
        epb.insert(epb.end(), pkts[i].begin(), pkts[i].end());
        epb.resize((epb.size() + 3) & ~size_t{3}, 0);
        pcapng_block(f, 6, epb);
    }
    return f;
}

bool write(const std::string& path, const Bytes& bytes) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
        std::perror(path.c_str());
        return false;
    }
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    if (std::fclose(f) != 0 || !ok) {
        std::fprintf(stderr, "pcapgen: write to %s failed\n", path.c_str());
        return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: pcapgen OUTDIR\n");
        return 2;
    }
    const std::string dir = argv[1];
    const auto pkts = make_packets();
    for (const auto& p : pkts) {
        if (p.size() < kMinFrame || p.size() > kMaxFrame) {
            std::fprintf(stderr, "pcapgen: frame of %zu bytes out of range\n", p.size());
            return 1;
        }
    }
    std::vector<size_t> offsets;
    const Bytes pcap = pcap_file(pkts, &offsets);
    // Cut inside the 11th record's data: 10 packets read, then a short record.
    const Bytes truncated(pcap.begin(), pcap.begin() + static_cast<long>(offsets[10] + 16 + 20));
    const bool ok = write(dir + "/sample.pcap", pcap) && write(dir + "/sample.pcapng", pcapng_file(pkts)) &&
                    write(dir + "/corrupt_truncated.pcap", truncated);
    return ok ? 0 : 1;
}
