// What a root loader (xdp-loader, ip link set xdp, bpftool) gets the kernel to
// accept, xdpdk accepts and runs the same way: XDP programs in the section
// names real projects use. Each claim is checked against Linux where bpf()
// is allowed: the same accept/refuse, verdicts, bytes and maps.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "dual_runtime.h"
#include "test_support.h"
#include "vm/map.h"
#include "vm/object.h"
#include "vm/xdp.h"

namespace xdpdk::test {
namespace {

using vm::ProgType;
using vm::XdpAttach;

std::string named_sections_obj() { return test_prog_path("xdp_named_sections"); }

TEST(NamedSections, EverySectionButKnownOtherTypesHoldsXdpPrograms) {
    auto obj = vm::Object::open(named_sections_obj());
    ASSERT_TRUE(obj.ok()) << obj.error().str();
    struct Expected {
        const char* name;
        const char* section;
        ProgType type;
        XdpAttach attach;
    };
    const Expected expected[] = {
        {"xdp_stats_func", "xdp_stats", ProgType::Xdp, XdpAttach::Ingress},
        {"xdp_patch_ports_func", "xdp_patch_ports", ProgType::Xdp, XdpAttach::Ingress},
        {"xdp_sock_prog", "xdp_sock", ProgType::Xdp, XdpAttach::Ingress},
        {"xdp_tx_back", "tx", ProgType::Xdp, XdpAttach::Ingress},
        {"xdp_devmap_egress", "xdp/devmap", ProgType::Xdp, XdpAttach::Devmap},
        {"xdp_devmap_legacy", "xdp_devmap/legacy_egress", ProgType::Xdp, XdpAttach::Devmap},
        {"xdp_cpumap_pass", "xdp/cpumap", ProgType::Xdp, XdpAttach::Cpumap},
        {"trace_xdp_exception", "tracepoint/xdp/xdp_exception", ProgType::Other, XdpAttach::Ingress},
    };
    const auto& progs = obj.value()->programs();
    ASSERT_EQ(progs.size(), std::size(expected));
    for (size_t i = 0; i < progs.size(); ++i) {
        EXPECT_EQ(progs[i]->name, expected[i].name);
        EXPECT_EQ(progs[i]->section, expected[i].section);
        EXPECT_EQ(progs[i]->type, expected[i].type) << expected[i].name;
        EXPECT_EQ(progs[i]->attach, expected[i].attach) << expected[i].name;
    }
    // The devmap programs read ctx->egress_ifindex; the verifier takes that
    // from their attach type.
    auto st = obj.value()->load();
    ASSERT_TRUE(st.ok()) << st.error().str();

    auto trace = obj.value()->find_program("tracepoint/xdp/xdp_exception");
    ASSERT_FALSE(trace.ok());
    EXPECT_EQ(trace.error().str(),
              "prog 'trace_xdp_exception' (section 'tracepoint/xdp/xdp_exception'): not an XDP program: the "
              "section makes it a tracepoint (BPF_PROG_TYPE_TRACEPOINT) program; only XDP programs run in xdpdk");
    // The default program is one that runs at a device: the first program
    // here, never a devmap or cpumap one.
    auto def = obj.value()->default_xdp_program();
    ASSERT_TRUE(def.ok());
    EXPECT_EQ(def.value()->name, "xdp_stats_func");
    auto by_section = obj.value()->find_program("tx");
    ASSERT_TRUE(by_section.ok());
    EXPECT_EQ(by_section.value()->name, "xdp_tx_back");
}

TEST(NamedSections, SameVerdictsBytesAndMapsAsKernel) {
    SKIP_WITHOUT_KERNEL();
    CpuPin pin(0);
    DualRuntime rt;
    ASSERT_EQ(rt.open(named_sections_obj(), {}, {}), "");
    std::map<std::string, std::map<uint32_t, int>> verdicts;
    std::map<std::string, int> rewritten;  // packets the kernel's run changed
    for (const char* prog : {"xdp_stats_func", "xdp_patch_ports_func", "xdp_sock_prog", "xdp_tx_back"}) {
        ASSERT_EQ(rt.select_program(prog), "");
        for (const char* pcap : {"pcaps/lb_traffic.pcap", "pcaps/edge_cases.pcap"}) {
            const std::vector<Bytes> frames = read_pcap(pcap);
            ASSERT_FALSE(frames.empty());
            int mismatches = 0;
            for (size_t i = 0; i < frames.size(); ++i) {
                DualRuntime::Outcome outcome;
                XdpRunOptions opts;
                const std::string diff = rt.run_and_compare(frames[i], opts, pin.cpu(), &outcome);
                ++verdicts[prog][outcome.kernel.action];
                if (outcome.kernel.data != frames[i]) ++rewritten[prog];
                if (!diff.empty() && mismatches++ < kMaxReportedMismatches)
                    ADD_FAILURE() << prog << " " << pcap << " packet " << i << ": " << diff;
            }
        }
        rt.expect_same_maps(pin.pinned(), std::string("after ") + prog);
    }
    // Devmap and cpumap programs run only from a map entry: Linux's test run
    // refuses them.
    const Bytes frame = read_pcap("pcaps/lb_traffic.pcap").front();
    for (const char* prog : {"xdp_devmap_egress", "xdp_cpumap_pass"}) {
        auto k = rt.kernel->run_xdp(prog, frame);
        EXPECT_FALSE(k.ok()) << prog << ": the kernel test-ran it";
    }
    // The captures reach the paths that matter: UDP ports patched, MACs
    // swapped, both verdicts of xdp_sock.
    EXPECT_GT(rewritten["xdp_patch_ports_func"], 0);
    EXPECT_GT(verdicts["xdp_tx_back"][vm::XDP_TX], 0);
    EXPECT_GT(rewritten["xdp_tx_back"], 0);
    EXPECT_GT(verdicts["xdp_stats_func"][vm::XDP_PASS], 0);
}

// ---------------------------------------------------------------- map sizes

std::string sized_by_loader_obj() { return test_prog_path("map_sized_by_loader"); }

TEST(MapSizes, AMapOfZeroEntriesNeedsItsLoadersSize) {
    auto obj = vm::Object::open(sized_by_loader_obj());
    ASSERT_FALSE(obj.ok());
    EXPECT_EQ(obj.error().str(), "map 'proto_packets': max_entries is 0: the program's loader sets its size before "
                                 "load; give one with --map-size proto_packets=N");
    vm::ObjectOptions opts;
    opts.map_sizes = {{"src_packets", 16}, {"proto_packets", 3}};
    auto sized = vm::Object::open(sized_by_loader_obj(), opts);
    ASSERT_TRUE(sized.ok()) << sized.error().str();
    EXPECT_EQ(sized.value()->find_map("src_packets")->spec().max_entries, 16u);
    EXPECT_EQ(sized.value()->find_map("proto_packets")->spec().max_entries, 3u);
}

TEST(MapSizes, ASizeForNoMapOrForGlobalDataIsRefused) {
    vm::ObjectOptions opts;
    opts.map_sizes = {{"src_packets", 16}, {"proto_packets", 3}, {"src_packet", 2}};
    auto typo = vm::Object::open(sized_by_loader_obj(), opts);
    ASSERT_FALSE(typo.ok());
    EXPECT_EQ(typo.error().str(), "--map-size src_packet=2: the object has no map 'src_packet'; its maps: "
                                  "proto_packets, src_packets");
    vm::ObjectOptions data;
    data.map_sizes = {{"loader_g.bss", 2}};
    auto globals = vm::Object::open(test_prog_path("loader_globals"), data);
    ASSERT_FALSE(globals.ok());
    EXPECT_NE(globals.error().str().find("exactly one value; --map-size cannot resize it"), std::string::npos)
        << globals.error().str();
}

// The sizes decide what the program sees: with 4 source slots, new sources
// past the fourth are dropped, in the kernel as in xdpdk.
TEST(MapSizes, SameVerdictsAndMapsAsKernelWithTheLoadersSizes) {
    SKIP_WITHOUT_KERNEL();
    CpuPin pin(0);
    DualRuntime rt;
    rt.map_sizes = {{"src_packets", 4}, {"proto_packets", 3}};
    ASSERT_EQ(rt.open(sized_by_loader_obj(), {}, {}), "");
    ASSERT_EQ(rt.select_program("count_sources"), "");
    std::map<uint32_t, int> verdicts;
    int mismatches = 0;
    for (const char* pcap : {"pcaps/lb_traffic.pcap", "pcaps/fw_traffic.pcap"}) {
        const std::vector<Bytes> frames = read_pcap(pcap);
        for (size_t i = 0; i < frames.size(); ++i) {
            DualRuntime::Outcome outcome;
            const std::string diff = rt.run_and_compare(frames[i], XdpRunOptions{}, pin.cpu(), &outcome);
            ++verdicts[outcome.kernel.action];
            if (!diff.empty() && mismatches++ < kMaxReportedMismatches)
                ADD_FAILURE() << pcap << " packet " << i << ": " << diff;
        }
    }
    EXPECT_GT(verdicts[vm::XDP_DROP], 0) << "the 4-entry map never filled";
    EXPECT_GT(verdicts[vm::XDP_PASS], 0);
    rt.expect_same_maps(pin.pinned(), "after the captures");
}

// ---------------------------------------------------------------- .rodata knobs

std::string rodata_knobs_obj() { return test_prog_path("rodata_knobs"); }

struct KnobCase {
    const char* name;
    std::vector<GlobalSetting> globals;
};

std::vector<KnobCase> knob_cases() {
    return {
        {"defaults (peek off)", {}},
        {"peek_len=64", {{"peek_len", bytes_of(uint32_t{64})}}},
        {"peek_len=600, drop short", {{"peek_len", bytes_of(uint32_t{600})}, {"verdict_on_short", {1}}}},
        {"rounds=0", {{"rounds", bytes_of(uint32_t{0})}}},
        {"rounds=100", {{"rounds", bytes_of(uint32_t{100})}}},
    };
}

// Verified as an unknown number, peek_len makes `data + peek_len` an
// unbounded packet offset; the kernel and xdpdk accept the program because
// the frozen .rodata makes it a constant, whatever --set chose.
TEST(RodataKnobs, SameVerdictsBytesAndMapsAsKernelForEverySetting) {
    SKIP_WITHOUT_KERNEL();
    CpuPin pin(0);
    for (const KnobCase& c : knob_cases()) {
        SCOPED_TRACE(c.name);
        DualRuntime rt;
        ASSERT_EQ(rt.open(rodata_knobs_obj(), c.globals, {}), "");
        ASSERT_EQ(rt.select_program("xdp_knobs"), "");
        std::map<uint32_t, int> verdicts;
        int mismatches = 0;
        for (const Bytes& frame : read_pcap("pcaps/edge_cases.pcap")) {
            DualRuntime::Outcome outcome;
            const std::string diff = rt.run_and_compare(frame, XdpRunOptions{}, pin.cpu(), &outcome);
            ++verdicts[outcome.kernel.action];
            if (!diff.empty() && mismatches++ < kMaxReportedMismatches) ADD_FAILURE() << diff;
        }
        EXPECT_GT(verdicts[vm::XDP_TX], 0);
        rt.expect_same_maps(pin.pinned(), c.name);
    }
}

// .rodata is frozen at load, as libbpf freezes it: what the verifier and the
// JIT took as constants cannot change under them (Linux refuses the write
// with EPERM too).
TEST(RodataKnobs, RodataIsFrozenAtLoadAndRefusesUserWrites) {
    auto obj = vm::Object::open(rodata_knobs_obj());
    ASSERT_TRUE(obj.ok());
    vm::Map* rodata = obj.value()->find_map("rodata_k.rodata");
    ASSERT_NE(rodata, nullptr);
    std::vector<uint8_t> value(rodata->spec().value_size, 0);
    const uint32_t key = 0;
    EXPECT_EQ(rodata->user_update(&key, value.data(), vm::kAny), 0) << "before load, .rodata is the initial value";
    ASSERT_TRUE(obj.value()->load().ok());
    EXPECT_TRUE(rodata->frozen());
    EXPECT_EQ(rodata->user_update(&key, value.data(), vm::kAny), -EPERM);
}

// What a knob switches off is not in the program that runs: the loader drops
// the dead branch, as the kernel does for a privileged loader.
TEST(RodataKnobs, ASwitchedOffFeatureLeavesTheLoadedProgram) {
    auto size_with = [](const std::vector<GlobalSetting>& globals) -> size_t {
        auto obj = vm::Object::open(rodata_knobs_obj());
        if (!obj) return 0;
        for (const auto& g : globals) EXPECT_TRUE(obj.value()->set_global(g.name, g.value).ok());
        auto st = obj.value()->load();
        EXPECT_TRUE(st.ok()) << st.error().str();
        auto prog = obj.value()->find_program("xdp_knobs");
        return prog ? prog.value()->insns.size() : 0;
    };
    const size_t off = size_with({});
    const size_t on = size_with({{"peek_len", bytes_of(uint32_t{64})}});
    const size_t no_rounds = size_with({{"rounds", bytes_of(uint32_t{0})}});
    EXPECT_GT(off, 0u);
    EXPECT_LT(off, on) << "the peek branch stayed in the program with peek_len=0";
    EXPECT_LT(no_rounds, off) << "the loop stayed in the program with rounds=0";
}

// ---------------------------------------------------------------- one program of several

// xdp-loader and `ip link set xdp ... sec` load only the program they attach;
// a program of the same object that no verifier accepts does not stop it.
TEST(LoadOnly, TheChosenProgramLoadsWhenAnotherIsRefused) {
    const std::string path = test_prog_path("one_prog_refused");
    auto whole = vm::Object::open(path);
    ASSERT_TRUE(whole.ok());
    auto refused = whole.value()->load();
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().subject, "prog 'xdp_unchecked'");

