// A cpumap redirect to another worker (bench/README.md, "Cpumap"): the
// dataplane handle on net_ring ports, two workers (EAL lcores 1 and 2, both
// on CPU 1; the traffic thread on CPU 0). Port A runs xdp_to_cpu
// (tests/progs/cpumap_accounting.bpf.c), which redirects every frame into
// the cpumap entry of worker slot 1; A is polled by slot 0, so each frame
// crosses to the other worker, where the entry's xdp/cpumap program passes
// it (sort_by_seq 0) to A's pass target, port B. Port P runs xdp_pass_all
// with the same pass target: the path without the hop.
//
//   CpumapToOtherWorker  ns per frame delivered at B, A's traffic only
//   PassDirect           the same through P (no cpumap)
//   KernelLiveFrames     the kernel's JIT on the same object: BPF_PROG_TEST_RUN
//                        with BPF_F_TEST_XDP_LIVE_FRAMES (the frames really
//                        go through the cpumap to CPU 1's kthread, which runs
//                        xdp_cpumap_sort and passes them to the stack); ns
//                        per frame = the sender's time (the test run, CPU 0)
//                        plus the kthread's (/proc/PID/schedstat), per frame
//
// build/bench/bench_cpumap --benchmark_repetitions=7
//     --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
#include <atomic>
#include <chrono>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <memory>
#include <sched.h>
#include <string>
#include <thread>

#include <benchmark/benchmark.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "ring_traffic.h"
#include "xdpdk/dataplane.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kWindow = std::chrono::milliseconds(200);

std::string object() { return std::string(XDPDK_BENCH_BUILD_DIR) + "/tests/progs/cpumap_accounting.o"; }

// One dataplane, and a traffic thread feeding the port a benchmark names.
class CpumapRig {
public:
    static CpumapRig* get() {
        static CpumapRig* rig = [] {
            auto* r = new CpumapRig();
            if (!r->start()) {
                delete r;
                return static_cast<CpumapRig*>(nullptr);
            }
            return r;
        }();
        return rig;
    }

    // Frames at B per second while `into` is fed.
    double delivered_per_second(bool via_cpumap) {
        feed_ = via_cpumap ? &a_ : &p_;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the other port's frames drain
        const uint64_t before = delivered_.load();
        const auto start = Clock::now();
        std::this_thread::sleep_for(kWindow);
        const double n = static_cast<double>(delivered_.load() - before);
        const double s = std::chrono::duration<double>(Clock::now() - start).count();
        feed_ = nullptr;
        return n / s;
    }

