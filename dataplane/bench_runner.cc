#include "bench_runner.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <unordered_map>

#include "pcap_io.h"
#include "replay_report.h"
#include "vm/interpreter.h"
#include "vm/packet.h"
#include "vm/reclaim.h"

namespace xdpdk::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Runs between looks at the clock, so reading it costs nothing measurable.
constexpr uint64_t kRunsPerCheck = 1024;
// A kernel round aims at this much time, so progress keeps moving.
constexpr double kKernelRoundS = 0.25;
constexpr double kMaxRepeat = 1u << 30;

double thread_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string_view as_key(const std::vector<uint8_t>& bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

size_t largest(const BenchPackets& packets) {
    size_t n = 0;
    for (const auto& p : packets.packets) n = std::max(n, p.size());
    return n;
}

// The VM loop, one instantiation per engine so that `run` inlines.
template <class Run>
EngineResult bench_vm(std::string engine, const BenchPackets& packets, double duration_s, const ProgressFn& progress,
                      Run run) {
    EngineResult result;
    result.engine = std::move(engine);
    // Sized for the largest packet up front, so refill never allocates.
    vm::PacketFrame frame(std::vector<uint8_t>(largest(packets)));
    vm::ExecContext ex;
    // Entries the program deletes are freed between passes, as replay does.
    vm::ReclaimThread reclaim;
    const auto start = Clock::now();
    const double cpu_start = thread_cpu_ns();
    uint64_t since_check = 0;
    for (;;) {
        for (const auto& packet : packets.packets) {
            frame.refill(packet);
            ++result.verdicts[counted_action(run(frame.xdp(), ex))];
        }
        result.packets += packets.packets.size();
        since_check += packets.packets.size();
        reclaim.quiescent();
        if (since_check < kRunsPerCheck) continue;
        since_check = 0;
        const double elapsed = seconds_since(start);
        result.run_ns = thread_cpu_ns() - cpu_start;
        progress(result, elapsed);
        if (elapsed >= duration_s) break;
    }
    result.run_ns = thread_cpu_ns() - cpu_start;
    result.wall_ns = seconds_since(start) * 1e9;
    return result;
}

struct DistinctPacket {
    const std::vector<uint8_t>* bytes;
    size_t first_index;  // in the capture, for errors
    uint64_t count;
};

std::vector<DistinctPacket> distinct_packets(const BenchPackets& packets) {
    std::vector<DistinctPacket> out;
    std::unordered_map<std::string_view, size_t> index;
    for (size_t i = 0; i < packets.packets.size(); ++i) {
        const auto [it, added] = index.try_emplace(as_key(packets.packets[i]), out.size());
        if (added) out.push_back({&packets.packets[i], i, 0});
        ++out[it->second].count;
    }
    return out;
}

}  // namespace

Result<BenchPackets> read_bench_packets(const std::string& pcap_path) {
    XDPDK_ASSIGN_OR_RETURN(auto reader, PcapReader::open(pcap_path));
    BenchPackets out;
    for (;;) {
        XDPDK_ASSIGN_OR_RETURN(auto next, reader->next());
        if (!next) break;
        out.packets.emplace_back(next->bytes.begin(), next->bytes.end());
    }
    if (out.packets.empty()) return make_error("pcap '" + pcap_path + "'", "has no packets to run");
    out.distinct = distinct_packets(out).size();
    return out;
}

EngineResult bench_interpreter(const vm::Program& prog, const BenchPackets& packets, double duration_s,
                               const ProgressFn& progress) {
    return bench_vm("interp", packets, duration_s, progress, [&prog](vm::XdpBuff& xdp, vm::ExecContext& ex) {
        ex.reset_run();
        return vm::interpret(prog, reinterpret_cast<uint64_t>(&xdp), 0, ex);
    });
}

EngineResult bench_kernel(const KernelRunner& kernel, const BenchPackets& packets, double duration_s,
                          const ProgressFn& progress) {
    EngineResult result;
    result.engine = "kernel";
    result.note = kernel.jited() ? "kernel JIT" : "kernel interpreter";
    const auto distinct = distinct_packets(packets);
    const auto start = Clock::now();
    // Each round runs every distinct packet `scale` times as often as it
    // occurs in the capture; the scale grows to fill the time in rounds of
    // about kKernelRoundS.
    double scale = 1;
    for (;;) {
        const auto round_start = Clock::now();
        for (const auto& d : distinct) {
            const auto repeat = static_cast<uint32_t>(std::min(kMaxRepeat, static_cast<double>(d.count) * scale));
            auto run = kernel.run(*d.bytes, repeat);
            if (!run) {
                EngineResult skipped;
                skipped.engine = result.engine;
                skipped.skipped = "packet " + std::to_string(d.first_index) + ": " + run.error().str();
                return skipped;
            }
            result.packets += repeat;
            result.run_ns += static_cast<double>(run->duration_ns) * repeat;
            result.verdicts[counted_action(run->retval)] += repeat;
            progress(result, seconds_since(start));
        }
        const double elapsed = seconds_since(start);
        if (elapsed >= duration_s) break;
        const double round_s = std::max(seconds_since(round_start), 1e-6);
        const double target_s = std::min(duration_s - elapsed, kKernelRoundS);
        scale = std::clamp(scale * target_s / round_s, 1.0, kMaxRepeat);
    }
    result.wall_ns = seconds_since(start) * 1e9;
    return result;
}

}  // namespace xdpdk::cli
