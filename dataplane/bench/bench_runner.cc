#include "bench_runner.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <unordered_map>

#include "dataplane/replay/pcap_io.h"
#include "dataplane/replay/replay_report.h"
#include "vm/interpreter.h"
#include "vm/packet.h"
#include "vm/reclaim.h"

namespace xdpdk::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Runs between looks at the clock, so reading it costs nothing measurable.
constexpr uint64_t kRunsPerCheck = 1024;
// Kernel calls: the share of the time their fixed cost may take, and the
// repeat bounds. Below ~100 repetitions the kernel's duration is mostly its
// own clock reads.
constexpr double kCallTimeShare = 0.5;
constexpr uint32_t kCalibrationRepeat = 1000;
constexpr double kMinRepeat = 100;
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
        result.ns_per_packet = result.run_ns / static_cast<double>(result.packets);
        progress(result, elapsed);
        if (elapsed >= duration_s) break;
    }
    result.run_ns = thread_cpu_ns() - cpu_start;
    result.wall_ns = seconds_since(start) * 1e9;
    result.ns_per_packet = result.run_ns / static_cast<double>(result.packets);
    return result;
}

struct DistinctPacket {
    const std::vector<uint8_t>* bytes;
    size_t first_index;  // in the capture, for errors
    uint64_t weight;     // occurrences among the packets chosen
};

// The distinct byte strings among capture positions `positions`, in order of
// first appearance, each weighted by its occurrences.
std::vector<DistinctPacket> group_identical(const BenchPackets& packets, const std::vector<size_t>& positions) {
    std::vector<DistinctPacket> out;
    std::unordered_map<std::string_view, size_t> index;
    for (size_t i : positions) {
        const auto [it, added] = index.try_emplace(as_key(packets.packets[i]), out.size());
        if (added) out.push_back({&packets.packets[i], i, 0});
        ++out[it->second].weight;
    }
    return out;
}

std::vector<size_t> every_position(size_t n) {
    std::vector<size_t> all(n);
    for (size_t i = 0; i < n; ++i) all[i] = i;
    return all;
}

// `count` of `positions`, spread evenly: a sample in which each packet
// appears about as often as among all of them.
std::vector<size_t> even_sample(const std::vector<size_t>& positions, size_t count) {
    std::vector<size_t> out(count);
    const double step = static_cast<double>(positions.size()) / static_cast<double>(count);
    for (size_t j = 0; j < count; ++j) out[j] = positions[static_cast<size_t>((static_cast<double>(j) + 0.5) * step)];
    return out;
}

EngineResult skipped_kernel(std::string reason) {
    EngineResult r;
    r.engine = "kernel";
    r.skipped = std::move(reason);
    return r;
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
    out.distinct = group_identical(out, every_position(out.packets.size())).size();
    return out;
}

EngineResult bench_jit(const vm::Program& prog, const BenchPackets& packets, double duration_s,
                       const ProgressFn& progress) {
    const vm::JitCode::Entry entry = prog.jit->entry();
    return bench_vm("jit", packets, duration_s, progress, [entry](vm::XdpBuff& xdp, vm::ExecContext& ex) {
        ex.reset_run();
        return entry(reinterpret_cast<uint64_t>(&xdp), 0, &ex);
    });
}

EngineResult bench_interpreter(const vm::Program& prog, const BenchPackets& packets, double duration_s,
                               const ProgressFn& progress) {
    return bench_vm("interp", packets, duration_s, progress, [&prog](vm::XdpBuff& xdp, vm::ExecContext& ex) {
        ex.reset_run();
        return vm::interpret(prog, reinterpret_cast<uint64_t>(&xdp), 0, ex);
    });
}

double measure_restore_ns(const BenchPackets& packets, double duration_s) {
    const ProgressFn quiet = [](const EngineResult&, double) {};
    return bench_vm("restore", packets, duration_s, quiet,
                    [](vm::XdpBuff&, vm::ExecContext&) -> uint64_t { return vm::XDP_PASS; })
        .ns_per_packet;
}

