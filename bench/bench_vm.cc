// bench_vm: what one packet costs for every sample program (64- and
// 1500-byte packets on each program's main path) in xdpdk's JIT and
// interpreter, the Linux kernel's JIT running the same objects through
// BPF_PROG_TEST_RUN, DPDK's librte_bpf JIT where it can run the program, and
// the same logic hand-written in C++; and where the replay command's time
// goes on a 1,000,000-packet capture.
// Results and the command that regenerates them: bench/README.md.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "replay_benchmarks.h"
#include "rte_benchmarks.h"
#include "sample_benchmarks.h"
#include "tests/kernel_oracle.h"

#ifndef XDPDK_BENCH_BUILD_DIR
#define XDPDK_BENCH_BUILD_DIR "build"
#endif

namespace {

constexpr uint32_t kKernelRepeat = 1'000'000;
constexpr uint64_t kReplayPackets = 1'000'000;
const char* const kReplayCapture = "/tmp/xdpdk-bench-imix-1M.pcap";
const char* const kReplaySample = "pkt_counter";

// Programs whose packet the kernel's repeated test run does not restore, so
// that repetitions after the first take another path; they also get timed
// one run per call. xdp_pass shows what that mode adds by itself.
bool needs_fresh_packets(const std::string& scenario) {
    return scenario == "load_balancer" || scenario == "meta_tail" || scenario == "xdp_pass";
}

// The kernel rows mean "JIT" only when the kernel JIT is on.
void warn_if_kernel_jit_off() {
    std::ifstream f("/proc/sys/net/core/bpf_jit_enable");
    int enabled = 1;
    if (f >> enabled && enabled == 0)
        std::fprintf(stderr, "bench_vm: net.core.bpf_jit_enable is 0: kernel_jit rows time the kernel's interpreter\n");
}

}  // namespace

int main(int argc, char** argv) {
    // Where the built samples and the xdpdk binary are, unless the caller says.
    const std::string build_dir = XDPDK_BENCH_BUILD_DIR;
    setenv("XDPDK_BUILD_DIR", build_dir.c_str(), 0);
    setenv("XDPDK_BIN", (build_dir + "/dataplane/xdpdk").c_str(), 0);

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

    const std::string& kernel_refusal = xdpdk::test::kernel_unavailable_reason();
    if (!kernel_refusal.empty())
        std::fprintf(stderr, "bench_vm: kernel_jit benchmarks skipped: %s\n", kernel_refusal.c_str());
    else
        warn_if_kernel_jit_off();

    for (const auto& s : xdpdk::test::sample_scenarios(0)) {
        if (s.name == "hello") continue;  // a bpf_printk per packet: a demo, not a workload
        for (size_t len : {64, 1500}) {
            xdpdk::bench::register_vm_benchmark(s, len, xdpdk::bench::Runner::Jit);
            xdpdk::bench::register_vm_benchmark(s, len, xdpdk::bench::Runner::Interp);
            xdpdk::bench::register_vm_benchmark(s, len, xdpdk::bench::Runner::Native);
            xdpdk::bench::register_rte_benchmark(s, len);
            if (!kernel_refusal.empty()) continue;
            xdpdk::bench::register_kernel_benchmark(s, len, kKernelRepeat);
            if (needs_fresh_packets(s.name)) xdpdk::bench::register_kernel_benchmark(s, len, 1);
        }
    }

    if (auto st = xdpdk::bench::ensure_imix_capture(kReplayCapture, kReplayPackets); !st) {
        std::fprintf(stderr, "bench_vm: replay benchmarks skipped: %s\n", st.error().str().c_str());
    } else {
        xdpdk::bench::register_replay_benchmarks(kReplayCapture, kReplayPackets, kReplaySample);
    }

    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
