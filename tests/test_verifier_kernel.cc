// Linux's verifier as the oracle: every corpus program and every sample
// object is loaded into the kernel as XDP, and the kernel's accept/refuse
// must match ours: the default (privileged) rules against root, the strict
// ones against a loader without CAP_PERFMON (and CAP_SYS_ADMIN, which
// implies it), except where a case's `-- kernel` or `-- unprivileged`
// section says why Linux differs. Skips when this process may not use bpf().
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>

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
        if (m.inner >= 0) opts.inner_map_fd = static_cast<uint32_t>(fds[m.inner]);
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

struct CorpusComparison {
    std::string disagreements;
    size_t compared = 0, marked = 0;
};

// Every XDP corpus case under one mode's rules against the kernel as this
// process may load it. Uses no gtest assertions: it also runs in a child
// with fewer capabilities.
CorpusComparison compare_corpus(bool strict) {
    CorpusComparison out;
    for (const std::string& f : test::list_verifier_cases(test::source_path("tests/verifier"))) {
        auto c = test::load_verifier_case(f);
        if (!c.ok()) {
            out.disagreements += "\n  " + c.error().str();
            continue;
        }
        if (c->raw) continue;  // raw programs are not XDP programs
        const test::CaseVerdict ours = test::run_verifier_case(*c, strict);
        const auto start = std::chrono::steady_clock::now();
        auto kernel = kernel_load(*c, false);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        if (ms > 200) std::printf("%s: %.0f ms in the kernel\n", c->name.c_str(), ms);
        if (!kernel.ok()) {
            out.disagreements += "\n  " + c->name + ": " + kernel.error().str();
            continue;
        }
        ++out.compared;
        const std::string& marked = strict ? c->unpriv_verdict : c->kernel_verdict;
        bool expect_kernel = ours.accepted;
        if (!marked.empty()) {
            expect_kernel = marked == "accepts";
            ++out.marked;
        }
        if (kernel->accepted == expect_kernel) continue;
        if (!kernel->accepted) kernel = kernel_load(*c, true);
        out.disagreements += "\n  " + c->name + ": xdpdk " + (ours.accepted ? "accepts" : "refuses (" + ours.error.reason.substr(0, ours.error.reason.find('\n')) + ")") +
                             ", Linux " + (kernel->accepted ? "accepts" : "refuses (" + kernel->log + ")");
        if (!marked.empty()) out.disagreements += " [marked: kernel " + marked + "]";
    }
    return out;
}

// Leaves this process with CAP_BPF and CAP_NET_ADMIN only: bpf_capable but
// not perfmon_capable, so Linux applies its unprivileged pointer and stack
// rules (allow_ptr_leaks, allow_uninit_stack off) to XDP. "" when done.
std::string drop_to_bpf_and_net_admin() {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    for (int cap : {CAP_BPF, CAP_NET_ADMIN}) {
        data[cap / 32].effective |= 1u << (cap % 32);
        data[cap / 32].permitted |= 1u << (cap % 32);
    }
    if (syscall(SYS_capset, &hdr, data) != 0) return std::string("capset: ") + std::strerror(errno);
    return "";
}

TEST(VerifierKernel, CorpusAgreesWithLinux) {
    if (!test::kernel_unavailable_reason().empty()) GTEST_SKIP() << test::kernel_unavailable_reason();
    const CorpusComparison r = compare_corpus(false);
    EXPECT_TRUE(r.disagreements.empty()) << "verdicts differ from Linux (root) for:" << r.disagreements;
    EXPECT_GE(r.compared, 150u);
    std::printf("compared %zu corpus programs with Linux as root (%zu marked as differing)\n", r.compared, r.marked);
}

// Runs `fn` in a forked child holding only CAP_BPF and CAP_NET_ADMIN; its
// text comes back, or "skip <why>" when the capabilities cannot be dropped.
template <class Fn>
std::string without_perfmon(Fn&& fn) {
    int fds[2];
    if (pipe(fds) != 0) return std::string("skip pipe: ") + std::strerror(errno);
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid < 0) return std::string("skip fork: ") + std::strerror(errno);
    if (pid == 0) {
        close(fds[0]);
        std::string why = drop_to_bpf_and_net_admin();
        const std::string out = why.empty() ? fn() : "skip " + why;
        for (size_t done = 0; done < out.size();) {
            const ssize_t n = write(fds[1], out.data() + done, out.size() - done);
            if (n <= 0) break;
            done += size_t(n);
        }
        std::fflush(stdout);
        _exit(0);
    }
    close(fds[1]);
    std::string got;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) got.append(buf, size_t(n));
    close(fds[0]);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return "child failed (status " + std::to_string(status) + ")\n" + got;
    return got;
}

