// Differential tests against the Linux kernel: the same object file, map
// setup and packets go through BPF_PROG_TEST_RUN and through xdpdk's VM, and
// the verdicts, output packets (and metadata) and every map must match.
//
// Per-CPU maps: the test thread is pinned to one CPU, so the kernel's test run
// touches that CPU's slot; the VM is given the kernel's number of possible
// CPUs and runs as that CPU, so per-CPU values compare slot for slot. If
// pinning fails, the 8-byte lanes are summed across CPUs before comparing.
//
// The compared samples avoid bpf_ktime_get_ns and bpf_get_prandom_u32, whose
// results legitimately differ between two runs.
#include <gtest/gtest.h>
#include <net/if.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "dataplane/replay/pcap_io.h"
#include "dual_runtime.h"
#include "kernel_oracle.h"
#include "test_support.h"
#include "tests/tools/sample_scenarios.h"
#include "vm/engine.h"
#include "vm/map.h"
#include "vm/object.h"
#include "vm/packet.h"
#include "vm/xdp.h"

namespace xdpdk::test {
namespace {

// ---------------------------------------------------------------------------
// Sample programs over the bundled captures.

class SampleDiff : public ::testing::TestWithParam<SampleScenario> {};

}  // namespace

void PrintTo(const SampleScenario& s, std::ostream* os) { *os << s.name; }

namespace {

TEST_P(SampleDiff, SameVerdictPacketAndMapsAsKernel) {
    SKIP_WITHOUT_KERNEL();
    const SampleScenario& s = GetParam();
    CpuPin pin(0);
    DualRuntime rt;
    ASSERT_EQ(rt.open(prog_path(s.object), s.globals, s.entries), "");
    ASSERT_EQ(rt.select_program(s.program), "");
    XdpRunOptions opts;
    opts.ingress_ifindex = s.ingress_ifindex;
    for (const auto& pcap : s.pcaps) {
        const std::vector<Bytes> frames = read_pcap(pcap);
        ASSERT_FALSE(frames.empty()) << pcap;
        int mismatches = 0;
        std::map<uint32_t, int> actions;  // kernel verdicts, to show which paths ran
        for (size_t i = 0; i < frames.size(); ++i) {
            DualRuntime::Outcome outcome;
            const std::string diff = rt.run_and_compare(frames[i], opts, pin.cpu(), &outcome);
            ++actions[outcome.kernel.action];
            if (!diff.empty() && mismatches++ < kMaxReportedMismatches)
                ADD_FAILURE() << pcap << " packet " << i << " (" << frames[i].size() << " bytes " << hex(frames[i], 0, 24)
                              << "): " << diff;
        }
        EXPECT_EQ(mismatches, 0) << pcap << ": packets whose runs differ";
        std::printf("  %s: %zu packets, kernel verdicts:", pcap.c_str(), frames.size());
        for (const auto& [action, n] : actions) std::printf(" %s=%d", vm::xdp_action_name(action), n);
        std::printf("\n");
        rt.expect_same_maps(pin.pinned(), "after " + pcap);
    }
}

INSTANTIATE_TEST_SUITE_P(Samples, SampleDiff, ::testing::ValuesIn(sample_scenarios(other_ifindex())),
                         [](const auto& info) { return info.param.name; });

// The scenarios must do what their comments claim, or the differential runs
// above would compare uninteresting paths. Checked on the kernel alone.
TEST(SampleScenarios, MainPathPacketsTakeTheMainPath) {
    SKIP_WITHOUT_KERNEL();
    const std::map<std::string, uint32_t> expected = {
        {"hello", vm::XDP_PASS},
        {"xdp_pass", vm::XDP_PASS},
        {"xdp_drop", vm::XDP_DROP},
        {"mac_swap", vm::XDP_TX},
        {"pkt_counter", vm::XDP_PASS},
        {"firewall", vm::XDP_PASS},
        {"load_balancer", vm::XDP_TX},
        {"redirect_paired", vm::XDP_REDIRECT},
        {"tail_calls", vm::XDP_PASS},
        {"meta_tail", vm::XDP_PASS},
        {"global_config_defaults", vm::XDP_PASS},
        {"global_config_set", vm::XDP_PASS},
    };
    for (const auto& s : sample_scenarios(0)) {
        auto kobj = KernelObject::open(prog_path(s.object));
        ASSERT_TRUE(kobj.ok()) << kobj.error().str();
        for (const auto& g : s.globals) ASSERT_TRUE(kobj.value()->set_global(g.name, g.value).ok());
        ASSERT_TRUE(kobj.value()->load().ok()) << s.name;
        for (const auto& e : s.entries) ASSERT_TRUE(kobj.value()->map_update(e.map, e.key, e.value).ok()) << e.map;
        for (size_t len : {64, 1500}) {
            auto run = kobj.value()->run_xdp(s.program, s.main_path_packet(len));
            ASSERT_TRUE(run.ok()) << run.error().str();
            EXPECT_EQ(run->action, expected.at(s.name)) << s.name << " " << len << " bytes";
        }
    }
}

// ---------------------------------------------------------------------------
// Helper-level checks: each case runs the same probe program on both sides.

struct CsumArgs {
    uint32_t from_size;
    uint32_t to_size;
    uint32_t seed;
    uint8_t from_offset;
    uint8_t to_offset;
    uint8_t pad[2];
    uint8_t from[304];
    uint8_t to[304];
};

class HelperDiff : public ::testing::Test {
protected:
    void SetUp() override {
        SKIP_WITHOUT_KERNEL();
        packet_ = build_packet(PacketSpec{});
    }
    Bytes packet_;
};

TEST_F(HelperDiff, CsumDiffMatchesKernel) {
    DualRuntime rt;
    ASSERT_EQ(rt.open(test_prog_path("helper_csum_diff"), {}, {}), "");
    ASSERT_EQ(rt.select_program("csum_diff_probe"), "");
    struct Case {
        uint32_t from_size, to_size, seed;
        uint8_t from_offset = 0, to_offset = 0;
    };
    // Sizes: none, one word, IPv4/IPv6 headers, odd lengths, more than the
    // 512 bytes older kernels allowed; seeds that carry; unaligned buffers.
    const std::vector<Case> cases = {
        {0, 0, 0},          {0, 0, 0x12345678},   {0, 0, 0xffffffff},  {4, 0, 0},         {0, 4, 0},
        {4, 4, 0},          {4, 4, 0xffff},       {8, 4, 0xabcdef01},  {20, 0, 0},        {0, 20, 0},
        {20, 20, 0},        {40, 40, 0xdeadbeef}, {0, 300, 0},         {300, 0, 0xffffffff},
        {256, 256, 1},      {300, 212, 7},        {300, 216, 0},       {300, 300, 0},     {2, 0, 0},
        {0, 6, 0},          {5, 4, 0},            {4, 3, 9},           {16, 16, 0x80000000},
        {64, 128, 0x0000ffff}, {1, 1, 0},         {7, 0, 0xfffffffe},  {0, 13, 3},        {81, 79, 0x10000},
        {20, 20, 0, 1, 2},  {0, 40, 0, 0, 3},     {33, 0, 5, 3, 0},    {297, 299, 0xffff0000, 2, 1},
    };
    // Buffers where every 16-bit sum carries: all 0xff, a pattern, and zeros.
    for (int fill = 0; fill < 3; ++fill) {
        for (const Case& c : cases) {
            CsumArgs args{};
            args.from_size = c.from_size;
            args.to_size = c.to_size;
            args.seed = c.seed;
            args.from_offset = c.from_offset;
            args.to_offset = c.to_offset;
            for (size_t i = 0; i < sizeof args.from; ++i) {
                args.from[i] = fill == 0 ? 0xff : fill == 1 ? static_cast<uint8_t>(i * 37 + 11) : 0;
                args.to[i] = fill == 0 ? 0xff : fill == 1 ? static_cast<uint8_t>(i * 91 + 3) : 0;
            }
            const Bytes key = bytes_of(uint32_t{0});
            ASSERT_TRUE(rt.kernel->map_update("csum_args", key, bytes_of(args)).ok());
            ASSERT_EQ(rt.vm_obj->find_map("csum_args")->user_update(key.data(), &args, vm::kAny), 0);
            const std::string when = "fill " + std::to_string(fill) + " from " + std::to_string(c.from_size) + "@+" +
                                     std::to_string(c.from_offset) + " to " + std::to_string(c.to_size) + "@+" +
                                     std::to_string(c.to_offset) + " seed " + std::to_string(c.seed);
            EXPECT_EQ(rt.run_and_compare(packet_, {}, 0), "") << when;
            int64_t kernel_ret = 0, vm_ret = 0;
            auto dumps = rt.kernel->dump_maps();
            ASSERT_TRUE(dumps.ok());
            for (const auto& d : dumps.value())
                if (d.name == "csum_result") std::memcpy(&kernel_ret, d.entries.begin()->second.data(), 8);
            ASSERT_EQ(rt.vm_obj->find_map("csum_result")->user_lookup(key.data(), &vm_ret), 0);
            EXPECT_EQ(vm_ret, kernel_ret) << when << ": bpf_csum_diff returned " << kernel_ret << " in the kernel, "
                                          << vm_ret << " in the VM";
        }
    }
}

struct AdjustOp {
    uint32_t kind;  // 1 head, 2 meta, 3 tail
    int32_t delta;
};
struct AdjustScript {
    AdjustOp ops[4];
};
constexpr uint32_t kHead = 1, kMeta = 2, kTail = 3;

TEST_F(HelperDiff, AdjustHeadMetaTailLimitsMatchKernel) {
    DualRuntime rt;
    ASSERT_EQ(rt.open(test_prog_path("helper_adjust"), {}, {}), "");
    ASSERT_EQ(rt.select_program("adjust_probe"), "");
    // Frame: 256 headroom (40 reserved for xdp_frame), packet, tail up to
    // 4096 - 320 from the frame start.
    const std::vector<size_t> lengths = {14, 60, 1500, 3520};
    auto scripts_for = [](int32_t len) {
        const int32_t tailroom = 4096 - 320 - 256 - len;
        std::vector<AdjustScript> s = {
            {{{kHead, -216}}},
            {{{kHead, -217}}},
            {{{kHead, -256}}},
            {{{kHead, -4096}}},
            {{{kHead, len - 14}}},
            {{{kHead, len - 13}}},
            {{{kHead, len}}},
            {{{kHead, 1}, {kHead, -1}}},
            {{{kMeta, -4}}},
            {{{kMeta, -32}}},
            {{{kMeta, -36}}},
            {{{kMeta, -3}}},
            {{{kMeta, -64}}},
            {{{kMeta, -216}}},  // all the headroom above the xdp_frame
            {{{kMeta, -220}}},
            {{{kMeta, -252}}},
            {{{kMeta, 4}}},
            {{{kMeta, -8}, {kMeta, 4}, {kMeta, 4}, {kMeta, 4}}},
            {{{kMeta, -8}, {kHead, -208}}},
            {{{kMeta, -8}, {kHead, -209}}},
            {{{kMeta, -16}, {kHead, 10}, {kMeta, 2}}},
            {{{kHead, -216}, {kMeta, -4}}},
            {{{kHead, -200}, {kMeta, -16}, {kMeta, -4}}},
            {{{kTail, tailroom}}},
            {{{kTail, tailroom + 1}}},
            {{{kTail, 1}}},
            {{{kTail, -(len - 14)}}},
            {{{kTail, -(len - 13)}}},
            {{{kTail, -len}}},
            {{{kTail, 100}, {kTail, -50}, {kHead, 30}, {kTail, -30}}},
            {{{kHead, -100}, {kTail, tailroom}, {kTail, 1}}},
            {{{kHead, 40}, {kTail, tailroom + 40}, {kTail, 1}}},
        };
        return s;
    };
    const Bytes key = bytes_of(uint32_t{0});
    for (size_t len : lengths) {
        PacketSpec spec;
        spec.frame_len = len;
        const Bytes packet = build_packet(spec);
        for (const AdjustScript& script : scripts_for(static_cast<int32_t>(len))) {
            ASSERT_TRUE(rt.kernel->map_update("adjust_script", key, bytes_of(script)).ok());
            ASSERT_EQ(rt.vm_obj->find_map("adjust_script")->user_update(key.data(), &script, vm::kAny), 0);
            std::ostringstream describe;
            describe << "len " << len << " script";
            for (const auto& op : script.ops)
                if (op.kind)
                    describe << " " << (op.kind == kHead ? "head" : op.kind == kMeta ? "meta" : "tail") << "(" << op.delta
                             << ")";
            const std::string when = describe.str();
            EXPECT_EQ(rt.run_and_compare(packet, {}, 0), "") << when;
            rt.expect_same_maps(true, when);
        }
    }
}

// The kernel folds bpf_csum_diff's result to 16 bits since 6.12 (our VM
// implements that); this pins the behaviour down on the running kernel.
TEST_F(HelperDiff, KernelFoldsCsumDiffTo16Bits) {
    auto kobj = KernelObject::open(test_prog_path("helper_csum_diff"));
    ASSERT_TRUE(kobj.ok()) << kobj.error().str();
    ASSERT_TRUE(kobj.value()->load().ok());
    CsumArgs args{};
    args.to_size = 8;
    std::memset(args.to, 0xff, 8);
    const Bytes key = bytes_of(uint32_t{0});
    ASSERT_TRUE(kobj.value()->map_update("csum_args", key, bytes_of(args)).ok());
    ASSERT_TRUE(kobj.value()->run_xdp("csum_diff_probe", packet_).ok());
    auto dumps = kobj.value()->dump_maps();
    ASSERT_TRUE(dumps.ok());
    int64_t ret = -1;
    for (const auto& d : dumps.value())
        if (d.name == "csum_result") std::memcpy(&ret, d.entries.begin()->second.data(), 8);
    // Two 0xffffffff words: a 32-bit sum of 0xffffffff, 0xffff once folded.
    EXPECT_EQ(ret, 0xffff);
}

// ---------------------------------------------------------------------------
// Programs only Linux's privileged rules accept (tests/progs/priv_*.bpf.c:
// pointer subtraction, uninitialised stack read by a helper, a pointer
// stored into a map, global functions with each kind of argument, a static
// function whose r0 clang left unset): loaded by xdpdk with its default
// rules and by the kernel as root, the same verdicts, packets and maps; the
// strict rules refuse them (both hand uninitialised stack to a helper or a
// global function).

struct PrivilegedCase {
    const char* object;
    const char* program;
    bool strict_refuses;
};

void PrintTo(const PrivilegedCase& c, std::ostream* os) { *os << c.object; }

class PrivilegedDiff : public ::testing::TestWithParam<PrivilegedCase> {};

std::vector<Bytes> privileged_packets() {
    std::vector<Bytes> out;
    for (uint8_t l4 : {uint8_t{17}, uint8_t{6}, uint8_t{1}}) {
        for (size_t len : {size_t{60}, size_t{200}}) {
            PacketSpec spec;
            spec.l4 = l4;
            spec.frame_len = len;
            spec.src4 = 0x0a000001 + len + l4;
            spec.dst_mac[0] = static_cast<uint8_t>(len + l4);  // odd and even first bytes
            out.push_back(build_packet(spec));
        }
    }
    PacketSpec v6;
    v6.l3 = L3::Ipv6;
    out.push_back(build_packet(v6));
    PacketSpec arp;
    arp.l3 = L3::Arp;
    out.push_back(build_packet(arp));
    PacketSpec runt;
    runt.frame_len = 20;  // cut inside the IPv4 header
    out.push_back(build_packet(runt));
    return out;
}

TEST_P(PrivilegedDiff, SameVerdictPacketAndMapsAsKernel) {
    SKIP_WITHOUT_KERNEL();
    const PrivilegedCase& c = GetParam();
    CpuPin pin(0);
    DualRuntime rt;
    ASSERT_EQ(rt.open(test_prog_path(c.object), {}, {}), "");
    ASSERT_EQ(rt.select_program(c.program), "");
    const std::vector<Bytes> packets = privileged_packets();
    std::map<uint32_t, int> actions;
    for (size_t i = 0; i < packets.size(); ++i) {
        DualRuntime::Outcome outcome;
        EXPECT_EQ(rt.run_and_compare(packets[i], {}, pin.cpu(), &outcome), "") << "packet " << i;
        ++actions[outcome.kernel.action];
    }
    EXPECT_GE(actions.size(), 2u) << "the packets should take more than one path";
    rt.expect_same_maps(pin.pinned(), "after the packets");

    vm::ObjectOptions strict;
    strict.strict_verifier = true;
    auto obj = vm::Object::open(test_prog_path(c.object), strict);
    ASSERT_TRUE(obj.ok()) << obj.error().str();
    const Status st = (*obj)->load();
    EXPECT_EQ(!st.ok(), c.strict_refuses) << (st.ok() ? "accepted" : st.error().str());
}

INSTANTIATE_TEST_SUITE_P(Progs, PrivilegedDiff,
                         ::testing::Values(PrivilegedCase{"priv_lb", "lb_priv", true},
                                           PrivilegedCase{"priv_lb_v3", "lb_priv", true},
                                           PrivilegedCase{"priv_global_funcs", "global_funcs", true}),
                         [](const auto& info) { return std::string(info.param.object); });

// Global functions and callbacks Linux refuses (tests/progs/refused_*.bpf.c): xdpdk
// refuses them too, under either rules, for the reason Linux gives.
TEST(PrivilegedRefusals, RefusedLikeTheKernel) {
    const std::map<std::string, std::string> expected = {
        {"refused_global_void_ptr",
         "caller passes invalid args into func#1 ('gv_peek'): arg#0 reference type('UNKNOWN ') size cannot be determined"},
        {"refused_global_short_pkt", "caller passes invalid args into func#1 ('gs_ttl'): invalid access to packet"},
        {"refused_global_no_null_check", "invalid mem access 'mem_or_null'"},
        {"refused_global_stale_pkt", "invalid mem access 'scalar'"},
        {"refused_global_returns_pointer", "gr_find() doesn't return scalar"},
        {"refused_global_void_return", "gvr_count() doesn't return scalar"},
        {"refused_global_deep_chain", "the call stack of 9 frames is too deep"},
        {"refused_global_nonnull", "caller passes invalid args into func#1 ('gnn_read'): arg#0 is expected to be non-NULL"},
        // Callbacks (bpf_loop, bpf_for_each_map_elem) Linux refuses.
        {"refused_callback_bad_return", "At callback return the register R0 has 2 should have been in [0, 1]"},
        {"refused_callback_ctx_in_map", "R3 type=map_value expected=fp"},
        {"refused_callback_writes_key", "write to change key R2 not allowed"},
        // bpf_spin_lock rules.
        {"refused_lock_held_at_exit", "BPF_EXIT instruction cannot be used inside bpf_spin_lock-ed region"},
        {"refused_lock_call_while_held", "function calls are not allowed while holding a lock (bpf_ktime_get_ns#5)"},
        {"refused_lock_two_locks", "function calls are not allowed while holding a lock (bpf_spin_lock#93)"},
        {"refused_lock_direct_access", "bpf_spin_lock cannot be accessed directly by load/store"},
        {"refused_lock_wrong_element", "bpf_spin_unlock of different lock"},
        {"refused_lock_other_path", "bpf_spin_unlock of different lock"},
        // An unchecked packet read in a subprogram (test_line_info names its C line).
        {"refused_fw_subprog", "invalid access to packet"},
    };
    const std::vector<std::string> objects = refused_objects();
    EXPECT_EQ(objects.size(), expected.size());
    for (const std::string& path : objects) {
        const std::string stem = std::filesystem::path(path).stem().string();
        ASSERT_TRUE(expected.contains(stem)) << stem << ": no expected reason";
        for (bool strict : {false, true}) {
            vm::ObjectOptions opts;
            opts.engine = vm::EngineKind::Interp;
            opts.strict_verifier = strict;
            auto obj = vm::Object::open(path, opts);
            ASSERT_TRUE(obj.ok()) << obj.error().str();
            const Status st = (*obj)->load();
            ASSERT_FALSE(st.ok()) << stem << (strict ? " (strict)" : "");
            EXPECT_NE(st.error().str().find(expected.at(stem)), std::string::npos) << st.error().str();
        }
        if (!kernel_unavailable_reason().empty()) continue;
        auto kobj = KernelObject::open(path);
        ASSERT_TRUE(kobj.ok()) << kobj.error().str();
        EXPECT_FALSE((*kobj)->load().ok()) << stem << ": the kernel accepts it";
    }
}

}  // namespace
}  // namespace xdpdk::test
