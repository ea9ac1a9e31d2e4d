// Pruning at least as effective as Linux's (issue 13): the bounded parsing
// loops of tests/progs (an IPv6 extension-header walk, a TCP-options walk)
// and an xdp-filter-like program are accepted by xdpdk and by the kernel,
// xdpdk processes no more instructions than Linux reports for them and for
// every sample in progs/, and on packets that take their paths both
// runtimes give the same verdicts, bytes and maps.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "kernel_oracle.h"
#include "test_support.h"
#include "tests/tools/packet_builder.h"
#include "verifier_stats.h"
#include "vm/engine.h"
#include "vm/map.h"
#include "vm/object.h"
#include "vm/packet.h"

namespace xdpdk::test {
namespace {

#define SKIP_WITHOUT_KERNEL()                                                                  \
    do {                                                                                       \
        if (!kernel_unavailable_reason().empty())                                              \
            GTEST_SKIP() << "kernel oracle unavailable: " << kernel_unavailable_reason();      \
    } while (0)

// The pruning programs, and the other test programs of issue 13 (named
// sections, loader-sized maps, .rodata knobs, root's rules, global functions).
const char* const kNewPrograms[] = {"ipv6_ext_walk", "tcp_opts_walk",   "filter_like",       "xdp_named_sections",
                                    "map_sized_by_loader", "rodata_knobs", "priv_lb", "priv_lb_v3",
                                    "priv_global_funcs"};
const char* const kSamples[] = {"xdp_pass",  "xdp_drop",   "mac_swap",  "pkt_counter",   "firewall",   "load_balancer",
                                "redirect",  "tail_calls", "meta_tail", "global_config", "hello",      "frags_stamp"};

void expect_no_more_than_linux(const std::string& path) {
    auto ours = xdpdk_verify_object(path);
    ASSERT_TRUE(ours.ok()) << path << ": xdpdk refuses: " << ours.error().str();
    auto theirs = kernel_verify_object(path);
    ASSERT_TRUE(theirs.ok()) << path << ": Linux refuses: " << theirs.error().str();
    for (const auto& [name, run] : *ours) {
        auto it = theirs->find(name);
        ASSERT_NE(it, theirs->end()) << path << ": Linux did not verify " << name;
        EXPECT_LE(run.processed, it->second.processed)
            << path << " " << name << ": xdpdk processed " << run.processed << " insns, Linux " << it->second.processed;
        std::printf("  %-16s %-22s xdpdk %7llu  Linux %7llu\n", std::filesystem::path(path).stem().c_str(), name.c_str(),
                    static_cast<unsigned long long>(run.processed),
                    static_cast<unsigned long long>(it->second.processed));
    }
}

TEST(PruningCounts, NewProgramsNoMoreThanLinux) {
    SKIP_WITHOUT_KERNEL();
    for (const char* name : kNewPrograms) expect_no_more_than_linux(test_prog_path(name));
}

TEST(PruningCounts, SamplesNoMoreThanLinux) {
    SKIP_WITHOUT_KERNEL();
    for (const char* name : kSamples) expect_no_more_than_linux(prog_path(name));
}

// ---------------------------------------------------------------------------
// Packets through both runtimes.

std::string hex(std::span<const uint8_t> b) {
    std::string s;
    char buf[4];
    for (uint8_t c : b) {
        std::snprintf(buf, sizeof buf, "%02x", c);
        s += buf;
    }
    return s;
}

struct Entry {
    std::string map;
    Bytes key, value;
};

// One object loaded into both runtimes with the same map contents.
class Dual {
public:
    void open(const std::string& path, const std::string& prog, const std::vector<Entry>& entries) {
        auto k = KernelObject::open(path);
        ASSERT_TRUE(k.ok()) << k.error().str();
        kernel_ = std::move(k).value();
        ASSERT_TRUE(kernel_->load().ok());
        vm::ObjectOptions opts;
        opts.ncpus = kernel_possible_cpus();
        auto v = vm::Object::open(path, opts);
        ASSERT_TRUE(v.ok()) << v.error().str();
        vm_ = std::move(v).value();
        auto st = vm_->load();
        ASSERT_TRUE(st.ok()) << st.error().str();
        auto p = vm_->find_program(prog);
        ASSERT_TRUE(p.ok()) << p.error().str();
        prog_ = p.value();
        name_ = prog;
        for (const Entry& e : entries) {
            ASSERT_TRUE(kernel_->map_update(e.map, e.key, e.value).ok()) << e.map;
            vm::Map* m = vm_->find_map(e.map);
            ASSERT_NE(m, nullptr) << e.map;
            ASSERT_EQ(m->user_update(e.key.data(), e.value.data(), vm::kAny), 0) << e.map;
        }
    }

