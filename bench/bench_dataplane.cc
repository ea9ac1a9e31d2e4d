// bench_dataplane: packets per second through `xdpdk run` on one worker core
// for an XDP_DROP program, the XDP_TX MAC swap and the sample load balancer,
// measured in the same run as dpdk-testpmd io forwarding on the same virtual
// device and core (the ceiling) and testpmd with a librte_bpf program
// JIT-compiled into its rx path; on net_pcap (infinite_rx=1: the frames of a
// capture held in mbufs, 64-byte and mixed sizes) and on net_null; without
// and with hugepages. Each benchmark is one run of the application for a
// fixed time (manual time); Mpps is a counter. Results and the command that
// regenerates them: bench/README.md ("Dataplane").
//
// Options before the Google Benchmark ones:
//   --seconds=S          measured time per run (default 3)
//   --hugepages=off|on|both  (default both; "on" needs root)
//   --xdpdk=PATH --testpmd=PATH
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/hugepages.h"
#include "dataplane/runs.h"
#include "dataplane/traffic.h"

#ifndef XDPDK_BENCH_BUILD_DIR
#define XDPDK_BENCH_BUILD_DIR "build"
#endif
#ifndef XDPDK_BENCH_SOURCE_DIR
#define XDPDK_BENCH_SOURCE_DIR "."
#endif

