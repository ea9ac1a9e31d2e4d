// XSKMAP (issue 15): bpf_redirect_map into slots without a socket against the
// kernel's verdicts (the kernel creates XSKMAPs; its slots stay empty here,
// as a test has no AF_XDP socket to put in), in both engines, for every
// fallback flag; and replay recording slot and outcome.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/replay/pcap_io.h"
#include "dual_runtime.h"
#include "kernel_oracle.h"
#include "test_support.h"
#include "vm/engine.h"
#include "vm/maps/xskmap.h"
#include "vm/object.h"
#include "vm/packet.h"

using namespace xdpdk::test;
namespace vm = xdpdk::vm;
using nlohmann::json;

namespace {

Bytes frame(uint8_t byte16) {
    Bytes f(64, 0);
    f[12] = 0x08;
    f[16] = byte16;
    return f;
}

Bytes le64(uint64_t v) {
    Bytes b(8);
    for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
    return b;
}

class XskKernel : public ::testing::TestWithParam<vm::EngineKind> {};

// Flags: an action (ABORTED, DROP, PASS, TX) is the verdict for an empty
// slot; any other bit (BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, bit 2) is
// XDP_ABORTED, as the kernel's xsk_map_redirect allows no flags.
TEST_P(XskKernel, EmptySlotVerdictsMatchTheKernel) {
    if (!kernel_unavailable_reason().empty()) GTEST_SKIP() << kernel_unavailable_reason();
    for (uint64_t flags : {0ull, 1ull, 2ull, 3ull, 4ull, 8ull, 16ull, 8ull | 2ull, 16ull | 1ull}) {
        DualRuntime rt;
        rt.engine = GetParam();
        const std::string opened = rt.open(test_prog_path("xsk_redirect"), {{"no_socket_flags", le64(flags)}}, {});
        if (opened.find("xskmap") != std::string::npos || opened.find("XSKMAP") != std::string::npos)
            GTEST_SKIP() << "the kernel has no XSKMAP here: " << opened;
        ASSERT_EQ(opened, "");
        for (const char* prog : {"xsk_def_prog", "xsk_lookup_first", "xsk_by_frame"}) {
            ASSERT_EQ(rt.select_program(prog), "");
            for (uint8_t b : {0, 1, 2, 3}) {
                DualRuntime::Outcome out;
                const std::string diff = rt.run_and_compare(frame(b), {}, 0, &out);
                EXPECT_EQ(diff, "") << prog << " flags " << flags << " byte " << int(b);
                // Nothing is bound: never a redirect.
                EXPECT_NE(out.vm_action, vm::XDP_REDIRECT) << prog;
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Engines, XskKernel, ::testing::Values(vm::EngineKind::Interp, vm::EngineKind::Jit),
                         [](const auto& info) { return info.param == vm::EngineKind::Jit ? "jit" : "interp"; });

// A bound slot redirects to the port's ifindex; lookups see it bound.
TEST(Xsk, BoundSlotRedirectsInBothEngines) {
    for (vm::EngineKind engine : {vm::EngineKind::Interp, vm::EngineKind::Jit}) {
        vm::ObjectOptions options;
        options.engine = engine;
        auto obj = vm::Object::open(test_prog_path("xsk_redirect"), options);
        ASSERT_TRUE(obj.ok()) << obj.error().str();
        ASSERT_TRUE((*obj)->load().ok());
        auto* xsks = static_cast<vm::maps::Xskmap*>((*obj)->find_map("xsks_map"));
        ASSERT_NE(xsks, nullptr);
        ASSERT_EQ(xsks->bind_port(2, 7), 0);
        EXPECT_EQ(xsks->bind_port(4, 7), -E2BIG);
        for (const char* name : {"xsk_def_prog", "xsk_lookup_first"}) {
            auto prog = (*obj)->find_program(name);
            ASSERT_TRUE(prog.ok());
            for (uint32_t queue : {1u, 2u}) {
                vm::PacketFrame f(frame(0), 1, queue);
                vm::ExecContext ex;
                const uint64_t verdict = vm::run_xdp(**prog, f.xdp(), ex);
                if (queue == 2) {
                    EXPECT_EQ(verdict, vm::XDP_REDIRECT) << name;
                    EXPECT_EQ(ex.redirect.ifindex, 7u);
                    EXPECT_EQ(ex.redirect.key, 2u);
                } else {
                    EXPECT_EQ(verdict, vm::XDP_PASS) << name;
                }
            }
        }
    }
}

// Replay: slot 1 bound to port 3, the others without a socket; --jsonl says
// which slot each frame tried and what came of it.
TEST(Xsk, ReplayRecordsSlotAndOutcome) {
    const std::string dir = temp_dir();
    const std::string pcap = dir + "/in.pcap";
    {
        auto w = xdpdk::cli::PcapWriter::open(pcap, 1);
        ASSERT_TRUE(w.ok());
        for (uint8_t b : {0, 1, 2, 5}) (*w)->write({0, 0}, 64, frame(b));
        ASSERT_TRUE((*w)->close().ok());
    }
    const CommandResult r = run_command({xdpdk_binary(), "replay", test_prog_path("xsk_redirect"), pcap, "--prog",
                                         "xsk_by_frame", "--xsk", "xsks_map[1]=port:3", "--set",
                                         "no_socket_flags=1", "--jsonl", dir + "/out.jsonl"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream lines(read_file(dir + "/out.jsonl"));
    std::vector<json> recs;
    for (std::string line; std::getline(lines, line);) recs.push_back(json::parse(line));
    ASSERT_EQ(recs.size(), 4u);
    const uint32_t slots[] = {0, 1, 2, 1};
    for (size_t i = 0; i < recs.size(); ++i) {
        SCOPED_TRACE(recs[i].dump());
        if (slots[i] == 1) {
            EXPECT_EQ(recs[i].at("action"), "XDP_REDIRECT");
            EXPECT_EQ(recs[i].at("redirect"), json({{"map", "xsks_map"}, {"slot", 1}, {"port", 3}}));
            EXPECT_FALSE(recs[i].contains("xsk"));
        } else {
            EXPECT_EQ(recs[i].at("action"), "XDP_DROP");
            EXPECT_EQ(recs[i].at("xsk"), json({{"map", "xsks_map"}, {"slot", slots[i]}, {"outcome", "no socket"}}));
        }
    }
}

TEST(Xsk, ReplayRefusesABindingToAMapThatIsNoXskmap) {
    const CommandResult r = run_command({xdpdk_binary(), "replay", test_prog_path("cpumap_steer"),
                                         source_path("pcaps/sample.pcap"), "--xsk", "cpu_map[0]=port:1"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("xdpdk: --xsk 'cpu_map[0]=port:1': map 'cpu_map' is a cpumap map, not an xskmap"),
              std::string::npos)
        << r.err;
}

}  // namespace
