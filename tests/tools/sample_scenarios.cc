#include "sample_scenarios.h"

#include <arpa/inet.h>

namespace xdpdk::test {
namespace {

constexpr uint8_t kTcp = 6, kUdp = 17, kIcmp = 1, kIcmpv6 = 58, kGre = 47;

// ---- load_balancer.bpf.c layouts and configuration ----

struct LbVipKey {
    uint32_t addr;  // network order
    uint16_t port;  // network order
    uint8_t proto;
    uint8_t pad;
};
struct LbVipMeta {
    uint32_t flags;
    uint32_t vip_num;
};
struct LbReal {
    uint32_t addr;  // network order
    uint32_t flags;
};
struct LbConfig {
    uint8_t gw_mac[6];
    uint16_t pad;
    uint32_t tunnel_src_net;  // network order
};
constexpr uint32_t kVipAllPorts = 1, kVipNoSrcPort = 2, kVipNoLru = 4;
constexpr uint32_t kRingSize = 1021;

struct LbVip {
    const char* addr;
    uint16_t port;
    uint8_t proto;
    uint32_t flags;
    uint32_t first_real, real_count;  // 0 reals: the VIP has no backend
};
// vip_num is the index.
constexpr LbVip kLbVips[] = {
    {"10.100.0.1", 80, kTcp, 0, 1, 4},
    {"10.100.0.2", 443, kUdp, kVipNoSrcPort, 5, 4},
    {"10.100.0.3", 0, kTcp, kVipAllPorts, 1, 8},
    {"10.100.0.4", 53, kUdp, kVipNoLru, 3, 4},
    {"10.100.0.5", 80, kTcp, 0, 0, 0},
};
constexpr uint32_t kLbReals = 8;  // reals 1..8 are 172.16.1.1..8

std::vector<MapEntry> lb_entries() {
    std::vector<MapEntry> out;
    for (uint32_t v = 0; v < std::size(kLbVips); ++v) {
        const LbVip& vip = kLbVips[v];
        out.push_back({"vip_map", bytes_of(LbVipKey{htonl(ipv4(vip.addr)), htons(vip.port), vip.proto, 0}),
                       bytes_of(LbVipMeta{vip.flags, v})});
        if (vip.real_count == 0) continue;
        for (uint32_t slot = 0; slot < kRingSize; ++slot) {
            // A fixed permutation of the VIP's reals, like a Maglev table.
            const uint32_t real = vip.first_real + (slot * 7 + v) % vip.real_count;
            out.push_back({"ch_rings", bytes_of(v * kRingSize + slot), bytes_of(real)});
        }
    }
    for (uint32_t r = 1; r <= kLbReals; ++r)
        out.push_back({"reals", bytes_of(r), bytes_of(LbReal{htonl(ipv4("172.16.1.0") + r), 0})});
    out.push_back({"lb_config", bytes_of(uint32_t{0}),
                   bytes_of(LbConfig{{0x02, 0x00, 0x00, 0x00, 0x00, 0xfe}, 0, htonl(ipv4("172.31.0.0"))})});
    return out;
}

const Mac kLbMac{0x02, 0x00, 0x00, 0x00, 0x10, 0x01};

PacketSpec lb_packet(const char* vip, uint16_t dport, uint8_t proto, uint32_t client, uint16_t sport,
                     uint8_t flags, size_t len) {
    PacketSpec s;
    s.dst_mac = kLbMac;
    s.src4 = client;
    s.dst4 = ipv4(vip);
    s.l4 = proto;
    s.sport = sport;
    s.dport = dport;
    s.tcp_flags = flags;
    s.frame_len = len;
    return s;
}

// ---- firewall.bpf.c layouts and rules ----

struct FwLpmKey {
    uint32_t prefixlen;
    uint32_t addr;  // network order
};
struct FwPortKey {
    uint16_t port;  // network order
    uint8_t proto;
    uint8_t pad;
};

struct FwPrefixRule {
    const char* addr;
    uint32_t prefixlen;
    uint32_t rule_id;
};
constexpr FwPrefixRule kFwPrefixes[] = {
    {"192.0.2.0", 24, 1}, {"198.51.100.128", 25, 2}, {"203.0.113.7", 32, 3},
    {"10.0.0.0", 8, 4},   {"10.1.0.0", 16, 5},
};
struct FwPortRule {
    uint16_t port;
    uint8_t proto;
    uint32_t rule_id;
};
constexpr FwPortRule kFwPorts[] = {{23, kTcp, 100}, {161, kUdp, 101}, {3389, kTcp, 102}, {1900, kUdp, 103}};

std::vector<MapEntry> fw_entries() {
    std::vector<MapEntry> out;
    for (const auto& r : kFwPrefixes)
        out.push_back({"blocked_src_v4", bytes_of(FwLpmKey{r.prefixlen, htonl(ipv4(r.addr))}), bytes_of(r.rule_id)});
    for (const auto& r : kFwPorts)
        out.push_back({"blocked_dst_ports", bytes_of(FwPortKey{htons(r.port), r.proto, 0}), bytes_of(r.rule_id)});
    return out;
}

// ---- generic traffic ----

PacketSpec udp4(size_t len) {
    PacketSpec s;
    s.src4 = ipv4("172.20.0.10");
    s.dst4 = ipv4("172.20.0.20");
    s.l4 = kUdp;
    s.sport = 40001;
    s.dport = 4789;
    s.frame_len = len;
    return s;
}

PacketSpec tcp4(size_t len) {
    PacketSpec s = udp4(len);
    s.l4 = kTcp;
    s.dport = 443;
    s.tcp_flags = tcp_flag::Ack | tcp_flag::Psh;
    return s;
}

PacketSpec v6(uint8_t proto, uint16_t dport, size_t len) {
    PacketSpec s;
    s.l3 = L3::Ipv6;
    s.src6 = ipv6("2001:db8:1::10");
    s.dst6 = ipv6("2001:db8:2::20");
    s.l4 = proto;
    s.dport = dport;
    s.frame_len = len;
    return s;
}

Bytes pattern_frame(uint16_t ether_type, size_t len) {
    PacketSpec s;
    s.l3 = L3::Raw;
    s.raw_ether_type = ether_type;
    s.frame_len = len;
    return build_packet(s);
}

}  // namespace

std::vector<Bytes> lb_traffic() {
    std::vector<Bytes> out;
    const size_t sizes[] = {64, 200, 1500, 90};
    // Established TCP connections to VIP 0, interleaved: SYN, then data.
    for (int round = 0; round < 4; ++round) {
        for (uint32_t c = 0; c < 16; ++c) {
            const uint8_t flags = round == 0 ? tcp_flag::Syn : (tcp_flag::Ack | tcp_flag::Psh);
            out.push_back(build_packet(lb_packet("10.100.0.1", 80, kTcp, ipv4("192.168.1.10") + c * 7,
                                                 static_cast<uint16_t>(40000 + c * 13), flags, sizes[(c + round) % 4])));
        }
    }
    // Mid-connection packets without a SYN (the LRU entry is created by them).
    for (uint32_t c = 0; c < 8; ++c)
        out.push_back(build_packet(lb_packet("10.100.0.1", 80, kTcp, ipv4("192.168.7.1") + c, 50000,
                                             tcp_flag::Ack, 128)));
    // QUIC-like UDP to VIP 1: the source port does not take part in hashing.
    for (uint32_t c = 0; c < 10; ++c)
        for (uint16_t p = 0; p < 3; ++p)
            out.push_back(build_packet(lb_packet("10.100.0.2", 443, kUdp, ipv4("198.18.0.1") + c * 3,
                                                 static_cast<uint16_t>(30000 + p * 1000 + c), 0, 1200)));
    // Every port of VIP 2 (TCP only), and UDP to it is not a VIP.
    for (uint16_t port : {22, 80, 8080, 65535})
        out.push_back(build_packet(lb_packet("10.100.0.3", port, kTcp, ipv4("192.168.3.3"), 41000, tcp_flag::Syn, 74)));
    out.push_back(build_packet(lb_packet("10.100.0.3", 80, kUdp, ipv4("192.168.3.3"), 41000, 0, 74)));
    // VIP 3 never remembers flows; VIP 4 has no backend.
    for (uint32_t c = 0; c < 6; ++c)
        out.push_back(build_packet(lb_packet("10.100.0.4", 53, kUdp, ipv4("192.168.4.1") + c, 53000, 0, 80)));
    for (uint32_t c = 0; c < 3; ++c)
        out.push_back(build_packet(lb_packet("10.100.0.5", 80, kTcp, ipv4("192.168.5.1") + c, 42000, tcp_flag::Syn, 64)));
    // Not VIP traffic: other ports, other addresses, ICMP, IPv6, ARP.
    out.push_back(build_packet(lb_packet("10.100.0.1", 8080, kTcp, ipv4("192.168.1.10"), 40000, tcp_flag::Syn, 64)));
    out.push_back(build_packet(lb_packet("10.100.0.1", 80, kUdp, ipv4("192.168.1.10"), 40000, 0, 64)));
    out.push_back(build_packet(lb_packet("10.200.0.1", 80, kTcp, ipv4("192.168.1.10"), 40000, tcp_flag::Syn, 64)));
    out.push_back(build_packet(lb_packet("10.100.0.1", 0, kIcmp, ipv4("192.168.1.10"), 1, 0, 98)));
    out.push_back(build_packet(v6(kTcp, 80, 94)));
    {
        PacketSpec arp;
        arp.l3 = L3::Arp;
        arp.src4 = ipv4("10.100.0.254");
        arp.dst4 = ipv4("10.100.0.1");
        arp.frame_len = 60;
        out.push_back(build_packet(arp));
    }
    // VIP traffic the balancer leaves to the stack or drops as malformed.
    PacketSpec options = lb_packet("10.100.0.1", 80, kTcp, ipv4("192.168.1.10"), 40000, tcp_flag::Ack, 100);
    options.ipv4_option_words = 2;
    out.push_back(build_packet(options));
    PacketSpec fragment = lb_packet("10.100.0.2", 443, kUdp, ipv4("198.18.0.1"), 30000, 0, 600);
    fragment.frag_field = 0x2000;  // first fragment, more to come
    out.push_back(build_packet(fragment));
    fragment.frag_field = 0x00b9;  // a later fragment
    out.push_back(build_packet(fragment));
    out.push_back(build_packet(lb_packet("10.100.0.1", 80, kTcp, ipv4("192.168.1.10"), 40000, tcp_flag::Ack,
                                         14 + 20 + 10)));  // TCP header cut short
    out.push_back(build_packet(lb_packet("10.100.0.1", 80, kTcp, ipv4("192.168.1.10"), 40000, tcp_flag::Ack, 30)));
    // A new SYN on a known flow is rehashed (same backend: the ring is unchanged).
    out.push_back(build_packet(lb_packet("10.100.0.1", 80, kTcp, ipv4("192.168.1.10"), 40000, tcp_flag::Syn, 64)));
    return out;
}

std::vector<Bytes> fw_traffic() {
    std::vector<Bytes> out;
    const char* sources[] = {"192.0.2.1",     "192.0.2.255", "192.0.3.1",  "198.51.100.127", "198.51.100.128",
                             "198.51.100.255", "203.0.113.7", "203.0.113.8", "10.2.3.4",      "10.1.9.9",
                             "11.0.0.1",       "172.20.0.10"};
    size_t len = 60;
    for (const char* src : sources) {
        for (uint8_t proto : {kTcp, kUdp, kIcmp}) {
            PacketSpec s = proto == kTcp ? tcp4(len) : udp4(len);
            s.l4 = proto;
            s.src4 = ipv4(src);
            out.push_back(build_packet(s));
            len = len >= 1400 ? 60 : len + 97;
        }
    }
    // Blocked and open ports, IPv4 and IPv6, TCP and UDP.
    for (uint16_t port : {23, 24, 161, 162, 3389, 1900, 80}) {
        for (uint8_t proto : {kTcp, kUdp}) {
            PacketSpec s = proto == kTcp ? tcp4(120) : udp4(120);
            s.dport = port;
            out.push_back(build_packet(s));
            out.push_back(build_packet(v6(proto, port, 140)));
        }
    }
    // Fragments: a blocked source drops every fragment; a later fragment to a
    // blocked port has no L4 header and passes.
    PacketSpec frag = udp4(300);
    frag.dport = 161;
    frag.frag_field = 0x2000;
    out.push_back(build_packet(frag));
    frag.frag_field = 0x0020;
    out.push_back(build_packet(frag));
    frag.src4 = ipv4("192.0.2.77");
    out.push_back(build_packet(frag));
    // IPv4 options in front of a blocked port; headers cut short; non-IP.
    PacketSpec options = tcp4(100);
    options.dport = 23;
    options.ipv4_option_words = 3;
    out.push_back(build_packet(options));
    out.push_back(build_packet(udp4(14 + 20 + 4)));
    out.push_back(build_packet(v6(kTcp, 23, 14 + 40 + 12)));
    out.push_back(build_packet(v6(kIcmpv6, 0, 70)));
    out.push_back(pattern_frame(0x0806, 60));
    out.push_back(pattern_frame(0x0800, 20));
    return out;
}

std::vector<Bytes> edge_case_traffic() {
    std::vector<Bytes> out;
    // Runts and odd EtherTypes.
    out.push_back(pattern_frame(0x0800, 14));
    out.push_back(pattern_frame(0x86dd, 14));
    out.push_back(pattern_frame(0x88cc, 14));
    out.push_back(pattern_frame(0x88cc, 60));  // LLDP
    out.push_back(pattern_frame(0x9000, 42));  // loopback test frame
    // VLAN and QinQ.
    PacketSpec tagged = udp4(68);
    tagged.vlan_tcis = {100};
    out.push_back(build_packet(tagged));
    tagged.vlan_tcis = {200, 300};
    tagged.frame_len = 130;
    out.push_back(build_packet(tagged));
    PacketSpec tagged6 = v6(kTcp, 443, 100);
    tagged6.vlan_tcis = {42};
    out.push_back(build_packet(tagged6));
    tagged6.vlan_tcis = {1, 2};
    tagged6.frame_len = 14 + 8 + 20;  // tags, then a cut IPv6 header
    out.push_back(build_packet(tagged6));
    // IPv4: header length below 5 words, options, fragments, TTL 1, GRE.
    Bytes bad_ihl = build_packet(udp4(64));
    bad_ihl[14] = 0x44;
    out.push_back(bad_ihl);
    PacketSpec opts = tcp4(120);
    opts.ipv4_option_words = 10;  // the largest header (60 bytes)
    out.push_back(build_packet(opts));
    PacketSpec frag = udp4(200);
    frag.frag_field = 0x0010;
    out.push_back(build_packet(frag));
    PacketSpec ttl1 = tcp4(64);
    ttl1.ttl = 1;
    out.push_back(build_packet(ttl1));
    PacketSpec ttl1_v6 = v6(kUdp, 53, 80);
    ttl1_v6.ttl = 1;
    out.push_back(build_packet(ttl1_v6));
    PacketSpec gre = udp4(100);
    gre.l4 = kGre;
    out.push_back(build_packet(gre));
    // TCP flag combinations scanners use; UDP to port 0.
    for (uint8_t flags : {uint8_t(tcp_flag::Syn | tcp_flag::Fin), uint8_t(0), uint8_t(tcp_flag::Syn),
                          uint8_t(tcp_flag::Rst), uint8_t(tcp_flag::Fin | tcp_flag::Psh | tcp_flag::Urg)}) {
        PacketSpec s = tcp4(60);
        s.tcp_flags = flags;
        out.push_back(build_packet(s));
        PacketSpec s6 = v6(kTcp, 22, 80);
        s6.tcp_flags = flags;
        out.push_back(build_packet(s6));
    }
    PacketSpec port0 = udp4(60);
    port0.dport = 0;
    out.push_back(build_packet(port0));
    out.push_back(build_packet(v6(kUdp, 0, 70)));
    // ICMP both families.
    PacketSpec icmp = udp4(98);
    icmp.l4 = kIcmp;
    out.push_back(build_packet(icmp));
    out.push_back(build_packet(v6(kIcmpv6, 0, 118)));
    // Sizes around the tap's snap length and the frame limits of
    // BPF_PROG_TEST_RUN (4096 - 256 headroom - 320 tail reserve).
    for (size_t len : {59, 60, 61, 127, 128, 129, 1514, 3000, 3520}) out.push_back(build_packet(udp4(len)));
    return out;
}

std::vector<SampleScenario> sample_scenarios(uint32_t other_ifindex) {
    // sample.pcap comes with the replay command (tests/tools/pcapgen.cc).
    const std::vector<std::string> generic_pcaps = {"pcaps/edge_cases.pcap", "pcaps/fw_traffic.pcap",
                                                    "pcaps/lb_traffic.pcap", "pcaps/sample.pcap"};
    auto plain_udp = [](size_t len) { return build_packet(udp4(len)); };
    auto plain_tcp = [](size_t len) { return build_packet(tcp4(len)); };
    std::vector<SampleScenario> out;
    // hello.bpf.c prints with bpf_printk per packet: one capture is plenty.
    out.push_back({"hello", "hello", "hello", {}, {}, {"pcaps/sample.pcap"}, 1, plain_udp});
    out.push_back({"xdp_pass", "xdp_pass", "xdp_pass_all", {}, {}, generic_pcaps, 1, plain_udp});
    out.push_back({"xdp_drop", "xdp_drop", "xdp_drop_all", {}, {}, generic_pcaps, 1, plain_udp});
    out.push_back({"mac_swap", "mac_swap", "xdp_mac_swap", {}, {}, generic_pcaps, 1, plain_udp});
    out.push_back({"pkt_counter", "pkt_counter", "xdp_count_protocols", {}, {}, generic_pcaps, 1, plain_tcp});
    out.push_back({"firewall", "firewall", "xdp_firewall", {}, fw_entries(), generic_pcaps, 1,
                   // From an allowed source to an open port: both lookups, then pass.
                   plain_tcp});
    out.push_back({"load_balancer", "load_balancer", "xdp_load_balancer", {}, lb_entries(), generic_pcaps, 1,
                   // An established flow to VIP 0: LRU hit, encapsulation, XDP_TX.
                   [](size_t len) {
                       return build_packet(
                           lb_packet("10.100.0.1", 80, kTcp, ipv4("192.168.1.10"), 40000, tcp_flag::Ack, len));
                   }});
    struct RedirectConfig {
        uint32_t monitor_ifindex;
    };
    const std::vector<MapEntry> redirect_entries = {
        {"tx_port", bytes_of(uint32_t{1}), bytes_of(uint32_t{1})},
        {"redirect_cfg", bytes_of(uint32_t{0}), bytes_of(RedirectConfig{1})},
    };
    out.push_back({"redirect_paired", "redirect", "xdp_redirect_ports", {}, redirect_entries, generic_pcaps, 1,
                   plain_udp});
    if (other_ifindex != 0)
        out.push_back({"redirect_unpaired", "redirect", "xdp_redirect_ports", {}, redirect_entries,
                       {"pcaps/edge_cases.pcap", "pcaps/sample.pcap"}, other_ifindex, plain_udp});
    out.push_back({"tail_calls", "tail_calls", "xdp_pipeline_entry", {}, {}, generic_pcaps, 1, plain_tcp});
    out.push_back({"meta_tail", "meta_tail", "xdp_tap", {}, {}, generic_pcaps, 1, plain_udp});
    out.push_back({"global_config_defaults", "global_config", "xdp_configured", {}, {}, generic_pcaps, 1, plain_udp});
    out.push_back({"global_config_set",
                   "global_config",
                   "xdp_configured",
                   {{"blocked_proto", {kUdp}}, {"max_frame_len", bytes_of(uint16_t{1600})}, {"log_drops", {1}}},
                   {},
                   generic_pcaps,
                   1,
                   [](size_t len) { return build_packet(tcp4(len)); }});
    return out;
}

}  // namespace xdpdk::test