    uint64_t cpumap_drops() const {
        const std::string s = dp_->summary_json();
        const size_t at = s.find("\"drops\":", s.find("\"cpumap\""));
        return at == std::string::npos ? 0 : std::stoull(s.substr(at + 8));
    }

private:
    bool start() {
        if (!xdpdk::test::init_eal_once("bench-cpumap", "0@0,1@1,2@1")) return false;
        a_ = xdpdk::test::make_ring_port("bcpm_a");
        p_ = xdpdk::test::make_ring_port("bcpm_p");
        b_ = xdpdk::test::make_ring_port("bcpm_b");
        if (a_.port == UINT16_MAX || p_.port == UINT16_MAX || b_.port == UINT16_MAX) return false;
        auto created = xdpdk::Dataplane::create({});
        if (!created) return false;
        dp_ = std::move(*created);
        xdpdk::PortOptions to_b;
        to_b.pass.kind = xdpdk::PassTarget::Kind::Port;
        to_b.pass.port = b_.port;
        if (!dp_->add_port(a_.port, to_b).ok() || !dp_->add_port(p_.port, to_b).ok() || !dp_->add_port(b_.port).ok())
            return false;
        xdpdk::ProgramSpec hop;
        hop.object_path = object();
        hop.program = "xdp_to_cpu";
        hop.globals = {"sort_by_seq=0"};
        hop.maps_json = R"({"cpu_map": [{"key": "01000000", "value": "0040000000000000", "prog": "xdp_cpumap_sort"}]})";
        xdpdk::ProgramSpec direct;
        direct.object_path = object();
        direct.program = "xdp_pass_all";
        if (!dp_->attach(a_.port, hop).ok() || !dp_->attach(p_.port, direct).ok() || !dp_->start().ok()) return false;
        pool_ = rte_pktmbuf_pool_create("bench_cpumap", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
        if (pool_ == nullptr) return false;
        pump_ = std::thread([this] { pump(); });
        return true;
    }

    void pump() {
        rte_mbuf* burst[32];
        while (true) {
            const xdpdk::test::RingPort* into = feed_.load();
            if (into != nullptr && rte_ring_count(into->rx) < 1024) {
                unsigned made = 0;
                for (; made < 32; ++made) {
                    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
                    if (m == nullptr) break;
                    std::memset(rte_pktmbuf_append(m, 64), 0, 64);
                    rte_pktmbuf_mtod(m, uint8_t*)[12] = 0x08;
                    burst[made] = m;
                }
                const unsigned queued = rte_ring_enqueue_burst(into->rx, reinterpret_cast<void**>(burst), made, nullptr);
                if (queued < made) rte_pktmbuf_free_bulk(burst + queued, made - queued);
            }
            unsigned n;
            while ((n = rte_ring_dequeue_burst(b_.tx, reinterpret_cast<void**>(burst), 32, nullptr)) != 0) {
                rte_pktmbuf_free_bulk(burst, n);
                delivered_.fetch_add(n, std::memory_order_relaxed);
            }
        }
    }

    xdpdk::test::RingPort a_, p_, b_;
    std::unique_ptr<xdpdk::Dataplane> dp_;
    rte_mempool* pool_ = nullptr;
    std::thread pump_;
    std::atomic<const xdpdk::test::RingPort*> feed_{nullptr};
    std::atomic<uint64_t> delivered_{0};
};

void report(benchmark::State& state, double per_second) {
    state.counters["Mpps"] = per_second / 1e6;
    state.counters["ns_per_frame"] = per_second > 0 ? 1e9 / per_second : 0;
}

void CpumapToOtherWorker(benchmark::State& state) {
    CpumapRig* rig = CpumapRig::get();
    if (rig == nullptr) return state.SkipWithError("EAL or the ring ports cannot start here");
    double rate = 0;
    for (auto _ : state) rate += rig->delivered_per_second(true);
    report(state, rate / static_cast<double>(state.iterations()));
    state.counters["ring_drops"] = static_cast<double>(rig->cpumap_drops());
}

void PassDirect(benchmark::State& state) {
    CpumapRig* rig = CpumapRig::get();
    if (rig == nullptr) return state.SkipWithError("EAL or the ring ports cannot start here");
    double rate = 0;
    for (auto _ : state) rate += rig->delivered_per_second(false);
    report(state, rate / static_cast<double>(state.iterations()));
}

// ns this task has run on a CPU (the first field of /proc/PID/schedstat).
uint64_t run_ns(int pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/schedstat");
    uint64_t ns = 0;
    f >> ns;
    return ns;
}

// The kthread the kernel starts for a cpumap entry: "cpumap/CPU/map:ID".
int cpumap_kthread(uint32_t cpu, uint32_t map_id) {
    const std::string want = "cpumap/" + std::to_string(cpu) + "/map:" + std::to_string(map_id);
    DIR* proc = opendir("/proc");
    if (proc == nullptr) return -1;
    int found = -1;
    while (dirent* e = readdir(proc)) {
        const int pid = std::atoi(e->d_name);
        if (pid <= 0) continue;
        std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
        std::string name;
        std::getline(comm, name);
        if (name == want) found = pid;
    }
    closedir(proc);
    return found;
}

struct KernelRig {
    bpf_object* obj = nullptr;
    int prog_fd = -1, kthread = -1;
    std::string error;  // why the kernel side cannot run here
};

// The object loaded into the kernel, CPU 1's entry running xdp_cpumap_sort.
KernelRig* kernel_rig() {
    static KernelRig* rig = [] {
        auto* r = new KernelRig();
        r->error = [r]() -> std::string {
            r->obj = bpf_object__open(object().c_str());
            if (r->obj == nullptr) return "bpf_object__open failed";
            if (bpf_object__load(r->obj) != 0) return "bpf_object__load failed (needs root)";
            r->prog_fd = bpf_program__fd(bpf_object__find_program_by_name(r->obj, "xdp_to_cpu"));
            const int cpumap_prog = bpf_program__fd(bpf_object__find_program_by_name(r->obj, "xdp_cpumap_sort"));
            const int map_fd = bpf_map__fd(bpf_object__find_map_by_name(r->obj, "cpu_map"));
            bpf_cpumap_val val{};
            val.qsize = 16384;
            val.bpf_prog.fd = cpumap_prog;
            const uint32_t cpu = 1;
            if (bpf_map_update_elem(map_fd, &cpu, &val, 0) != 0) return "cpumap update failed";
            bpf_map_info info{};
            uint32_t len = sizeof info;
            if (bpf_obj_get_info_by_fd(map_fd, &info, &len) != 0) return "map info failed";
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            r->kthread = cpumap_kthread(cpu, info.id);
            return r->kthread < 0 ? "no cpumap kthread found" : "";
        }();
        return r;
    }();
    return rig;
}

void KernelLiveFrames(benchmark::State& state) {
    KernelRig* rig = kernel_rig();
    if (!rig->error.empty()) return state.SkipWithError(rig->error.c_str());
    // The sender on CPU 0, as the traffic thread above; the kthread is on CPU 1.
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(0, &cpus);
    sched_setaffinity(0, sizeof cpus, &cpus);
    uint8_t frame[64] = {};
    frame[12] = 0x08;
    constexpr uint32_t kFrames = 1u << 18;
    double ns = 0, frames = 0;
    for (auto _ : state) {
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof frame, .repeat = kFrames,
                    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);
        const uint64_t consumer_before = run_ns(rig->kthread);
        const auto start = Clock::now();
        if (bpf_prog_test_run_opts(rig->prog_fd, &opts) != 0) return state.SkipWithError("test run failed");
        const double sender = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the kthread drains its ring
        ns += sender + static_cast<double>(run_ns(rig->kthread) - consumer_before);
        frames += kFrames;
    }
    state.counters["ns_per_frame"] = ns / frames;
    state.counters["Mpps"] = frames / ns * 1e3;
}

BENCHMARK(CpumapToOtherWorker)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK(PassDirect)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK(KernelLiveFrames)->Iterations(5)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
