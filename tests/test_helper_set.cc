// Linux 6.18's whole XDP helper set, helper by helper: each one is provided
// (a kHelpers row) or refused at load with a reason that names it (a
// kUnavailable row); kfunc calls are refused by the kfunc's name; the
// kernel's verifier offers XDP programs exactly this set, and accepts a
// program of ours calling each helper xdpdk provides.
#include <gtest/gtest.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernel_oracle.h"
#include "test_support.h"
#include "vm/helpers.h"
#include "vm/object.h"
#include "vm/program.h"

namespace xdpdk::test {
namespace {

// Every helper Linux 6.18 offers BPF_PROG_TYPE_XDP: xdp_func_proto in
// net/core/filter.c (the XDP helpers, the socket lookups under CONFIG_INET,
// the raw SYN-cookie helpers under CONFIG_SYN_COOKIES), falling through to
// bpf_sk_base_func_proto (net/core/filter.c: skc_to_* casts, perfmon-gated
// get_cgroup_classid) and bpf_base_func_proto (kernel/bpf/helpers.c: maps,
// clocks, strings, timers, dynptrs, ringbufs, and the CAP_PERFMON tracing
// helpers), for a root loader. Checked against this machine's 6.18 kernel by
// KernelOffersExactlyThisSet below.
constexpr int32_t kLinux618XdpHelpers[] = {
    1,   2,   3,   5,   6,   7,   8,   12,  14,  15,  16,  17,  22,  23,  25,  28,  35,  37,  42,  44,  51,
    54,  55,  65,  69,  80,  84,  85,  86,  87,  88,  89,  93,  94,  99,  100, 105, 106, 109, 110, 112, 113,
    114, 115, 117, 118, 120, 123, 125, 130, 131, 132, 133, 134, 136, 137, 138, 139, 140, 141, 149, 153, 154,
    156, 157, 158, 160, 163, 164, 165, 169, 170, 171, 172, 175, 176, 177, 178, 180, 181, 182, 188, 189, 190,
    194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211,
};
constexpr int32_t kLinux618LastHelper = 211;  // bpf_cgrp_storage_delete

bool in_xdp_set(int32_t id) {
    return std::find(std::begin(kLinux618XdpHelpers), std::end(kLinux618XdpHelpers), id) !=
           std::end(kLinux618XdpHelpers);
}

TEST(HelperSet, EveryXdpHelperIsProvidedOrRefusedWithAReason) {
    int provided = 0, refused = 0;
    for (int32_t id : kLinux618XdpHelpers) {
        const bool has = vm::helper_spec(id) != nullptr;
        const char* why = vm::helper_unavailable_reason(id);
        EXPECT_TRUE(has != (why != nullptr)) << vm::helper_name(id) << "#" << id;
        EXPECT_EQ(vm::helper_name(id).rfind("bpf_", 0), 0u) << id;
        (has ? provided : refused)++;
        if (why) {
            EXPECT_GT(std::string(why).size(), 10u) << vm::helper_name(id);
            EXPECT_EQ(vm::helper_refusal(id),
                      "helper " + vm::helper_name(id) + "#" + std::to_string(id) + " is not provided by xdpdk: " + why);
        }
    }
    EXPECT_EQ(provided + refused, int(std::size(kLinux618XdpHelpers)));
    // Nothing outside Linux's XDP set is provided, or refused as if it were in it.
    for (int32_t id = 1; id <= kLinux618LastHelper + 5; ++id) {
        if (in_xdp_set(id)) continue;
        EXPECT_EQ(vm::helper_spec(id), nullptr) << vm::helper_name(id);
        EXPECT_EQ(vm::helper_unavailable_reason(id), nullptr) << vm::helper_name(id);
    }
}

std::string raw_load_error(int32_t helper) {
    std::vector<vm::RawInsn> raw = {{0x85, 0, 0, 0, helper}, {0xb7, 0, 0, 0, 2}, {0x95, 0, 0, 0, 0}};
    auto prog = vm::make_program("prog 'p'", raw, vm::ProgType::Xdp);
    return prog ? "" : prog.error().str();
}

TEST(HelperSet, RefusalsNameTheHelperAndSayWhy) {
    EXPECT_EQ(raw_load_error(84),
              "prog 'p': insn 0: helper bpf_sk_lookup_tcp#84 is not provided by xdpdk: it works on the kernel's "
              "socket table (struct sock), and a userspace dataplane has no sockets to look up");
    EXPECT_NE(raw_load_error(86).find("bpf_sk_release#86 is not provided by xdpdk: it works on the kernel's socket"),
              std::string::npos);
    EXPECT_NE(raw_load_error(169).find("bpf_timer_init#169 is not provided by xdpdk: BPF timers"), std::string::npos);
    EXPECT_NE(raw_load_error(210).find("bpf_cgrp_storage_get#210 is not provided by xdpdk"), std::string::npos);
    // A helper Linux keeps from XDP programs, and a number it does not define.
    EXPECT_EQ(raw_load_error(9),
              "prog 'p': insn 0: helper bpf_skb_store_bytes#9 is not offered to XDP programs (Linux refuses it too)");
    EXPECT_EQ(raw_load_error(4000), "prog 'p': insn 0: unknown helper #4000 (no such helper number)");
}

// A kfunc (src_reg 2) without an object names its BTF id; in an object, the
// extern's name.
TEST(HelperSet, KfuncCallsAreRefusedByName) {
    std::vector<vm::RawInsn> raw = {{0x85, 0, 2, 0, 12345}, {0x95, 0, 0, 0, 0}};
    auto prog = vm::make_program("prog 'p'", raw, vm::ProgType::Xdp);
    ASSERT_FALSE(prog);
    EXPECT_NE(prog.error().str().find("kfunc with BTF id 12345 is not provided by xdpdk: kfuncs are kernel functions"),
              std::string::npos)
        << prog.error().str();

    auto obj = vm::Object::open(test_prog_path("unavailable_conntrack"));
    ASSERT_TRUE(obj) << obj.error().str();
    Status st = (*obj)->load();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().subject, "prog 'established_only'");
    EXPECT_NE(st.error().str().find(": kfunc bpf_xdp_ct_lookup is not provided by xdpdk: netfilter connection "
                                    "tracking: userspace has no kernel conntrack table"),
              std::string::npos)
        << st.error().str();
    auto found = (*obj)->find_program("established_only");
    ASSERT_TRUE(found);
    auto uses = (*obj)->program_uses(**found);
    ASSERT_TRUE(uses) << uses.error().str();
    EXPECT_EQ(uses->kfuncs, (std::vector<std::string>{"bpf_xdp_ct_lookup", "bpf_ct_release"}));

