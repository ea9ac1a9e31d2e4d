// Linux's verifier as the oracle: every corpus program and every sample
// object is loaded into the kernel as XDP, and the kernel's accept/refuse
// must match ours, except where a case's `-- kernel` section says why Linux
// differs (a privileged loader may do things xdpdk never allows). Skips
// when this process may not use bpf().
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include "kernel_oracle.h"
#include "test_support.h"
#include "test_verifier_case.h"
#include "vm/object.h"

using namespace xdpdk;

namespace {

struct KernelVerdict {
    bool accepted = false;
    std::string log;  // the end of the kernel's verifier log when refused
};

std::string log_tail(const std::string& log) {
    std::string t = log.size() > 300 ? log.substr(log.size() - 300) : log;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\0')) t.pop_back();
    return t;
}

// with_log: keep the tail of the kernel's log (slow for the budget cases).
Result<KernelVerdict> kernel_load(const test::VerifierCase& c, bool with_log) {
    std::vector<int> fds;
    auto close_all = [&] {
        for (int fd : fds) close(fd);
    };
    for (const test::CaseMap& m : c.maps) {
        LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = m.spec.flags);
        const int fd = bpf_map_create(static_cast<bpf_map_type>(m.spec.type), m.spec.name.c_str(), m.spec.key_size,
                                      m.spec.value_size, m.spec.max_entries, &opts);
        if (fd < 0) {
            close_all();
            return make_error("map '" + m.spec.name + "'", "bpf_map_create failed: " + std::to_string(fd));
        }
        fds.push_back(fd);
    }
    std::vector<bpf_insn> insns(c.program.size());
    std::memcpy(insns.data(), c.program.data(), insns.size() * sizeof(bpf_insn));
    for (const test::CaseMapRef& r : c.map_refs) {
        insns[r.insn].src_reg = r.value ? BPF_PSEUDO_MAP_VALUE : BPF_PSEUDO_MAP_FD;
        insns[r.insn].imm = fds[r.map];
        insns[r.insn + 1].imm = static_cast<int32_t>(r.offset);
    }
    std::string log(with_log ? 64 * 1024 : 1, '\0');
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_level = with_log ? 1u : 0u,
                .log_size = with_log ? static_cast<uint32_t>(log.size()) : 0u, .log_buf = with_log ? log.data() : nullptr);
    const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "vcase", "GPL", insns.data(), insns.size(), &opts);
    KernelVerdict v;
    v.accepted = fd >= 0;
    if (fd >= 0) close(fd);
    else v.log = log_tail(log.c_str());
    close_all();
    return v;
}

TEST(VerifierKernel, CorpusAgreesWithLinux) {
    if (!test::kernel_unavailable_reason().empty()) GTEST_SKIP() << test::kernel_unavailable_reason();
    std::string disagreements;
    size_t compared = 0, marked = 0;
    for (const std::string& f : test::list_verifier_cases(test::source_path("tests/verifier"))) {
        auto c = test::load_verifier_case(f);
        ASSERT_TRUE(c.ok()) << c.error().str();
        if (c->raw) continue;  // raw programs are not XDP programs
        const test::CaseVerdict ours = test::run_verifier_case(*c);
        const auto start = std::chrono::steady_clock::now();
        auto kernel = kernel_load(*c, false);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        if (ms > 200) std::printf("%s: %.0f ms in the kernel\n", c->name.c_str(), ms);
        ASSERT_TRUE(kernel.ok()) << c->name << ": " << kernel.error().str();
        ++compared;
        bool expect_kernel = ours.accepted;
        if (!c->kernel_verdict.empty()) {
            expect_kernel = c->kernel_verdict == "accepts";
            ++marked;
        }
        if (kernel->accepted == expect_kernel) continue;
        if (!kernel->accepted) kernel = kernel_load(*c, true);
        disagreements += "\n  " + c->name + ": xdpdk " + (ours.accepted ? "accepts" : "refuses (" + ours.error.reason.substr(0, ours.error.reason.find('\n')) + ")") +
                         ", Linux " + (kernel->accepted ? "accepts" : "refuses (" + kernel->log + ")");
        if (!c->kernel_verdict.empty()) disagreements += " [marked: kernel " + c->kernel_verdict + "]";
    }
    EXPECT_TRUE(disagreements.empty()) << "verdicts differ from Linux for:" << disagreements;
    EXPECT_GE(compared, 150u);
    std::printf("compared %zu corpus programs with Linux (%zu marked as differing on purpose)\n", compared, marked);
}

TEST(VerifierKernel, SamplesAgreeWithLinux) {
    if (!test::kernel_unavailable_reason().empty()) GTEST_SKIP() << test::kernel_unavailable_reason();
    std::string disagreements;
    for (const std::string& path : xdpdk::test::built_objects()) {
        vm::ObjectOptions opts;
        opts.engine = vm::EngineKind::Interp;
        opts.map_sizes = test::loader_map_sizes(path);
        auto obj = vm::Object::open(path, opts);
        ASSERT_TRUE(obj.ok()) << obj.error().str();
        const Status ours = (*obj)->load();
        auto kobj = test::KernelObject::open(path);
        if (!kobj.ok()) {
            // libbpf 1.x no longer opens legacy "maps" sections: no verdict to compare.
            std::printf("not compared (libbpf cannot open it): %s\n", kobj.error().str().c_str());
            continue;
        }
        for (const auto& [map, size] : opts.map_sizes) ASSERT_TRUE((*kobj)->set_map_size(map, size).ok());
        const Status theirs = (*kobj)->load();
        if (ours.ok() == theirs.ok()) continue;
        disagreements += "\n  " + path + ": xdpdk " + (ours.ok() ? "accepts" : "refuses (" + ours.error().str() + ")") +
                         ", Linux " + (theirs.ok() ? "accepts" : "refuses (" + theirs.error().str() + ")");
    }
    EXPECT_TRUE(disagreements.empty()) << "verdicts differ from Linux for:" << disagreements;
}

}  // namespace