    auto one = vm::Object::open(path);
    ASSERT_TRUE(one.ok());
    auto checked = one.value()->find_program("xdp_checked");
    ASSERT_TRUE(checked.ok());
    ASSERT_TRUE(one.value()->load_only({checked.value()}).ok());
    auto st = one.value()->load();
    ASSERT_TRUE(st.ok()) << st.error().str();
    EXPECT_FALSE(checked.value()->insns.empty());
    EXPECT_TRUE(one.value()->programs().front()->insns.empty()) << "the refused program was loaded";

    if (!kernel_unavailable_reason().empty()) GTEST_SKIP() << "kernel oracle unavailable: " << kernel_unavailable_reason();
    // The kernel agrees: the whole object is refused, the chosen program alone loads.
    auto kwhole = KernelObject::open(path);
    ASSERT_TRUE(kwhole.ok());
    EXPECT_FALSE(kwhole.value()->load().ok());
    auto kone = KernelObject::open(path);
    ASSERT_TRUE(kone.ok());
    bpf_program* p;
    bpf_object__for_each_program(p, kone.value()->raw()) {
        bpf_program__set_autoload(p, std::string_view(bpf_program__name(p)) == "xdp_checked");
    }
    auto kst = kone.value()->load();
    EXPECT_TRUE(kst.ok()) << kst.error().str();
}

// ---------------------------------------------------------------- tags

// The tag `prog show` prints is the kernel's for the same object (what
// `bpftool prog show` prints for it once loaded).
TEST(ProgTag, EqualsTheKernelsForEveryBuiltObject) {
    SKIP_WITHOUT_KERNEL();
    int compared = 0;
    for (const std::string& path : built_objects()) {
        SCOPED_TRACE(path);
        vm::ObjectOptions opts;
        opts.map_sizes = loader_map_sizes(path);
        auto ours = vm::Object::open(path, opts);
        ASSERT_TRUE(ours.ok()) << ours.error().str();
        if (!ours.value()->load().ok()) continue;  // refused on purpose (one_prog_refused)
        auto kobj = KernelObject::open(path);
        if (!kobj.ok()) continue;  // legacy "maps" sections: libbpf 1.x cannot open them
        for (const auto& [map, size] : opts.map_sizes) ASSERT_TRUE(kobj.value()->set_map_size(map, size).ok());
        if (!kobj.value()->load().ok()) continue;  // kprobes and the like that this machine refuses
        bpf_program* p;
        bpf_object__for_each_program(p, kobj.value()->raw()) {
            const vm::Program* prog = nullptr;
            for (const auto& q : ours.value()->programs())
                if (q->name == bpf_program__name(p) && !q->insns.empty()) prog = q.get();
            if (prog == nullptr) continue;  // not an XDP program
            bpf_prog_info info{};
            uint32_t len = sizeof info;
            ASSERT_EQ(bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len), 0);
            EXPECT_EQ(hex(prog->tag), hex({info.tag, sizeof info.tag})) << prog->name;
            ++compared;
        }
    }
    EXPECT_GE(compared, 30);
    std::printf("compared the tags of %d programs with the kernel's\n", compared);
}

}  // namespace
}  // namespace xdpdk::test
