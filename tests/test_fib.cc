// bpf_fib_lookup and bpf_check_mtu against the Linux kernel: a network
// namespace of our own with veth devices, addresses, routes (gateway,
// on-link, locked MTU, blackhole, unreachable, prohibit, another table) and
// neighbours (some missing), forwarding off on one device. In it the kernel
// runs progs/fib_router.o with BPF_PROG_TEST_RUN on packets to many
// destinations, with every lookup flag, from two ingress devices, at three
// sizes; xdpdk runs the same packets, in both engines, once with the table
// written as [[route]]/[[neighbor]]/[[interface]] TOML and once with the
// table mirrored from the namespace over rtnetlink (--fib host). Verdicts,
// packets and the lookup's return code and struct bpf_fib_lookup must match.
// The namespace goes away at the end, also when a test fails. Skips without
// bpf() or without the right to make namespaces.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/fib/host_fib.h"
#include "dataplane/tool/fib_config.h"
#include "dataplane/tool/run_config_toml.h"
#include "dual_runtime.h"
#include "fib_netns.h"
#include "kernel_oracle.h"
#include "test_support.h"
#include "tests/tools/packet_builder.h"
#include "vm/fib.h"
#include "vm/map.h"
#include "vm/reclaim.h"

namespace xdpdk::test {
namespace {

// linux/bpf.h's lookup flags and struct size (its struct bpf_insn clashes
// with libpcap's, which this test also needs).
constexpr uint32_t BPF_FIB_LOOKUP_DIRECT = 1, BPF_FIB_LOOKUP_OUTPUT = 2, BPF_FIB_LOOKUP_SKIP_NEIGH = 4,
                   BPF_FIB_LOOKUP_TBID = 8, BPF_FIB_LOOKUP_SRC = 16;
constexpr size_t kFibParamsSize = 64;  // sizeof(struct bpf_fib_lookup)

constexpr vm::EngineKind kEngines[] = {vm::EngineKind::Interp, vm::EngineKind::Jit};
const char* engine_name(vm::EngineKind e) { return e == vm::EngineKind::Jit ? "jit" : "interp"; }

const char* const kDestinations4[] = {"10.1.0.2",  "10.1.0.1",  "10.1.0.255", "10.2.0.9",  "10.2.0.7", "10.2.0.255",
                                      "10.10.1.1", "10.10.5.5", "10.11.0.1",  "10.12.0.1", "10.13.0.1", "10.20.0.1",
                                      "10.21.0.1", "10.22.0.1", "10.30.0.1",  "10.3.0.5",  "192.0.2.1"};
const char* const kDestinations6[] = {"fd01::2",  "fd01::1",  "fd02::9",  "fd02::7",  "fd10::1",  "fd10:5::5",
                                      "fd11::1",  "fd12::1",  "fd20::1",  "fd21::1",  "fd22::1",  "fd30::1",
                                      "fd03::5",  "2001:db8::1", "fe80::1"};
constexpr uint32_t kFlagSets[] = {
    0,
    BPF_FIB_LOOKUP_DIRECT,
    BPF_FIB_LOOKUP_OUTPUT,
    BPF_FIB_LOOKUP_SKIP_NEIGH,
    BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_TBID,
    BPF_FIB_LOOKUP_SRC,
    BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_SKIP_NEIGH | BPF_FIB_LOOKUP_SRC,
    1u << 7,  // unknown: -EINVAL
};
constexpr size_t kFrameLens[] = {114, 1214, 1464};  // tot_len 100, 1200, 1450 (IPv4)

Bytes le32(uint32_t v) { return {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)}; }

struct Packet {
    std::string what;
    Bytes bytes;
};

std::vector<Packet> router_packets() {
    std::vector<Packet> out;
    for (size_t len : kFrameLens) {
        for (const char* dst : kDestinations4) {
            PacketSpec p;
            p.src4 = ipv4("10.1.0.2");
            p.dst4 = ipv4(dst);
            p.frame_len = len;
            out.push_back({std::string(dst) + " len " + std::to_string(len), build_packet(p)});
        }
        for (const char* dst : kDestinations6) {
            PacketSpec p;
            p.l3 = L3::Ipv6;
            p.src6 = ipv6("fd01::2");
            p.dst6 = ipv6(dst);
            p.frame_len = len + 20;  // payload_len 80, 1180, 1430
            out.push_back({std::string(dst) + " len " + std::to_string(p.frame_len), build_packet(p)});
        }
    }
    return out;
}

class FibTest : public ::testing::Test {
protected:
    void SetUp() override {
        SKIP_WITHOUT_KERNEL();
        netns_ = std::make_unique<TestNetns>();
        if (!netns_->ok()) GTEST_SKIP() << "cannot create a network namespace (ip netns add)";
        ASSERT_EQ(build_fib_topology(*netns_), "");
        ASSERT_TRUE(netns_->enter()) << "setns into the test namespace";
        r0_ = if_nametoindex("r0");
        r1_ = if_nametoindex("r1");
        r2_ = if_nametoindex("r2");
        ASSERT_NE(r0_ * r1_ * r2_, 0u);
    }
    void TearDown() override { netns_.reset(); }

