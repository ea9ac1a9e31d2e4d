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

#include "dataplane/pcap_io.h"
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

// Stop reporting a capture's packet mismatches after this many.
constexpr int kMaxReportedMismatches = 5;

#define SKIP_WITHOUT_KERNEL()                                                                  \
    do {                                                                                       \
        if (!kernel_unavailable_reason().empty())                                              \
            GTEST_SKIP() << "kernel oracle unavailable: " << kernel_unavailable_reason();      \
    } while (0)

std::string hex(std::span<const uint8_t> b, size_t from = 0, size_t max = 32) {
    std::string s;
    char buf[4];
    for (size_t i = from; i < b.size() && i < from + max; ++i) {
        std::snprintf(buf, sizeof buf, "%02x", b[i]);
        s += buf;
    }
    if (b.size() > from + max) s += "...";
    return s;
}

// "" when equal, else where and how they differ.
std::string bytes_diff(std::span<const uint8_t> kernel, std::span<const uint8_t> vm) {
    if (std::equal(kernel.begin(), kernel.end(), vm.begin(), vm.end())) return "";
    size_t i = 0;
    while (i < kernel.size() && i < vm.size() && kernel[i] == vm[i]) ++i;
    std::ostringstream out;
    out << "kernel " << kernel.size() << " bytes, vm " << vm.size() << " bytes; first difference at offset " << i
        << ": kernel " << hex(kernel, i, 16) << " vs vm " << hex(vm, i, 16);
    return out.str();
}

Bytes per_cpu_value(const Bytes& one, uint32_t ncpus) {
    const size_t stride = (one.size() + 7) & ~size_t{7};
    Bytes all(stride * ncpus, 0);
    for (uint32_t c = 0; c < ncpus; ++c) std::copy(one.begin(), one.end(), all.begin() + c * stride);
    return all;
}

// Sum of each 8-byte lane over the CPU slots (values padded to 8 bytes).
Bytes sum_cpu_slots(const Bytes& all, uint32_t value_size, uint32_t ncpus) {
    const size_t stride = (value_size + 7) & ~size_t{7};
    Bytes sum(stride, 0);
    for (size_t lane = 0; lane + 8 <= stride; lane += 8) {
        uint64_t total = 0;
        for (uint32_t c = 0; c < ncpus && (c + 1) * stride <= all.size(); ++c) {
            uint64_t v;
            std::memcpy(&v, all.data() + c * stride + lane, 8);
            total += v;
        }
        std::memcpy(sum.data() + lane, &total, 8);
    }
    return sum;
}

std::vector<Bytes> read_pcap(const std::string& rel) {
    std::vector<Bytes> frames;
    auto reader = cli::PcapReader::open(source_path(rel));
    if (!reader) {
        ADD_FAILURE() << reader.error().str();
        return frames;
    }
    for (;;) {
        auto pkt = reader.value()->next();
        if (!pkt) {
            ADD_FAILURE() << pkt.error().str();
            break;
        }
        if (!pkt.value()) break;
        frames.emplace_back(pkt.value()->bytes.begin(), pkt.value()->bytes.end());
    }
    return frames;
}

// A device other than loopback, for runs whose ingress must differ (0: none).
uint32_t other_ifindex() {
    uint32_t found = 0;
    struct if_nameindex* names = if_nameindex();
    if (names == nullptr) return 0;
    for (struct if_nameindex* n = names; n->if_index != 0; ++n) {
        if (n->if_index != 1) {
            found = n->if_index;
            break;
        }
    }
    if_freenameindex(names);
    return found;
}

MapDump dump_vm_map(const vm::Map& map) {
    MapDump dump;
    dump.name = map.name();
    dump.type = map.spec().type;
    dump.key_size = map.spec().key_size;
    dump.value_size = map.spec().value_size;
    dump.percpu = map.percpu();
    Bytes key(dump.key_size), next(dump.key_size), value(map.user_value_size());
    const void* prev = nullptr;
    while (map.next_key(prev, next.data()) == 0) {
        key = next;
        prev = key.data();
        if (map.user_lookup(key.data(), value.data()) == 0) dump.entries[key] = value;
    }
    return dump;
}