    EXPECT_EQ(vm::kfunc_refusal("bpf_iter_num_new"),
              "kfunc bpf_iter_num_new is not provided by xdpdk: open-coded iterators (bpf_for, bpf_repeat) are not "
              "provided yet");
    EXPECT_NE(vm::kfunc_refusal("bpf_some_future_kfunc").find("xdpdk provides none"), std::string::npos);
}

TEST(HelperSet, ProgShowGivesTheReasons) {
    auto r = run_command({xdpdk_binary(), "prog", "show", test_prog_path("unavailable_conntrack"), "-j"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto progs = nlohmann::json::parse(r.out);
    ASSERT_EQ(progs.size(), 1u);
    ASSERT_TRUE(progs[0].contains("kfuncs")) << progs[0].dump();
    EXPECT_EQ(progs[0]["kfuncs"][0]["name"], "bpf_xdp_ct_lookup");
    EXPECT_EQ(progs[0]["kfuncs"][0]["available"], false);
    EXPECT_EQ(progs[0]["kfuncs"][0]["reason"], vm::kfunc_refusal("bpf_xdp_ct_lookup"));

    auto text = run_command({xdpdk_binary(), "prog", "show", test_prog_path("unavailable_features")});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    std::string line = vm::helper_refusal(14);
    line.insert(line.begin(), '\t');
    line.push_back('\n');
    EXPECT_NE(text.out.find(line), std::string::npos) << text.out;
}

// The ids the kernel's verifier lets an XDP program call: a one-call
// program whose refusal is not "cannot use helper", "unknown func" or
// "might sleep" reached the helper's argument checks, so the helper is
// offered.
std::set<int32_t> kernel_xdp_helpers() {
    std::set<int32_t> offered;
    std::vector<char> log(1 << 16);
    for (int32_t id = 1; id <= kLinux618LastHelper + 8; ++id) {
        const bpf_insn insns[] = {{0x85, 0, 0, 0, id}, {0xb7, 0, 0, 0, 0}, {0x95, 0, 0, 0, 0}};
        LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_level = 1, .log_size = uint32_t(log.size()), .log_buf = log.data());
        log[0] = 0;
        const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "probe", "GPL", insns, 3, &opts);
        if (fd >= 0) {
            close(fd);
            offered.insert(id);
            continue;
        }
        const std::string text(log.data());
        if (text.find("cannot use helper") == std::string::npos && text.find("unknown func") == std::string::npos &&
            text.find("invalid func") == std::string::npos && text.find("might sleep") == std::string::npos)
            offered.insert(id);
    }
    return offered;
}

TEST(HelperSet, KernelOffersExactlyThisSet) {
    if (const auto& why = kernel_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
    const std::set<int32_t> expected(std::begin(kLinux618XdpHelpers), std::end(kLinux618XdpHelpers));
    EXPECT_EQ(kernel_xdp_helpers(), expected);
}

// For every helper xdpdk provides, some program of ours that calls it is
// accepted by the kernel's verifier as an XDP program (objects the kernel
// refuses as a whole, or whose other program types it refuses, teach
// nothing here and are passed over).
TEST(HelperSet, KernelAcceptsAProgramCallingEachProvidedHelper) {
    if (const auto& why = kernel_unavailable_reason(); !why.empty()) GTEST_SKIP() << why;
    std::set<int32_t> accepted;
    for (const std::string& path : built_objects()) {
        vm::ObjectOptions listing;
        listing.listing = true;
        auto obj = vm::Object::open(path, listing);
        if (!obj) continue;
        auto k = KernelObject::open(path);
        if (!k) continue;
        for (const auto& [map, size] : loader_map_sizes(path)) (void)(*k)->set_map_size(map, size);
        if (!(*k)->load()) continue;
        for (const auto& p : (*obj)->programs()) {
            if (p->type != vm::ProgType::Xdp) continue;
            auto uses = (*obj)->program_uses(*p);
            if (uses) accepted.insert(uses->helpers.begin(), uses->helpers.end());
        }
    }
    for (int32_t id : kLinux618XdpHelpers) {
        if (vm::helper_spec(id)) {
            EXPECT_TRUE(accepted.count(id)) << vm::helper_name(id) << "#" << id
                                            << ": no XDP program of ours calling it loads in the kernel";
        }
    }
}

}  // namespace
}  // namespace xdpdk::test