    // Both runtimes with the router; `fib` for the VM's lookups.
    void open(DualRuntime& rt, vm::EngineKind engine, const std::string& prog) {
        rt.engine = engine;
        ASSERT_EQ(rt.open(test_prog_path("fib_router"), {}, {}), "");
        ASSERT_EQ(rt.select_program(prog), "");
        rt.fib = &fib_;
    }

    void set_both(DualRuntime& rt, const std::string& map, const Bytes& value) {
        const Bytes key = le32(0);
        ASSERT_TRUE(rt.kernel->map_update(map, key, value).ok()) << map;
        ASSERT_EQ(rt.vm_obj->find_map(map)->user_update(key.data(), value.data(), vm::kAny), 0) << map;
    }

    // Every packet with every flag set from r0 and r2; returns runs compared.
    int compare_router(DualRuntime& rt, const std::string& source) {
        int runs = 0, mismatches = 0;
        const auto packets = router_packets();
        for (uint32_t flags : kFlagSets) {
            set_both(rt, "lookup_flags", le32(flags));
            for (uint32_t ingress : {r0_, r2_}) {
                for (const Packet& p : packets) {
                    set_both(rt, "last_lookup", Bytes(8 + kFibParamsSize, 0));
                    const std::string when = source + " " + engine_name(rt.engine) + ": " + p.what + " flags " +
                                             std::to_string(flags) + " ingress " + std::to_string(ingress);
                    XdpRunOptions o;
                    o.ingress_ifindex = ingress;
                    const std::string diff = rt.run_and_compare(p.bytes, o, 0);
                    if (!diff.empty() && ++mismatches <= kMaxReportedMismatches) ADD_FAILURE() << when << ": " << diff;
                    if (mismatches <= kMaxReportedMismatches) rt.expect_same_maps(true, when);
                    ++runs;
                }
            }
        }
        EXPECT_EQ(mismatches, 0);
        return runs;
    }

