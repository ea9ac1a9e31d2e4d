// Hot swap on a live port (bench/README.md, "Hot swap"): the dataplane
// handle embedded on a net_ring port whose rx ring a traffic thread keeps
// fed, one worker running swap_v1/swap_v2 (tests/progs/swap_stamp.h).
//
//   Steady           worker packets per second, no swap
//   SwapEvery10ms    the same while the program is swapped every 10 ms
//   SwapLatency      one swap per iteration, under traffic: the time from
//                    the request to every worker on the new program (load,
//                    verify, JIT, then install and wait for the workers),
//                    and the install part alone
//
// build/bench/bench_swap --benchmark_repetitions=5
//     --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <benchmark/benchmark.h>

#include "ring_traffic.h"
#include "xdpdk/dataplane.h"

namespace {

using Clock = std::chrono::steady_clock;

std::string prog(const char* name) { return std::string(XDPDK_BENCH_BUILD_DIR) + "/tests/progs/" + name + ".o"; }

// One dataplane and one traffic thread for the whole process.
class SwapRig {
public:
    static SwapRig* get() {
        static SwapRig* rig = [] {
            auto* r = new SwapRig();
            if (!r->start()) {
                delete r;
                return static_cast<SwapRig*>(nullptr);
            }
            return r;
        }();
        return rig;
    }

    uint64_t rx() const {
        const auto stats = dp_->port_stats();
        return stats.empty() ? 0 : stats[0].rx_packets;
    }

    // Alternates the two releases, carrying the maps over.
    xdpdk::Result<xdpdk::SwapReport> swap() {
        xdpdk::ProgramSpec spec;
        spec.object_path = prog(next_is_v2_ ? "swap_v2" : "swap_v1");
        next_is_v2_ = !next_is_v2_;
        return dp_->swap(port_, spec);
    }

private:
    bool start() {
        if (!xdpdk::test::init_eal_once("bench-swap")) return false;
        const xdpdk::test::RingPort ring = xdpdk::test::make_ring_port("bench_swap");
        if (ring.port == UINT16_MAX) return false;
        port_ = ring.port;
        auto created = xdpdk::Dataplane::create({});
        if (!created) return false;
        dp_ = std::move(*created);
        xdpdk::ProgramSpec v1;
        v1.object_path = prog("swap_v1");
        if (!dp_->add_port(port_).ok() || !dp_->attach(port_, v1).ok() || !dp_->start().ok()) return false;
        traffic_ = std::make_unique<xdpdk::test::RingTraffic>(ring);
        if (!traffic_->ok()) return false;
        pump_ = std::thread([this] {
            while (!stop_.load(std::memory_order_relaxed)) traffic_->pump(32);
        });
        return true;
    }

    uint16_t port_ = 0;
    std::unique_ptr<xdpdk::Dataplane> dp_;
    std::unique_ptr<xdpdk::test::RingTraffic> traffic_;
    std::thread pump_;
    std::atomic<bool> stop_{false};
    bool next_is_v2_ = true;
};

constexpr auto kWindow = std::chrono::milliseconds(200);

void Steady(benchmark::State& state) {
    SwapRig* rig = SwapRig::get();
    if (rig == nullptr) return state.SkipWithError("EAL or the ring port cannot start here");
    double packets = 0, seconds = 0;
    for (auto _ : state) {
        const uint64_t before = rig->rx();
        const auto start = Clock::now();
        std::this_thread::sleep_for(kWindow);
        packets += static_cast<double>(rig->rx() - before);
        seconds += std::chrono::duration<double>(Clock::now() - start).count();
    }
    state.counters["Mpps"] = packets / seconds / 1e6;
}

void SwapEvery10ms(benchmark::State& state) {
    SwapRig* rig = SwapRig::get();
    if (rig == nullptr) return state.SkipWithError("EAL or the ring port cannot start here");
    double packets = 0, seconds = 0, swaps = 0;
    for (auto _ : state) {
        const uint64_t before = rig->rx();
        const auto start = Clock::now();
        auto next = start;
        while (Clock::now() - start < kWindow) {
            next += std::chrono::milliseconds(10);
            if (!rig->swap()) return state.SkipWithError("swap failed");
            ++swaps;
            std::this_thread::sleep_until(next);
        }
        packets += static_cast<double>(rig->rx() - before);
        seconds += std::chrono::duration<double>(Clock::now() - start).count();
    }
    state.counters["Mpps"] = packets / seconds / 1e6;
    state.counters["swaps"] = swaps;
}

void SwapLatency(benchmark::State& state) {
    SwapRig* rig = SwapRig::get();
    if (rig == nullptr) return state.SkipWithError("EAL or the ring port cannot start here");
    double install_us = 0;
    for (auto _ : state) {
        const auto start = Clock::now();
        auto r = rig->swap();
        const double total = std::chrono::duration<double>(Clock::now() - start).count();
        if (!r) return state.SkipWithError(r.error().str().c_str());
        state.SetIterationTime(total);
        install_us += static_cast<double>(r->switch_ns) / 1e3;
    }
    state.counters["install_us"] = benchmark::Counter(install_us, benchmark::Counter::kAvgIterations);
}

BENCHMARK(Steady)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK(SwapEvery10ms)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK(SwapLatency)->Iterations(200)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