    // Runs `packet` through both; expects the same verdict and bytes, and
    // the kernel's verdict to be `expected` (the path the packet is for).
    void run(const std::string& what, const Bytes& packet, uint32_t expected) {
        auto k = kernel_->run_xdp(name_, packet);
        ASSERT_TRUE(k.ok()) << k.error().str();
        vm::PacketFrame frame(packet, 1, 0);
        vm::ExecContext ex;
        const uint32_t action = static_cast<uint32_t>(vm::run_xdp(*prog_, frame.xdp(), ex));
        EXPECT_EQ(k->action, expected) << what << ": the kernel's verdict";
        EXPECT_EQ(action, k->action) << what << ": verdict";
        EXPECT_EQ(hex(frame.data()), hex(k->data)) << what << ": packet bytes";
    }

    void expect_same_maps() {
        auto dumps = kernel_->dump_maps();
        ASSERT_TRUE(dumps.ok()) << dumps.error().str();
        for (const MapDump& km : *dumps) {
            const vm::Map* m = vm_->find_map(km.name);
            ASSERT_NE(m, nullptr) << km.name;
            std::map<Bytes, Bytes, BytesLess> entries;
            Bytes key(km.key_size), next(km.key_size), value(m->user_value_size());
            const void* prev = nullptr;
            while (m->next_key(prev, next.data()) == 0) {
                key = next;
                prev = key.data();
                if (m->user_lookup(key.data(), value.data()) == 0) entries[key] = value;
            }
            ASSERT_EQ(entries.size(), km.entries.size()) << "map " << km.name;
            for (const auto& [kk, kv] : km.entries) {
                auto it = entries.find(kk);
                ASSERT_NE(it, entries.end()) << "map " << km.name << " key " << hex(kk) << " is in the kernel only";
                EXPECT_EQ(hex(it->second), hex(kv)) << "map " << km.name << " key " << hex(kk);
            }
        }
    }

private:
    std::unique_ptr<KernelObject> kernel_;
    std::unique_ptr<vm::Object> vm_;
    vm::Program* prog_ = nullptr;
    std::string name_;
};

template <class T>
Bytes le(T v) {
    Bytes b(sizeof(T));
    std::memcpy(b.data(), &v, sizeof(T));
    return b;
}

void append(Bytes& b, std::initializer_list<uint8_t> bytes) { b.insert(b.end(), bytes); }

Bytes ethernet(uint16_t type) {
    Bytes b = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
    append(b, {uint8_t(type >> 8), uint8_t(type)});
    return b;
}

// ---- IPv6 extension headers ----

struct Ext {
    uint8_t type;   // IPPROTO_HOPOPTS (0), ROUTING (43), FRAGMENT (44), AH (51), DSTOPTS (60)
    uint8_t len;    // the header's length field
    uint16_t frag = 0;  // FRAGMENT: offset and flags, host order
};

Bytes ipv6_chain(const std::vector<Ext>& chain, uint8_t last, size_t tail = 20, size_t cut = 0) {
    Bytes body;
    for (size_t i = 0; i < chain.size(); ++i) {
        const Ext& e = chain[i];
        const uint8_t next = i + 1 < chain.size() ? chain[i + 1].type : last;
        size_t size = e.type == 44 ? 8 : e.type == 51 ? (e.len + 2) * 4 : (e.len + 1) * 8;
        Bytes h(size, 0);
        h[0] = next;
        h[1] = e.len;
        if (e.type == 44) h[2] = uint8_t(e.frag >> 8), h[3] = uint8_t(e.frag);
        body.insert(body.end(), h.begin(), h.end());
    }
    for (size_t i = 0; i < tail; ++i) body.push_back(uint8_t(0x40 + i));
    Bytes p = ethernet(0x86dd);
    append(p, {0x60, 0, 0, 0, uint8_t(body.size() >> 8), uint8_t(body.size()), chain.empty() ? last : chain[0].type, 64});
    for (int i = 0; i < 32; ++i) p.push_back(uint8_t(i < 16 ? 0x20 : 0x30));
    p.insert(p.end(), body.begin(), body.end());
    if (cut) p.resize(p.size() - cut);
    return p;
}

TEST(PruningDiff, Ipv6ExtensionHeaderWalk) {
    SKIP_WITHOUT_KERNEL();
    Dual d;
    ASSERT_NO_FATAL_FAILURE(d.open(test_prog_path("ipv6_ext_walk"), "xdp_ipv6_ext_walk", {}));
    constexpr uint32_t kDrop = 1, kPass = 2;
    d.run("no extension headers", ipv6_chain({}, 6), kPass);
    d.run("hop-by-hop, destination options", ipv6_chain({{0, 0}, {60, 1}}, 17), kPass);
    d.run("routing, first fragment", ipv6_chain({{43, 2}, {44, 0, 0x0001}}, 6), kPass);
    d.run("later fragment", ipv6_chain({{44, 0, 0x0008}}, 6), kDrop);
    d.run("authentication header", ipv6_chain({{51, 4}}, 58), kPass);
    std::vector<Ext> eight;
    for (int i = 0; i < 8; ++i) eight.push_back({uint8_t(i % 2 ? 60 : 0), uint8_t(i % 3)});
    d.run("eight headers", ipv6_chain(eight, 6), kPass);
    std::vector<Ext> nine = eight;
    nine.push_back({60, 0});
    d.run("nine headers (past the bound)", ipv6_chain(nine, 6), kDrop);
    d.run("header cut short", ipv6_chain({{0, 0}, {43, 3}}, 6, 0, 24), kDrop);
    d.run("nothing after the chain", ipv6_chain({{0, 0}}, 17, 0), kDrop);
    PacketSpec v4;
    v4.l4 = 6;
    d.run("IPv4", build_packet(v4), kPass);
    d.expect_same_maps();
}

// ---- TCP options ----

Bytes tcp_with_options(const Bytes& opts, size_t doff_bytes = 0, size_t cut = 0, uint16_t sport = 40000) {
    const size_t opt_len = doff_bytes ? doff_bytes : (opts.size() + 3) / 4 * 4;
    Bytes tcp = {uint8_t(sport >> 8), uint8_t(sport), 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, uint8_t((20 + opt_len) / 4 << 4),
                 0x02, 0xff, 0xff, 0x12, 0x34, 0, 0};
    Bytes o = opts;
    o.resize(opt_len, 0);
    tcp.insert(tcp.end(), o.begin(), o.end());
    for (int i = 0; i < 8; ++i) tcp.push_back(uint8_t(i));
    Bytes p = ethernet(0x0800);
    const size_t total = 20 + tcp.size();
    append(p, {0x45, 0, uint8_t(total >> 8), uint8_t(total), 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2});
    p.insert(p.end(), tcp.begin(), tcp.end());
    if (cut) p.resize(p.size() - cut);
    return p;
}

TEST(PruningDiff, TcpOptionsWalk) {
    SKIP_WITHOUT_KERNEL();
    Dual d;
    ASSERT_NO_FATAL_FAILURE(d.open(test_prog_path("tcp_opts_walk"), "xdp_tcp_opts_walk",
                                   {{"mss_limit", le<uint32_t>(0), le<uint32_t>(1400)}}));
    constexpr uint32_t kDrop = 1, kPass = 2;
    const Bytes mss1460 = {2, 4, 0x05, 0xb4};
    const Bytes ts = {8, 10, 1, 2, 3, 4, 0, 0, 0, 0};
    Bytes syn = mss1460;
    append(syn, {1, 1});
    syn.insert(syn.end(), ts.begin(), ts.end());
    append(syn, {1, 3, 3, 7});
    d.run("MSS above the limit (clamped), timestamp", tcp_with_options(syn), kPass);
    d.run("MSS below the limit", tcp_with_options({2, 4, 0x04, 0xb0}), kPass);
    d.run("no options", tcp_with_options({}), kPass);
    d.run("option length 0", tcp_with_options({2, 0, 0, 0}), kDrop);
    d.run("option longer than the options", tcp_with_options({1, 1, 8, 10, 0, 0, 0, 0}), kDrop);
    d.run("end of options first", tcp_with_options({0, 2, 4, 0x05, 0xb4}), kPass);
    Bytes nops = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 0x05, 0xb4};
    d.run("MSS after 16 NOPs (past the step bound)", tcp_with_options(nops), kPass);
    d.run("options cut short by the packet", tcp_with_options(syn, 0, 8 + 12), kPass);
    Bytes ts2 = {1, 1, 8, 10, 9, 8, 7, 6, 0, 0, 0, 0};
    d.run("timestamp from another port", tcp_with_options(ts2, 0, 0, 41000), kPass);
    Bytes many;
    for (int i = 0; i < 10; ++i) append(many, {3, 3, uint8_t(i)});
    append(many, {2, 4, 0x06, 0x00});
    d.run("ten window-scale options, then MSS", tcp_with_options(many), kPass);
    PacketSpec udp;
    d.run("UDP", build_packet(udp), kPass);
    d.expect_same_maps();
}

// ---- xdp-filter-like ----

constexpr uint64_t kSrc = 1ull << 32, kDst = 1ull << 33, kTcp = 1ull << 34, kUdp = 1ull << 35;

std::vector<Entry> filter_entries(uint32_t features) {
    std::vector<Entry> e;
    e.push_back({"filter_config", le<uint32_t>(0), le<uint32_t>(features)});
    e.push_back({"filter_ports", le<uint32_t>(80), le<uint64_t>(kDst | kTcp)});
    e.push_back({"filter_ports", le<uint32_t>(53), le<uint64_t>(kSrc | kUdp)});
    e.push_back({"filter_ipv4", {10, 9, 9, 9}, le<uint64_t>(kSrc)});
    const Ipv6Addr a6 = ipv6("2001:db8::66");
    e.push_back({"filter_ipv6", Bytes(a6.begin(), a6.end()), le<uint64_t>(kDst)});
    e.push_back({"filter_ethernet", {0x02, 0, 0, 0, 0, 0x99}, le<uint64_t>(kSrc)});
    return e;
}

void run_filter_packets(Dual& d, uint32_t on_hit, uint32_t on_miss) {
    auto spec = [] {
        PacketSpec s;
        s.l4 = 6;
        s.sport = 40000;
        s.dport = 81;
        s.src6 = ipv6("2001:db8::1");
        s.dst6 = ipv6("2001:db8::2");
        return s;
    };
    PacketSpec s = spec();
    d.run("IPv4 TCP, no entry", build_packet(s), on_miss);
    s.dport = 80;
    d.run("IPv4 TCP to port 80", build_packet(s), on_hit);
    s = spec();
    s.l4 = 17;
    s.sport = 53;
    d.run("IPv4 UDP from port 53", build_packet(s), on_hit);
    s.l4 = 6;
    d.run("IPv4 TCP from port 53 (a UDP entry)", build_packet(s), on_miss);
    s = spec();
    s.src4 = ipv4("10.9.9.9");
    d.run("IPv4 from a listed source", build_packet(s), on_hit);
    s = spec();
    s.l3 = L3::Ipv6;
    d.run("IPv6 TCP, no entry", build_packet(s), on_miss);
    s.dst6 = ipv6("2001:db8::66");
    d.run("IPv6 to a listed destination", build_packet(s), on_hit);
    s = spec();
    s.l3 = L3::Ipv6;
    s.l4 = 17;
    s.sport = 53;
    d.run("IPv6 UDP from port 53", build_packet(s), on_hit);
    s = spec();
    s.vlan_tcis = {100};
    s.dport = 80;
    d.run("VLAN, TCP to port 80", build_packet(s), on_hit);
    s.vlan_tcis = {100, 200};
    d.run("two VLAN tags, TCP to port 80", build_packet(s), on_hit);
    s.vlan_tcis = {100, 200};
    s.dport = 81;
    d.run("two VLAN tags, no entry", build_packet(s), on_miss);
    s = spec();
    s.src_mac = {0x02, 0, 0, 0, 0, 0x99};
    d.run("listed source MAC", build_packet(s), on_hit);
    s = spec();
    s.l3 = L3::Arp;
    d.run("ARP", build_packet(s), on_miss);
    s = spec();
    s.frame_len = 30;
    d.run("IPv4 cut short", build_packet(s), on_miss);
}

TEST(PruningDiff, FilterLikeDenyMode) {
    SKIP_WITHOUT_KERNEL();
    Dual d;
    ASSERT_NO_FATAL_FAILURE(d.open(test_prog_path("filter_like"), "xdp_filter_like", filter_entries(0x1f)));
    run_filter_packets(d, 1, 2);
    d.expect_same_maps();
}

TEST(PruningDiff, FilterLikeAllowModeWithoutEthernet) {
    SKIP_WITHOUT_KERNEL();
    Dual d;
    // Allow mode; the MAC lookup off, so the listed MAC misses (dropped).
    ASSERT_NO_FATAL_FAILURE(d.open(test_prog_path("filter_like"), "xdp_filter_like", filter_entries(0x3e)));
    PacketSpec s;
    s.src_mac = {0x02, 0, 0, 0, 0, 0x99};
    s.l4 = 6;
    s.dport = 81;
    d.run("listed source MAC, MAC lookup off", build_packet(s), 1);
    s.dport = 80;
    d.run("TCP to port 80", build_packet(s), 2);
    d.expect_same_maps();
}

}  // namespace
}  // namespace xdpdk::test