    std::unique_ptr<TestNetns> netns_;
    uint32_t r0_ = 0, r1_ = 0, r2_ = 0;
    vm::Fib fib_;
    vm::ReclaimThread reclaim_;
};

// The outcomes must differ among themselves, or the comparison proves little.
void expect_varied_codes(DualRuntime& rt, const std::vector<Packet>& packets, uint32_t ingress) {
    std::set<int64_t> codes;
    for (const Packet& p : packets) {
        vm::PacketFrame frame(p.bytes, ingress, 0);
        vm::ExecContext ex;
        ex.fib = rt.fib;
        (void)vm::run_xdp(*rt.vm_prog, frame.xdp(), ex);
        Bytes rec(8 + kFibParamsSize);
        const Bytes key = le32(0);
        ASSERT_EQ(rt.vm_obj->find_map("last_lookup")->user_lookup(key.data(), rec.data()), 0);
        int64_t rc;
        std::memcpy(&rc, rec.data(), 8);
        codes.insert(rc);
    }
    // success, blackhole, unreachable, prohibit, not forwarded, no neighbour, frag needed
    for (int64_t want : {0, 1, 2, 3, 4, 7, 8}) EXPECT_TRUE(codes.contains(want)) << "no lookup returned " << want;
}

TEST_F(FibTest, RouterMatchesKernelWithConfiguredTable) {
    auto config = cli::parse_fib_config(fib_topology_toml(r0_, r1_, r2_), "fib.toml");
    ASSERT_TRUE(config.ok()) << config.error().str();
    fib_.publish(std::make_unique<vm::FibTable>(std::move(config->entries)));
    for (vm::EngineKind engine : kEngines) {
        DualRuntime rt;
        ASSERT_NO_FATAL_FAILURE(open(rt, engine, "xdp_router"));
        if (engine == vm::EngineKind::Interp) expect_varied_codes(rt, router_packets(), r0_);
        EXPECT_GT(compare_router(rt, "config"), 1000);
    }
}

TEST_F(FibTest, RouterMatchesKernelWithHostTable) {
    auto mirror = fib::HostFibMirror::start(fib_);
    ASSERT_TRUE(mirror.ok()) << mirror.error().str();
    for (vm::EngineKind engine : kEngines) {
        DualRuntime rt;
        ASSERT_NO_FATAL_FAILURE(open(rt, engine, "xdp_router"));
        EXPECT_GT(compare_router(rt, "host"), 1000);
    }
}

// A route added while the mirror runs reaches lookups without a restart.
TEST_F(FibTest, HostMirrorFollowsRouteChanges) {
    auto mirror = fib::HostFibMirror::start(fib_);
    ASSERT_TRUE(mirror.ok()) << mirror.error().str();
    DualRuntime rt;
    ASSERT_NO_FATAL_FAILURE(open(rt, vm::EngineKind::Jit, "xdp_router"));
    PacketSpec p;
    p.src4 = ipv4("10.1.0.2");
    p.dst4 = ipv4("10.40.0.1");
    const Bytes packet = build_packet(p);
    XdpRunOptions o;
    o.ingress_ifindex = r0_;
    DualRuntime::Outcome before;
    EXPECT_EQ(rt.run_and_compare(packet, o, 0, &before), "");
    EXPECT_EQ(before.vm_action, uint32_t{vm::XDP_PASS});  // no route yet
    const uint64_t published = (*mirror)->published();
    ASSERT_EQ(netns_->ip("route add 10.40.0.0/16 via 10.2.0.2"), "");
    for (int i = 0; i < 200 && (*mirror)->published() == published; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_GT((*mirror)->published(), published) << "the mirror saw no RTM_NEWROUTE";
    DualRuntime::Outcome after;
    EXPECT_EQ(rt.run_and_compare(packet, o, 0, &after), "");
    EXPECT_EQ(after.vm_action, uint32_t{vm::XDP_REDIRECT});
    rt.expect_same_maps(true, "after route add");
    ASSERT_EQ(netns_->ip("route del 10.40.0.0/16"), "");
    const vm::FibAddr dst = vm::parse_fib_addr("10.40.0.1").value();
    for (int i = 0; i < 200 && fib_.current().lookup(vm::kRtTableMain, dst); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    DualRuntime::Outcome gone;
    EXPECT_EQ(rt.run_and_compare(packet, o, 0, &gone), "");
    EXPECT_EQ(gone.vm_action, uint32_t{vm::XDP_PASS});
}

// bpf_check_mtu: the ingress device (ifindex 0), another device, a missing
// one, with and without mtu_len as input, len_diff both ways, and flags.
TEST_F(FibTest, CheckMtuMatchesKernel) {
    auto config = cli::parse_fib_config(fib_topology_toml(r0_, r1_, r2_), "fib.toml");
    ASSERT_TRUE(config.ok()) << config.error().str();
    fib_.publish(std::make_unique<vm::FibTable>(std::move(config->entries)));
    struct Query {
        uint32_t ifindex, mtu_len;
        int32_t len_diff;
        uint32_t flags;
    };
    const std::vector<Query> queries = {
        {0, 0, 0, 0},          {0, 0, 100, 0},     {0, 0, -100, 0},   {r1_, 0, 0, 0},     {r1_, 1400, 0, 0},
        {r1_, 1401, 0, 0},     {r1_, 1300, 101, 0}, {r1_, 1300, 100, 0}, {r2_, 0, 0, 0},  {9999, 0, 0, 0},
        {0, 1500, 0, 0},       {0, 1501, 0, 0},    {0, 0, 0, 1},      {r0_, 0, -2000, 0}, {0, 0x7fffffff, 0, 0},
    };
    int runs = 0;
    for (vm::EngineKind engine : kEngines) {
        DualRuntime rt;
        ASSERT_NO_FATAL_FAILURE(open(rt, engine, "xdp_check_mtu"));
        for (size_t len : {64u, 1400u, 1414u, 1415u, 1514u, 1515u, 3000u}) {
            PacketSpec p;
            p.frame_len = len;
            const Bytes packet = build_packet(p);
            for (const Query& q : queries) {
                Bytes args = le32(q.ifindex);
                for (uint32_t v : {q.mtu_len, static_cast<uint32_t>(q.len_diff), q.flags}) {
                    const Bytes b = le32(v);
                    args.insert(args.end(), b.begin(), b.end());
                }
                set_both(rt, "mtu_args", args);
                set_both(rt, "last_mtu", Bytes(16, 0));
                for (uint32_t ingress : {r0_, r1_}) {
                    XdpRunOptions o;
                    o.ingress_ifindex = ingress;
                    const std::string when = std::string(engine_name(engine)) + " len " + std::to_string(len) +
                                             " ifindex " + std::to_string(q.ifindex) + " mtu_len " +
                                             std::to_string(q.mtu_len) + " diff " + std::to_string(q.len_diff) +
                                             " ingress " + std::to_string(ingress);
                    EXPECT_EQ(rt.run_and_compare(packet, o, 0), "") << when;
                    rt.expect_same_maps(true, when);
                    ++runs;
                }
            }
        }
    }
    EXPECT_GT(runs, 200);
}

// `xdpdk replay --fib host` and `--fib FILE` in the namespace: per packet the
// kernel's verdict and bytes (flags 0, ingress r0).
TEST_F(FibTest, ReplayWithFibMatchesKernel) {
    const std::string dir = temp_dir();
    const auto packets = router_packets();
    std::vector<Bytes> frames;
    for (const Packet& p : packets) frames.push_back(p.bytes);
    ASSERT_EQ(write_pcap(dir + "/in.pcap", frames), "");
    write_file(dir + "/fib.toml", fib_topology_toml(r0_, r1_, r2_));
    DualRuntime rt;
    ASSERT_NO_FATAL_FAILURE(open(rt, vm::EngineKind::Jit, "xdp_router"));
    std::vector<XdpRun> kernel;
    XdpRunOptions o;
    o.ingress_ifindex = r0_;
    for (const Bytes& f : frames) {
        auto k = rt.kernel->run_xdp("xdp_router", f, o);
        ASSERT_TRUE(k.ok()) << k.error().str();
        kernel.push_back(k.value());
    }
    for (const std::string& source : {std::string("host"), dir + "/fib.toml"}) {
        for (const char* engine : {"jit", "interp"}) {
            const std::string jsonl = dir + "/out.jsonl";
            const CommandResult r = run_command({xdpdk_binary(), "replay", test_prog_path("fib_router"), dir + "/in.pcap",
                                                 "--prog", "xdp_router", "--ifindex", std::to_string(r0_), "--fib",
                                                 source, "--engine", engine, "--jsonl", jsonl});
            ASSERT_EQ(r.exit_code, 0) << r.err;
            std::istringstream lines(read_file(jsonl));
            std::string line;
            size_t i = 0, redirected = 0;
            for (; std::getline(lines, line) && i < kernel.size(); ++i) {
                const std::string want_action = "\"retval\":" + std::to_string(kernel[i].action) + ",";
                const std::string want_data = "\"data\":\"" + hex(kernel[i].data, 0, kernel[i].data.size()) + "\"";
                EXPECT_NE(line.find(want_action), std::string::npos) << source << " " << engine << " " << packets[i].what << ": " << line.substr(0, 80);
                EXPECT_NE(line.find(want_data), std::string::npos) << source << " " << engine << " " << packets[i].what;
                redirected += kernel[i].action == vm::XDP_REDIRECT;
            }
            EXPECT_EQ(i, kernel.size());
            EXPECT_GT(redirected, 10u);
        }
    }
}

std::vector<Bytes> pcap_frames(const std::string& path) {
    std::vector<Bytes> frames;
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    EXPECT_NE(p, nullptr) << path << ": " << err;
    if (p == nullptr) return frames;
    pcap_pkthdr* h;
    const u_char* data;
    while (pcap_next_ex(p, &h, &data) == 1) frames.emplace_back(data, data + h->caplen);
    pcap_close(p);
    return frames;
}

// `xdpdk run` with [[route]]/[[neighbor]] naming ports: the router's
// redirects leave through the port the route names, with the neighbour's
// MAC, the port's own MAC as source and the TTL (hop limit) one lower.
TEST(FibRun, ConfiguredRoutesSendOutOfTheirPorts) {
    const std::string dir = temp_dir();
    std::vector<Bytes> in;
    for (const char* dst : {"10.10.0.1", "10.10.7.7", "10.10.9.1", "10.20.0.1", "192.0.2.1"}) {
        PacketSpec p;
        p.dst4 = ipv4(dst);
        p.frame_len = 100;
        in.push_back(build_packet(p));
    }
    for (const char* dst : {"fd10::1", "fd10::2"}) {
        PacketSpec p;
        p.l3 = L3::Ipv6;
        p.src6 = ipv6("fd01::2");
        p.dst6 = ipv6(dst);
        p.frame_len = 120;
        in.push_back(build_packet(p));
    }
    ASSERT_EQ(write_pcap(dir + "/in.pcap", in), "");
    const std::string config = dir + "/run.toml";
    write_file(config, "eal = [\"--no-huge\", \"-m\", \"1024\", \"--no-pci\", \"--file-prefix=xdpdk-fibrun-" +
                           std::to_string(getpid()) + "\", \"-l\", \"0,1\", \"--vdev=net_pcap0,rx_pcap=" + dir +
                           "/in.pcap\", \"--vdev=net_pcap1,tx_pcap=" + dir + "/out1.pcap\", \"--vdev=net_pcap2,tx_pcap=" +
                           dir + "/out2.pcap\"]\n"
                           "duration = 1\nstats_interval = 0\njson = true\n"
                           "[[port]]\nid = 0\nattach = \"" + test_prog_path("fib_router") + "@xdp_router\"\n"
                           "[[port]]\nid = 1\n[[port]]\nid = 2\n"
                           "[[route]]\nprefix = \"10.10.0.0/16\"\nvia = \"10.2.0.2\"\nport = 1\n"
                           "[[route]]\nprefix = \"10.20.0.0/16\"\ntype = \"blackhole\"\n"
                           "[[route]]\nprefix = \"fd10::/32\"\nvia = \"fd02::2\"\nport = 2\n"
                           "[[neighbor]]\nip = \"10.2.0.2\"\nmac = \"02:00:00:00:aa:02\"\nport = 1\n"
                           "[[neighbor]]\nip = \"fd02::2\"\nmac = \"02:00:00:00:bb:02\"\nport = 2\n");
    const CommandResult r = run_command({xdpdk_binary(), "run", "--config", config});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto out1 = pcap_frames(dir + "/out1.pcap"), out2 = pcap_frames(dir + "/out2.pcap");
    ASSERT_EQ(out1.size(), 3u) << r.out;
    ASSERT_EQ(out2.size(), 2u) << r.out;
    const Bytes dmac4 = {0x02, 0, 0, 0, 0xaa, 0x02}, dmac6 = {0x02, 0, 0, 0, 0xbb, 0x02};
    for (const Bytes& f : out1) {
        EXPECT_EQ(Bytes(f.begin(), f.begin() + 6), dmac4);
        EXPECT_EQ(Bytes(f.begin() + 6, f.begin() + 12), Bytes(out1[0].begin() + 6, out1[0].begin() + 12));
        EXPECT_EQ(f[14 + 8], 63);  // ttl
    }
    for (const Bytes& f : out2) {
        EXPECT_EQ(Bytes(f.begin(), f.begin() + 6), dmac6);
        EXPECT_EQ(f[14 + 7], 63);  // hop limit
    }
    // The two ports' own MACs as sources: different devices, different MACs.
    EXPECT_NE(Bytes(out1[0].begin() + 6, out1[0].begin() + 12), Bytes(out2[0].begin() + 6, out2[0].begin() + 12));
    EXPECT_NE(r.out.find("\"XDP_DROP\""), std::string::npos);
}

// A bad route file is one error naming the file and the route; `xdpdk
// replay --fib` exits 1 with that one line.
TEST(FibConfig, BadRoutesAreOneClearError) {
    const std::pair<const char*, const char*> cases[] = {
        {"[[route]]\nprefix = \"10.0.0.0/24\"\ndev = 2\n[[route]]\nprefix = \"10.0.0.300/24\"\ndev = 2\n",
         "fib.toml: route 2: bad prefix '10.0.0.300': not an IPv4 or IPv6 address"},
        {"[[route]]\nprefix = \"10.0.1.0/16\"\ndev = 2\n",
         "fib.toml: route 1: bad prefix '10.0.1.0/16': address has bits set past the prefix length (10.0.1.0 is not a /16 network)"},
        {"[[route]]\nprefix = \"10.0.0.0/33\"\ndev = 2\n",
         "fib.toml: route 1: bad prefix '10.0.0.0/33': prefix length 33 is longer than 32"},
        {"[[route]]\nprefix = \"fd00::/8x\"\ndev = 2\n", "fib.toml: route 1: bad prefix 'fd00::/8x': bad prefix length"},
        {"[[route]]\nprefix = \"10.0.0.0/8\"\n", "fib.toml: route 1: needs dev (an ifindex) or port"},
        {"[[route]]\nprefix = \"10.0.0.0/8\"\ntype = \"blackhole\"\nvia = \"10.1.1.1\"\n",
         "fib.toml: route 1: a blackhole route has no next hop (no via, dev or port)"},
        {"[[route]]\nprefix = \"10.0.0.0/8\"\ntype = \"anycast\"\n",
         "fib.toml: route 1: type 'anycast': not a route type (unicast, local, broadcast, blackhole, unreachable or prohibit)"},
        {"[[route]]\nprefix = \"fd00::/8\"\nvia = \"10.0.0.1\"\ndev = 1\n",
         "fib.toml: route 1: an IPv6 route cannot go through an IPv4 gateway"},
        {"[[neighbor]]\nip = \"10.0.0.1\"\nmac = \"02:00:00:00:00\"\ndev = 1\n",
         "fib.toml: neighbor 1: mac '02:00:00:00:00' is not a MAC address (six hex bytes separated by ':')"},
    };
    for (const auto& [text, want] : cases) {
        auto config = cli::parse_fib_config(text, "fib.toml");
        ASSERT_FALSE(config.ok()) << text;
        EXPECT_EQ(config.error().str(), want);
    }
    const std::string dir = temp_dir();
    write_file(dir + "/fib.toml", cases[0].first);
    const CommandResult r = run_command({xdpdk_binary(), "replay", test_prog_path("fib_router"),
                                         source_path("pcaps/sample.pcap"), "--fib", dir + "/fib.toml"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "xdpdk: " + dir + "/fib.toml: route 2: bad prefix '10.0.0.300': not an IPv4 or IPv6 address\n");
}

// A run config carries [[route]]/[[neighbor]] and `fib`; a bad route in it
// is the same one error.
TEST(FibConfig, RunConfigCarriesTables) {
    auto config = cli::parse_run_config_toml(
        "fib = \"host\"\n[[route]]\nprefix = \"10.0.0.0/8\"\nport = 1\n"
        "[[neighbor]]\nip = \"10.0.0.1\"\nmac = \"02:00:00:00:00:01\"\nport = 1\n",
        "run.toml");
    ASSERT_TRUE(config.ok()) << config.error().str();
    EXPECT_EQ(config->fib_source, "host");
    ASSERT_EQ(config->fib.entries.routes.size(), 1u);
    ASSERT_EQ(config->fib.route_ports.size(), 1u);
    EXPECT_EQ(config->fib.route_ports[0].second, 1u);
    EXPECT_EQ(config->fib.entries.neighbors.size(), 1u);
    auto bad = cli::parse_run_config_toml("[[route]]\nprefix = \"10.0.0.0/x\"\nport = 1\n", "run.toml");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().str(), "run.toml: route 1: bad prefix '10.0.0.0/x': bad prefix length");
}

// The lookup itself, without the kernel: longest prefix, metric order, the
// oif filter of output lookups, and the merged IPv4 local table.
TEST(FibTable, LongestPrefixMetricAndOif) {
    auto config = cli::parse_fib_config(
        "[[route]]\nprefix = \"10.0.0.0/8\"\ndev = 1\n"
        "[[route]]\nprefix = \"10.1.0.0/16\"\ndev = 2\nmetric = 5\n"
        "[[route]]\nprefix = \"10.1.0.0/16\"\ndev = 3\nmetric = 1\n"
        "[[route]]\nprefix = \"10.1.2.3/32\"\ndev = 1\ntype = \"local\"\ntable = 255\n"
        "[[route]]\nprefix = \"::/0\"\ndev = 4\n",
        "t.toml");
    ASSERT_TRUE(config.ok()) << config.error().str();
    const vm::FibTable t(std::move(config->entries));
    auto at = [&](const char* a, uint32_t oif = 0) { return t.lookup(vm::kRtTableMain, vm::parse_fib_addr(a).value(), oif); };
    ASSERT_NE(at("10.9.9.9"), nullptr);
    EXPECT_EQ(at("10.9.9.9")->oif, 1u);
    EXPECT_EQ(at("10.1.9.9")->oif, 3u);       // the lower metric of two
    EXPECT_EQ(at("10.1.9.9", 2)->oif, 2u);    // the other one, for its oif
    EXPECT_EQ(at("10.1.9.9", 1)->oif, 1u);    // neither goes out of 1: the shorter prefix does
    EXPECT_EQ(at("10.1.9.9", 9), nullptr);
    EXPECT_EQ(at("10.1.2.3")->type, vm::RouteType::Local);
    EXPECT_EQ(at("11.0.0.1"), nullptr);
    EXPECT_EQ(at("2001:db8::1")->oif, 4u);
}

}  // namespace
}  // namespace xdpdk::test