EngineResult bench_kernel(const KernelRunner& kernel, const BenchPackets& packets, double duration_s,
                          const ProgressFn& progress) {
    // BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header.
    std::vector<size_t> runnable;
    for (size_t i = 0; i < packets.packets.size(); ++i)
        if (packets.packets[i].size() >= vm::kEthHeaderLen) runnable.push_back(i);
    if (runnable.empty())
        return skipped_kernel("every packet is shorter than " + std::to_string(vm::kEthHeaderLen) +
                              " bytes, which BPF_PROG_TEST_RUN refuses");
    const size_t left_out = packets.packets.size() - runnable.size();

    const auto start = Clock::now();
    // What one call costs besides the runs, from a first call that is not
    // counted.
    auto calibration = kernel.run(packets.packets[runnable[0]], kCalibrationRepeat);
    if (!calibration) return skipped_kernel("packet " + std::to_string(runnable[0]) + ": " + calibration.error().str());
    const double run_estimate_ns = std::max(1.0, static_cast<double>(calibration->duration_ns));
    const double call_overhead_s =
        std::max(1e-6, seconds_since(start) - run_estimate_ns * kCalibrationRepeat * 1e-9);

    auto distinct = group_identical(packets, runnable);
    const auto max_calls = static_cast<size_t>(std::max(1.0, kCallTimeShare * duration_s / call_overhead_s));
    std::string sample_note;
    if (distinct.size() > max_calls) {
        const size_t all = distinct.size();
        distinct = group_identical(packets, even_sample(runnable, max_calls));
        sample_note = std::to_string(distinct.size()) + " of " + std::to_string(all) +
                      " distinct packets, at evenly spaced positions of the capture";
    }
    if (left_out > 0) {
        if (!sample_note.empty()) sample_note += "; ";
        sample_note += "left out " + std::to_string(left_out) + " packet" + (left_out == 1 ? "" : "s") +
                       " shorter than " + std::to_string(vm::kEthHeaderLen) + " bytes, which it refuses";
    }
    uint64_t weight_left = 0;
    for (const auto& d : distinct) weight_left += d.weight;

    EngineResult result;
    result.engine = "kernel";
    result.note = kernel.jited() ? "the kernel's JIT" : "the kernel's interpreter (bpf_jit_enable is 0)";
    result.note += " through BPF_PROG_TEST_RUN, timed by the kernel; its repeat does not restore the packet "
                   "between runs";
    if (!sample_note.empty()) result.note += "; " + sample_note;
    double weighted_ns = 0;
    uint64_t weight_done = 0;
    // Wall time per repetition as observed so far (the kernel's duration
    // leaves out time it was rescheduled), to share out what remains.
    double wall_ns_per_run = run_estimate_ns;
    double runs_wall_ns = 0;
    for (size_t k = 0; k < distinct.size(); ++k) {
        const auto& d = distinct[k];
        const double calls_left = static_cast<double>(distinct.size() - k);
        const double budget_s = std::max(0.0, duration_s - seconds_since(start) - calls_left * call_overhead_s);
        const double runs = budget_s * 1e9 / wall_ns_per_run * static_cast<double>(d.weight) /
                            static_cast<double>(weight_left);
        const auto repeat = static_cast<uint32_t>(std::clamp(runs, kMinRepeat, kMaxRepeat));
        const auto call_start = Clock::now();
        auto run = kernel.run(*d.bytes, repeat);
        if (!run) return skipped_kernel("packet " + std::to_string(d.first_index) + ": " + run.error().str());
        runs_wall_ns += std::max(0.0, seconds_since(call_start) - call_overhead_s) * 1e9;
        result.packets += repeat;
        result.run_ns += static_cast<double>(run->duration_ns) * repeat;
        result.verdicts[counted_action(run->retval)] += repeat;
        wall_ns_per_run = std::max(run_estimate_ns, runs_wall_ns / static_cast<double>(result.packets));
        weighted_ns += static_cast<double>(run->duration_ns) * static_cast<double>(d.weight);
        weight_done += d.weight;
        weight_left -= d.weight;
        result.ns_per_packet = weighted_ns / static_cast<double>(weight_done);
        progress(result, seconds_since(start));
    }
    result.wall_ns = seconds_since(start) * 1e9;
    return result;
}

}  // namespace xdpdk::cli
