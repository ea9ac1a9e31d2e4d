// BPF_F_BROADCAST and BPF_F_EXCLUDE_INGRESS on bpf_redirect_map
// (tests/progs/redirect_broadcast): the verdicts against the kernel's for
// each map type and flag set, in both engines (the kernel's test run returns
// the verdict without sending), the targets the VM computes (every entry, the
// ingress device left out on request, in the kernel's order), and replay's
// --jsonl record of a broadcast with its target list.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/replay/pcap_io.h"
#include "dual_runtime.h"
#include "kernel_oracle.h"
#include "test_support.h"
#include "vm/engine.h"
#include "vm/maps/devmap_broadcast.h"
#include "vm/object.h"
#include "vm/packet.h"

namespace xdpdk::test {
namespace {

using nlohmann::json;

constexpr uint64_t kBroadcast = 1u << 3, kExcludeIngress = 1u << 4;
constexpr uint32_t kDevmap = 0, kDevmapHash = 1, kCpumap = 2;

struct FloodConfig {
    uint64_t flags;
    uint32_t key;
    uint32_t map;
};

template <typename T>
Bytes bytes_of(const T& v) {
    Bytes b(sizeof v);
    std::memcpy(b.data(), &v, sizeof v);
    return b;
}

Bytes frame() {
    Bytes f(64, 0);
    f[12] = 0x08;
    return f;
}

// Entries (key -> ifindex): devmap slots 0, 2, 5; devmap_hash keys 7, 100,
// 3000. Ifindex 1 (loopback) is the ingress of the kernel's test run.
const std::vector<std::pair<uint32_t, uint32_t>> kDevmapEntries = {{0, 1}, {2, 1}, {5, 1}};
const std::vector<std::pair<uint32_t, uint32_t>> kHashEntries = {{7, 1}, {100, 1}, {3000, 1}};

TEST(Broadcast, VerdictsMatchTheKernelForEachMapAndFlag) {
    SKIP_WITHOUT_KERNEL();
    struct Case {
        uint32_t map, key;
        uint64_t flags;
    };
    const std::vector<Case> cases = {
        {kDevmap, 0, kBroadcast},
        {kDevmap, 1, kBroadcast},                      // no entry at the key: still a redirect
        {kDevmap, 1, kBroadcast | 2},                  // the action bits are not used when broadcasting
        {kDevmap, 3, kBroadcast | kExcludeIngress},
        {kDevmap, 1, kExcludeIngress | 2},             // without BROADCAST: the missing key's action
        {kDevmap, 0, kExcludeIngress},
        {kDevmap, 0, 1u << 5},                         // an unknown flag: XDP_ABORTED
        {kDevmap, 0, kBroadcast | (1u << 6)},
        {kDevmapHash, 7, kBroadcast},
        {kDevmapHash, 8, kBroadcast | kExcludeIngress},
        {kDevmapHash, 8, 2},
        {kCpumap, 0, kBroadcast},                      // only devmaps take the broadcast flags
        {kCpumap, 0, kExcludeIngress | 1},
    };
    for (vm::EngineKind engine : {vm::EngineKind::Interp, vm::EngineKind::Jit}) {
        SCOPED_TRACE(engine == vm::EngineKind::Jit ? "jit" : "interp");
        DualRuntime rt;
        rt.engine = engine;
        std::vector<MapEntry> entries;
        for (const auto& [k, ifindex] : kDevmapEntries) entries.push_back({"flood_ports", bytes_of(k), bytes_of(ifindex)});
        for (const auto& [k, ifindex] : kHashEntries)
            entries.push_back({"flood_ports_hash", bytes_of(k), bytes_of(ifindex)});
        ASSERT_EQ(rt.open(test_prog_path("redirect_broadcast"), {}, entries), "");
        ASSERT_EQ(rt.select_program("flood"), "");
        for (const Case& c : cases) {
            const std::string when = "map " + std::to_string(c.map) + " key " + std::to_string(c.key) + " flags " +
                                     std::to_string(c.flags);
            const FloodConfig cfg{c.flags, c.key, c.map};
            ASSERT_TRUE(rt.kernel->map_update("flood_config", bytes_of(uint32_t{0}), bytes_of(cfg)).ok());
            ASSERT_EQ(rt.vm_obj->find_map("flood_config")->user_update(bytes_of(uint32_t{0}).data(), &cfg, 0), 0);
            DualRuntime::Outcome out;
            EXPECT_EQ(rt.run_and_compare(frame(), {}, 0, &out), "") << when;
            // The broadcasts are redirects; the rest is what the kernel says.
            if ((c.flags & kBroadcast) && c.map != kCpumap && !(c.flags & ~(kBroadcast | kExcludeIngress | 3))) {
                EXPECT_EQ(out.vm_action, vm::XDP_REDIRECT) << when;
            }
        }
    }
}

// Which entries a broadcast reaches, from ingress ifindex 2.
TEST(Broadcast, TargetsAreEveryEntryButTheIngressOnRequest) {
    vm::ObjectOptions opts;
    auto obj = vm::Object::open(test_prog_path("redirect_broadcast"), opts);
    ASSERT_TRUE(obj) << obj.error().str();
    ASSERT_TRUE((*obj)->load());
    vm::Map* devmap = (*obj)->find_map("flood_ports");
    vm::Map* hash = (*obj)->find_map("flood_ports_hash");
    for (uint32_t k : {6u, 1u, 4u}) {  // ifindexes 7, 2, 5
        const uint32_t ifindex = k + 1;
        ASSERT_EQ(devmap->user_update(&k, &ifindex, 0), 0);
        ASSERT_EQ(hash->user_update(&k, &ifindex, 0), 0);
    }
    auto keys = [](const std::vector<vm::maps::BroadcastTarget>& ts) {
        std::vector<uint32_t> out;
        for (const auto& t : ts) out.push_back(t.key * 100 + t.ifindex);
        return out;
    };
    // A devmap in index order, as the kernel walks it.
    EXPECT_EQ(keys(vm::maps::broadcast_targets(*devmap, 2, kBroadcast)), (std::vector<uint32_t>{102, 405, 607}));
    EXPECT_EQ(keys(vm::maps::broadcast_targets(*devmap, 2, kBroadcast | kExcludeIngress)),
              (std::vector<uint32_t>{405, 607}));
    EXPECT_EQ(keys(vm::maps::broadcast_targets(*devmap, 9, kBroadcast | kExcludeIngress)).size(), 3u);
    auto hashed = keys(vm::maps::broadcast_targets(*hash, 2, kBroadcast | kExcludeIngress));
    std::sort(hashed.begin(), hashed.end());
    EXPECT_EQ(hashed, (std::vector<uint32_t>{405, 607}));
}

TEST(Broadcast, ReplayRecordsTheTargetList) {
    const std::string dir = temp_dir();
    const std::string pcap = dir + "/in.pcap";
    {
        auto w = xdpdk::cli::PcapWriter::open(pcap, DLT_EN10MB);
        ASSERT_TRUE(w.ok());
        for (int i = 0; i < 2; ++i) (*w)->write({0, 0}, 64, frame());
        ASSERT_TRUE((*w)->close().ok());
    }
    // Ports with ifindexes 1, 2, 3 at slots 0, 1, 2; the frames come in on 2.
    write_file(dir + "/maps.json", R"({
        "flood_config": [{"key": "00000000", "value": "18000000000000000000000000000000"}],
        "flood_ports": [{"key": "00000000", "value": "01000000"}, {"key": "01000000", "value": "02000000"},
                        {"key": "02000000", "value": "03000000"}]})");
    const CommandResult r = run_command({xdpdk_binary(), "replay", test_prog_path("redirect_broadcast"), pcap,
                                         "--ifindex", "2", "--maps-in", dir + "/maps.json", "--jsonl",
                                         dir + "/out.jsonl"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream lines(read_file(dir + "/out.jsonl"));
    int records = 0;
    for (std::string line; std::getline(lines, line); ++records) {
        const json rec = json::parse(line);
        EXPECT_EQ(rec.at("action"), "XDP_REDIRECT");
        EXPECT_EQ(rec.at("redirect"), json::parse(R"({"map":"flood_ports","broadcast":true,"exclude_ingress":true,
            "targets":[{"key":0,"ifindex":1},{"key":2,"ifindex":3}]})"))
            << line;
    }
    EXPECT_EQ(records, 2);
}

}  // namespace
}  // namespace xdpdk::test
