// CPUMAP (issue 15): bpf_redirect_map into a cpumap, against the kernel's
// verdicts, and replay carrying the frame to the target CPU, where the
// entry's xdp/cpumap program runs before the frame goes where XDP_PASS goes.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/replay/pcap_io.h"
#include "kernel_oracle.h"
#include "test_support.h"
#include "vm/engine.h"
#include "vm/object.h"
#include "vm/packet.h"

using namespace xdpdk::test;
using nlohmann::json;

namespace {

std::string steer() { return test_prog_path("cpumap_steer"); }

// A frame whose source MAC ends in `last` (its low bit picks the CPU), `len` bytes.
Bytes frame(uint8_t last, size_t len) {
    Bytes f(len, 0);
    for (int i = 0; i < 6; ++i) f[i] = 0x02;
    f[11] = last;
    f[12] = 0x08;
    return f;
}

TEST(Cpumap, RedirectVerdictsMatchTheKernel) {
    if (!kernel_unavailable_reason().empty()) GTEST_SKIP() << kernel_unavailable_reason();
    auto kernel = KernelObject::open(steer());
    ASSERT_TRUE(kernel.ok()) << kernel.error().str();
    ASSERT_TRUE((*kernel)->load().ok());
    xdpdk::vm::ObjectOptions options;
    options.ncpus = kernel_possible_cpus();
    auto ours = xdpdk::vm::Object::open(steer(), options);
    ASSERT_TRUE(ours.ok()) << ours.error().str();
    ASSERT_TRUE((*ours)->load().ok());
    // CPU 0 has an entry (qsize 64), CPU 1 none: the flags' action (ABORTED).
    const uint32_t cpu0 = 0;
    const uint32_t qsize[2] = {64, 0};
    const auto* key = reinterpret_cast<const uint8_t*>(&cpu0);
    const auto* value = reinterpret_cast<const uint8_t*>(qsize);
    ASSERT_TRUE((*kernel)->map_update("cpu_map", {key, 4}, {value, 8}).ok());
    xdpdk::vm::Map* map = (*ours)->find_map("cpu_map");
    ASSERT_NE(map, nullptr);
    ASSERT_EQ(map->user_update(&cpu0, qsize, 0), 0);
    auto prog = (*ours)->find_program("xdp_steer");
    ASSERT_TRUE(prog.ok());
    for (uint8_t last : {0, 1, 2, 3}) {
        const Bytes f = frame(last, 64);
        auto k = (*kernel)->run_xdp("xdp_steer", f);
        ASSERT_TRUE(k.ok()) << k.error().str();
        xdpdk::vm::PacketFrame ours_frame(f);
        xdpdk::vm::ExecContext ex;
        const uint64_t verdict = xdpdk::vm::run_xdp(**prog, ours_frame.xdp(), ex);
        EXPECT_EQ(verdict, k->action) << "source MAC ending " << int(last);
        EXPECT_EQ(verdict, last % 2 == 0 ? xdpdk::vm::XDP_REDIRECT : xdpdk::vm::XDP_ABORTED);
        if (verdict == xdpdk::vm::XDP_REDIRECT) {
            EXPECT_EQ(ex.redirect.kind, xdpdk::vm::RedirectTarget::Kind::Cpu);
            EXPECT_EQ(ex.redirect.key, 0u);
        }
    }
}

// bpf_redirect_map's flags into a cpumap: the action bits are the verdict
// for a CPU without an entry; BPF_F_BROADCAST and BPF_F_EXCLUDE_INGRESS (devmap
// flags) make it XDP_ABORTED even for a CPU with one, as in the kernel.
TEST(Cpumap, RedirectFlagsMatchTheKernel) {
    if (!kernel_unavailable_reason().empty()) GTEST_SKIP() << kernel_unavailable_reason();
    for (uint64_t flags : {0ull, 1ull, 2ull, 3ull, 8ull, 16ull, 16ull | 2ull, 4ull}) {
        SCOPED_TRACE("flags " + std::to_string(flags));
        uint8_t flag_bytes[8];
        std::memcpy(flag_bytes, &flags, sizeof flags);
        auto kernel = KernelObject::open(steer());
        ASSERT_TRUE(kernel.ok()) << kernel.error().str();
        ASSERT_TRUE((*kernel)->set_global("missing_cpu_action", {flag_bytes, 8}).ok());
        ASSERT_TRUE((*kernel)->load().ok());
        xdpdk::vm::ObjectOptions options;
        options.ncpus = kernel_possible_cpus();
        auto ours = xdpdk::vm::Object::open(steer(), options);
        ASSERT_TRUE(ours.ok()) << ours.error().str();
        ASSERT_TRUE((*ours)->set_global("missing_cpu_action", {flag_bytes, 8}).ok());
        ASSERT_TRUE((*ours)->load().ok());
        const uint32_t cpu0 = 0;
        const uint32_t qsize[2] = {64, 0};
        ASSERT_TRUE((*kernel)
                        ->map_update("cpu_map", {reinterpret_cast<const uint8_t*>(&cpu0), 4},
                                     {reinterpret_cast<const uint8_t*>(qsize), 8})
                        .ok());
        ASSERT_EQ((*ours)->find_map("cpu_map")->user_update(&cpu0, qsize, 0), 0);
        auto prog = (*ours)->find_program("xdp_steer");
        ASSERT_TRUE(prog.ok());
        for (uint8_t last : {0, 1}) {
            const Bytes f = frame(last, 64);
            auto k = (*kernel)->run_xdp("xdp_steer", f);
            ASSERT_TRUE(k.ok()) << k.error().str();
            xdpdk::vm::PacketFrame ours_frame(f);
            xdpdk::vm::ExecContext ex;
            EXPECT_EQ(xdpdk::vm::run_xdp(**prog, ours_frame.xdp(), ex), k->action) << "CPU " << int(last);
        }
    }
}

// Replay: CPU 0's entry has no program (frames go to pass.pcap), CPU 1's
// runs xdp_cpumap_count (on CPU 1's slot), which drops frames under 60 bytes.
TEST(Cpumap, ReplayRunsTheEntrysProgramOnTheTargetCpu) {
    const std::string dir = temp_dir();
    const std::string pcap = dir + "/in.pcap";
    {
        auto w = xdpdk::cli::PcapWriter::open(pcap, DLT_EN10MB);
        ASSERT_TRUE(w.ok());
        const std::vector<std::pair<uint8_t, size_t>> frames = {{0, 64}, {1, 64}, {1, 50}, {2, 70}, {3, 80}};
        for (const auto& [last, len] : frames) (*w)->write({0, 0}, static_cast<uint32_t>(len), frame(last, len));
        ASSERT_TRUE((*w)->close().ok());
    }
    write_file(dir + "/maps.json", R"({"cpu_map": [
        {"key": "00000000", "value": "4000000000000000"},
        {"key": "01000000", "value": "4000000000000000", "prog": "xdp_cpumap_count"}]})");
    const CommandResult r =
        run_command({xdpdk_binary(), "replay", steer(), pcap, "--prog", "xdp_steer", "--cpus", "2", "--maps-in",
                     dir + "/maps.json", "--jsonl", dir + "/out.jsonl", "--out", dir + "/out", "--maps-out",
                     dir + "/maps-out.json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream lines(read_file(dir + "/out.jsonl"));
    std::vector<json> recs;
    for (std::string line; std::getline(lines, line);) recs.push_back(json::parse(line));
    ASSERT_EQ(recs.size(), 5u);
    const int cpus[] = {0, 1, 1, 0, 1};
    const char* actions[] = {"XDP_PASS", "XDP_PASS", "XDP_DROP", "XDP_PASS", "XDP_PASS"};
    for (size_t i = 0; i < recs.size(); ++i) {
        SCOPED_TRACE(recs[i].dump());
        EXPECT_EQ(recs[i].at("action"), "XDP_REDIRECT");
        EXPECT_EQ(recs[i].at("redirect"), json({{"map", "cpu_map"}, {"cpu", cpus[i]}}));
        EXPECT_EQ(recs[i].at("cpumap").at("action"), actions[i]);
        EXPECT_EQ(recs[i].at("cpumap").at("prog"), cpus[i] == 1 ? json("xdp_cpumap_count") : json(nullptr));
    }
    // Four frames passed (the 50-byte one was dropped on CPU 1), none in redirect.pcap.
    char errbuf[PCAP_ERRBUF_SIZE];
    int passed = 0;
    if (pcap_t* p = pcap_open_offline((dir + "/out/pass.pcap").c_str(), errbuf)) {
        pcap_pkthdr* h;
        const u_char* d;
        while (pcap_next_ex(p, &h, &d) == 1) ++passed;
        pcap_close(p);
    }
    EXPECT_EQ(passed, 4);
    // The cpumap program counted on CPU 1's slot: three frames.
    const json maps = json::parse(read_file(dir + "/maps-out.json"));
    const json& seen = maps.at("cpumap_seen").at(0).at("values");
    EXPECT_EQ(seen.at(0), "0000000000000000");
    EXPECT_EQ(seen.at(1), "0300000000000000");
    // The dump names the entry's program, so it can be fed back in.
    EXPECT_EQ(maps.at("cpu_map").size(), 2u);
    EXPECT_EQ(maps.at("cpu_map").at(1).value("prog", ""), "xdp_cpumap_count");
}

TEST(Cpumap, MapsInRefusesAProgramThatIsNotACpumapProgram) {
    const std::string dir = temp_dir();
    write_file(dir + "/maps.json", R"({"cpu_map": [{"key": "00000000", "value": "4000000000000000", "prog": "xdp_steer"}]})");
    const CommandResult r = run_command({xdpdk_binary(), "replay", steer(), source_path("pcaps/sample.pcap"), "--prog",
                                         "xdp_steer", "--cpus", "2", "--maps-in", dir + "/maps.json"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("not an xdp/cpumap program"), std::string::npos) << r.err;
}

}  // namespace