namespace {

using namespace xdpdk::bench;

constexpr unsigned kHugepages = 1024;  // 2 GiB; each run takes -m 1024

struct Options {
    double seconds = 3;
    bool no_huge = true, huge = true;
    std::string xdpdk = XDPDK_BENCH_BUILD_DIR "/dataplane/xdpdk";
    std::string testpmd = "dpdk-testpmd";
};

struct Device {
    std::string name;  // row name
    std::string vdev;
    bool pcap;
};

struct System {
    std::string name;
    std::optional<XdpProgram> xdp;  // xdpdk with this program, else testpmd
    std::string bpf_object;         // testpmd: librte_bpf program ("" = io)
    std::vector<std::string> testpmd_options = {};
};

std::string build_path(const std::string& rel) { return std::string(XDPDK_BENCH_BUILD_DIR) + "/" + rel; }

std::vector<System> systems() {
    const std::string lb_maps = std::string(XDPDK_BENCH_SOURCE_DIR) + "/configs/lb-maps.json";
    return {
        {"testpmd_io", std::nullopt, ""},
        // Buffers the size of xdpdk's (a 4 KiB XDP frame; testpmd's default
        // is 2 KiB): the io ceiling with the same memory per packet.
        {"testpmd_io_4k", std::nullopt, "", {"--mbuf-size=4096"}},
        {"testpmd_bpf_drop", std::nullopt, build_path("bench/progs/rte_dp_drop.o")},
        {"testpmd_bpf_mac_swap", std::nullopt, build_path("bench/progs/rte_dp_mac_swap.o")},
        {"xdpdk_drop", XdpProgram{build_path("progs/xdp_drop.o"), "", "", "XDP_DROP"}, ""},
        // No program body: what xdpdk itself costs around an XDP_TX program.
        {"xdpdk_tx_empty", XdpProgram{build_path("bench/progs/xdp_tx_empty.o"), "", "", "XDP_TX"}, ""},
        {"xdpdk_mac_swap", XdpProgram{build_path("progs/mac_swap.o"), "", "", "XDP_TX"}, ""},
        {"xdpdk_load_balancer", XdpProgram{build_path("progs/load_balancer.o"), "xdp_load_balancer", lb_maps, "XDP_TX"},
         ""},
    };
}

// Set up once, before the first hugepage row; torn down at exit.
std::optional<Hugepages> g_hugepages;

void run_one(benchmark::State& state, const Options& o, const Device& dev, const System& sys, bool huge,
             const std::string& scratch) {
    Environment env{o.xdpdk, o.testpmd, scratch, "", o.seconds};
    if (huge) {
        if (!g_hugepages) g_hugepages.emplace(Hugepages::setup(kHugepages));
        if (!g_hugepages->ok()) {
            state.SkipWithError(("hugepages: " + g_hugepages->error()).c_str());
            for (auto _ : state) {
            }
            return;
        }
        env.hugepage_dir = g_hugepages->mount_dir();
    }
    RunResult r;
    for (auto _ : state) {
        r = sys.xdp ? run_xdpdk(env, dev.vdev, *sys.xdp) : run_testpmd(env, dev.vdev, dev.pcap, sys.bpf_object, sys.testpmd_options);
        if (!r.error.empty()) {
            state.SkipWithError(r.error.c_str());
            break;
        }
        state.SetIterationTime(r.seconds);
    }
    if (!r.error.empty()) return;
    state.counters["Mpps"] = r.mpps;
    state.counters["RSS_MiB"] = static_cast<double>(r.max_rss_kb) / 1024.0;
    if (sys.xdp) {
        state.counters["main_action_share"] = r.main_share;
        char label[64];
        std::snprintf(label, sizeof label, "%.0f%% %s", r.main_share * 100, sys.xdp->main_action);
        state.SetLabel(label);
    }
}

void register_all(const Options& o, const TrafficFiles& traffic, const std::string& scratch) {
    const std::vector<Device> devices = {
        {"pcap64", "net_pcap0,rx_pcap=" + traffic.frames64 + ",infinite_rx=1", true},
        {"pcap_imix", "net_pcap0,rx_pcap=" + traffic.mixed + ",infinite_rx=1", true},
        {"null64", "net_null0,size=64", false},
    };
    std::vector<bool> modes;
    if (o.no_huge) modes.push_back(false);
    if (o.huge) modes.push_back(true);
    for (const bool huge : modes) {
        for (const Device& dev : devices) {
            for (const System& sys : systems()) {
                const std::string name = std::string(huge ? "huge" : "nohuge") + "/" + dev.name + "/" + sys.name;
                benchmark::RegisterBenchmark(name.c_str(),
                                             [o, dev, sys, huge, scratch](benchmark::State& state) {
                                                 run_one(state, o, dev, sys, huge, scratch);
                                             })
                    ->Iterations(1)
                    ->UseManualTime()
                    ->Unit(benchmark::kSecond);
            }
        }
    }
}

std::string loadavg() {
    std::string line;
    std::ifstream in("/proc/loadavg");
    std::getline(in, line);
    return line;
}

// Removes our options from argv; false on a bad value.
bool parse_options(int& argc, char** argv, Options& o) {
    int out = 1;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](const char* flag) -> const char* {
            const size_t n = std::strlen(flag);
            return a.compare(0, n, flag) == 0 ? argv[i] + n : nullptr;
        };
        if (const char* v = value("--seconds=")) {
            o.seconds = std::atof(v);
            if (o.seconds <= 0) return false;
        } else if (const char* v = value("--hugepages=")) {
            const std::string m = v;
            if (m != "off" && m != "on" && m != "both") return false;
            o.no_huge = m != "on";
            o.huge = m != "off";
        } else if (const char* v = value("--xdpdk=")) {
            o.xdpdk = v;
        } else if (const char* v = value("--testpmd=")) {
            o.testpmd = v;
        } else {
            argv[out++] = argv[i];
        }
    }
    argc = out;
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    if (!parse_options(argc, argv, options)) {
        std::fprintf(stderr, "usage: %s [--seconds=S] [--hugepages=off|on|both] [--xdpdk=PATH] [--testpmd=PATH] "
                             "[benchmark options]\n", argv[0]);
        return 2;
    }
    char scratch[] = "/tmp/xdpdk-bench-dp-XXXXXX";
    if (mkdtemp(scratch) == nullptr) {
        std::perror("mkdtemp");
        return 1;
    }
    std::string error;
    const TrafficFiles traffic = write_traffic(scratch, error);
    if (!error.empty()) {
        std::fprintf(stderr, "bench_dataplane: %s\n", error.c_str());
        return 1;
    }
    // Repetitions of all rows in a shuffled order by default (a later
    // --benchmark_enable_random_interleaving=false wins): the host's load
    // drifts over minutes and a run right after another DPDK process tends
    // to be faster, so rows measured back to back are biased.
    char interleave[] = "--benchmark_enable_random_interleaving=true";
    std::vector<char*> args(argv, argv + argc);
    args.insert(args.begin() + 1, interleave);
    args.push_back(nullptr);
    int nargs = argc + 1;
    benchmark::Initialize(&nargs, args.data());
    if (benchmark::ReportUnrecognizedArguments(nargs, args.data())) return 2;
    register_all(options, traffic, scratch);
    benchmark::AddCustomContext("seconds_per_run", std::to_string(options.seconds));
    benchmark::AddCustomContext("worker", "lcore 1 (main lcore 0)");
    // The machine may be shared: the load says how far to trust the rates.
    benchmark::AddCustomContext("loadavg_at_start", loadavg());
    benchmark::RunSpecifiedBenchmarks();
    std::fprintf(stderr, "bench_dataplane: load average at the end: %s\n", loadavg().c_str());
    benchmark::Shutdown();
    g_hugepages.reset();  // unmount and give the pages back
    (void)std::system(("rm -rf " + std::string(scratch)).c_str());
    return 0;
}