// Compares every kernel map (but prog arrays) with the VM map of that name.
void expect_same_maps(const std::vector<MapDump>& kernel_maps, const vm::Object& obj, bool exact_percpu,
                      const std::string& when) {
    std::vector<std::string> vm_names;
    for (const auto& m : obj.maps())
        if (m->type() != vm::MapType::ProgArray) vm_names.push_back(m->name());
    for (const auto& km : kernel_maps) {
        const vm::Map* map = obj.find_map(km.name);
        if (map == nullptr) {
            std::string names;
            for (const auto& n : vm_names) names += " " + n;
            ADD_FAILURE() << when << ": the VM has no map '" << km.name << "' (VM maps:" << names << ")";
            continue;
        }
        std::erase(vm_names, km.name);
        MapDump vm_dump = dump_vm_map(*map);
        EXPECT_EQ(vm_dump.key_size, km.key_size) << when << ": map " << km.name;
        EXPECT_EQ(vm_dump.value_size, km.value_size) << when << ": map " << km.name;
        int reported = 0;
        for (const auto& [key, kvalue] : km.entries) {
            auto it = vm_dump.entries.find(key);
            if (it == vm_dump.entries.end()) {
                if (reported++ < kMaxReportedMismatches)
                    ADD_FAILURE() << when << ": map " << km.name << " key " << hex(key) << " is in the kernel only";
                continue;
            }
            Bytes kv = kvalue, vv = it->second;
            if (km.percpu && !exact_percpu) {
                kv = sum_cpu_slots(kv, km.value_size, kernel_possible_cpus());
                vv = sum_cpu_slots(vv, km.value_size, kernel_possible_cpus());
            }
            const std::string diff = bytes_diff(kv, vv);
            if (!diff.empty() && reported++ < kMaxReportedMismatches)
                ADD_FAILURE() << when << ": map " << km.name << " key " << hex(key) << ": " << diff;
            vm_dump.entries.erase(it);
        }
        for (const auto& [key, value] : vm_dump.entries)
            if (reported++ < kMaxReportedMismatches)
                ADD_FAILURE() << when << ": map " << km.name << " key " << hex(key) << " is in the VM only";
    }
    for (const auto& n : vm_names) ADD_FAILURE() << when << ": map '" << n << "' exists in the VM only";
}

// Both runtimes with one object, set up the same way.
class DualRuntime {
public:
    // Returns "" on success, else what failed.
    std::string open(const std::string& path, const std::vector<GlobalSetting>& globals,
                     const std::vector<MapEntry>& entries) {
        const uint32_t ncpus = kernel_possible_cpus();
        auto kobj = KernelObject::open(path);
        if (!kobj) return kobj.error().str();
        kernel = std::move(kobj.value());
        vm::ObjectOptions opts;
        opts.ncpus = ncpus;
        auto vobj = vm::Object::open(path, opts);
        if (!vobj) return "vm: " + vobj.error().str();
        vm_obj = std::move(vobj.value());
        for (const auto& g : globals) {
            if (auto st = kernel->set_global(g.name, g.value); !st) return st.error().str();
            if (auto st = vm_obj->set_global(g.name, g.value); !st) return "vm: " + st.error().str();
        }
        if (auto st = kernel->load(); !st) return st.error().str();
        if (auto st = vm_obj->load(); !st) return "vm: " + st.error().str();
        for (const auto& e : entries) {
            vm::Map* map = vm_obj->find_map(e.map);
            if (map == nullptr) return "vm: no map '" + e.map + "'";
            const Bytes value = map->percpu() ? per_cpu_value(e.value, ncpus) : e.value;
            if (auto st = kernel->map_update(e.map, e.key, value); !st) return st.error().str();
            if (const long rc = map->user_update(e.key.data(), value.data(), vm::kAny); rc != 0)
                return "vm: map '" + e.map + "' update failed: " + std::strerror(static_cast<int>(-rc));
        }
        return "";
    }

    std::string select_program(const std::string& name) {
        auto prog = vm_obj->find_program(name);
        if (!prog) return "vm: " + prog.error().str();
        vm_prog = prog.value();
        program = name;
        return "";
    }

    struct Outcome {
        XdpRun kernel;
        uint32_t vm_action = 0;
        Bytes vm_data;
        Bytes vm_meta;
    };

    // "" when both runs agree; otherwise what differs.
    std::string run_and_compare(std::span<const uint8_t> packet, const XdpRunOptions& opts, uint32_t vm_cpu,
                                Outcome* outcome = nullptr) {
        auto k = kernel->run_xdp(program, packet, opts);
        if (!k) return k.error().str();
        vm::PacketFrame frame(packet, opts.ingress_ifindex, opts.rx_queue);
        vm::ExecContext ex;
        ex.cpu = vm_cpu;
        const uint32_t vm_action = static_cast<uint32_t>(vm::run_xdp(*vm_prog, frame.xdp(), ex));
        std::string diff;
        if (k->action != vm_action)
            diff += std::string("action: kernel ") + std::to_string(k->action) + ", vm " + std::to_string(vm_action) +
                    (ex.fault ? std::string(" (vm fault: ") + ex.fault + ")" : "") + "; ";
        if (auto d = bytes_diff(k->data, frame.data()); !d.empty()) diff += "packet: " + d + "; ";
        if (auto d = bytes_diff(k->meta, frame.meta()); !d.empty()) diff += "metadata: " + d + "; ";
        if (outcome) {
            outcome->kernel = k.value();
            outcome->vm_action = vm_action;
            outcome->vm_data.assign(frame.data().begin(), frame.data().end());
            outcome->vm_meta.assign(frame.meta().begin(), frame.meta().end());
        }
        return diff;
    }

    void expect_same_maps(bool exact_percpu, const std::string& when) const {
        auto dumps = kernel->dump_maps();
        ASSERT_TRUE(dumps.ok()) << dumps.error().str();
        test::expect_same_maps(dumps.value(), *vm_obj, exact_percpu, when);
    }

    std::unique_ptr<KernelObject> kernel;
    std::unique_ptr<vm::Object> vm_obj;
    vm::Program* vm_prog = nullptr;
    std::string program;
};

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

// Global functions Linux refuses (tests/progs/refused_*.bpf.c): xdpdk
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