// The strict rules against Linux without CAP_PERFMON; the child writes
// "<compared> <marked>\n<disagreements>".
TEST(VerifierKernel, StrictCorpusAgreesWithLinuxWithoutPerfmon) {
    if (!test::kernel_unavailable_reason().empty()) GTEST_SKIP() << test::kernel_unavailable_reason();
    const std::string got = without_perfmon([] {
        const CorpusComparison r = compare_corpus(true);
        return std::to_string(r.compared) + " " + std::to_string(r.marked) + "\n" + r.disagreements;
    });
    if (got.starts_with("skip ")) GTEST_SKIP() << "cannot drop CAP_PERFMON: " << got.substr(5);
    const size_t nl = got.find('\n');
    ASSERT_NE(nl, std::string::npos) << got;
    size_t compared = 0, marked = 0;
    ASSERT_EQ(std::sscanf(got.c_str(), "%zu %zu", &compared, &marked), 2) << got;
    const std::string disagreements = got.substr(nl + 1);
    EXPECT_TRUE(disagreements.empty()) << "strict verdicts differ from Linux without CAP_PERFMON for:" << disagreements;
    EXPECT_GE(compared, 150u);
    std::printf("compared %zu corpus programs with Linux without CAP_PERFMON (%zu marked as differing)\n", compared,
                marked);
}

// Objects Linux without CAP_PERFMON refuses for reasons the strict rules do
// not model.
const std::map<std::string, std::string> kStrictDiffers = {
    {"tail_calls", "speculation hardening (bypass_spec_v1 off) refuses variable packet pointer arithmetic"},
    {"loader_sections", "its kprobe program needs CAP_PERFMON to load at all; xdpdk loads only XDP programs"},
    {"rodata_knobs", "speculation hardening explores both ways of decided branches: its loop exceeds 8192 pending jumps"},
    // The pruning work's parsing loops (tests/progs on its branch).
    {"filter_like", "speculation hardening (bypass_spec_v1 off) refuses variable packet pointer arithmetic"},
    {"ipv6_ext_walk", "speculation hardening (bypass_spec_v1 off) refuses variable packet pointer arithmetic"},
    {"tcp_opts_walk", "speculation hardening (bypass_spec_v1 off) refuses variable packet pointer arithmetic"},
    // Its bpf_loop callback indexes the TCP options by a masked offset.
    {"helper_callbacks", "speculation hardening (bypass_spec_v1 off) refuses variable packet pointer arithmetic"},
};

// Every built object, the ones Linux refuses included, under one mode's
// rules against the kernel as this process may load it; the disagreements.
std::string compare_objects(bool strict) {
    std::string disagreements;
    std::vector<std::string> paths = xdpdk::test::built_objects();
    for (const std::string& p : xdpdk::test::refused_objects()) paths.push_back(p);
    for (const std::string& path : paths) {
        vm::ObjectOptions opts;
        opts.engine = vm::EngineKind::Interp;
        opts.strict_verifier = strict;
        opts.map_sizes = test::loader_map_sizes(path);
        auto obj = vm::Object::open(path, opts);
        if (!obj.ok()) {
            disagreements += "\n  " + obj.error().str();
            continue;
        }
        const Status ours = (*obj)->load();
        auto kobj = test::KernelObject::open(path);
        if (!kobj.ok()) {
            // libbpf 1.x no longer opens legacy "maps" sections: no verdict to compare.
            std::printf("not compared (libbpf cannot open it): %s\n", kobj.error().str().c_str());
            continue;
        }
        bool sized = true;
        for (const auto& [map, size] : opts.map_sizes) sized = sized && (*kobj)->set_map_size(map, size).ok();
        if (!sized) {
            disagreements += "\n  " + path + ": the kernel object's maps cannot be sized";
            continue;
        }
        const Status theirs = (*kobj)->load();
        if (ours.ok() == theirs.ok()) continue;
        const std::string stem = std::filesystem::path(path).stem().string();
        if (strict && kStrictDiffers.contains(stem) && ours.ok() && !theirs.ok()) {
            std::printf("%s: Linux without CAP_PERFMON refuses, as expected: %s\n", stem.c_str(),
                        kStrictDiffers.at(stem).c_str());
            continue;
        }
        disagreements += "\n  " + path + ": xdpdk " + (ours.ok() ? "accepts" : "refuses (" + ours.error().str() + ")") +
                         ", Linux " + (theirs.ok() ? "accepts" : "refuses (" + theirs.error().str() + ")");
    }
    return disagreements;
}

TEST(VerifierKernel, SamplesAgreeWithLinux) {
    if (!test::kernel_unavailable_reason().empty()) GTEST_SKIP() << test::kernel_unavailable_reason();
    const std::string disagreements = compare_objects(false);
    EXPECT_TRUE(disagreements.empty()) << "verdicts differ from Linux (root) for:" << disagreements;
}

TEST(VerifierKernel, StrictSamplesAgreeWithLinuxWithoutPerfmon) {
    if (!test::kernel_unavailable_reason().empty()) GTEST_SKIP() << test::kernel_unavailable_reason();
    const std::string got = without_perfmon([] { return "ok" + compare_objects(true); });
    if (got.starts_with("skip ")) GTEST_SKIP() << "cannot drop CAP_PERFMON: " << got.substr(5);
    ASSERT_TRUE(got.starts_with("ok")) << got;
    EXPECT_EQ(got, "ok") << "strict verdicts differ from Linux without CAP_PERFMON for:" << got.substr(2);
}

}  // namespace
