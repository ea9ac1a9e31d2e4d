// `xdpdk bench`: the timing loops. Every engine runs the capture's packets
// over and over for a fixed time and counts runs, time and verdicts; the VM
// engines restore each packet into one reused frame before every run, the
// kernel runs each distinct packet with BPF_PROG_TEST_RUN's repeat.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "kernel_runner.h"
#include "vm/error.h"
#include "vm/exec_context.h"
#include "vm/program.h"
#include "vm/xdp.h"

namespace xdpdk::cli {

struct BenchPackets {
    std::vector<std::vector<uint8_t>> packets;  // in capture order
    size_t distinct = 0;                        // different byte strings among them
};

// Every packet of a pcap/pcapng file, in memory; a capture without packets
// is an error.
Result<BenchPackets> read_bench_packets(const std::string& pcap_path);

struct EngineResult {
    std::string engine;   // "jit", "interp", "kernel"
    std::string skipped;  // why the engine did not run; empty when it did
    std::string note;     // what ran, where that needs saying ("kernel JIT")
    uint64_t packets = 0; // program runs
    double run_ns = 0;    // time charged to the runs: the thread's CPU time, or the kernel's own duration
    double wall_ns = 0;   // wall-clock time of the loop
    // Per packet of the capture: run_ns / packets for the VM engines; for the
    // kernel each packet's own average weighted by how often it occurs.
    double ns_per_packet = 0;
    std::array<uint64_t, 5> verdicts{};  // runs by action, XDP_ABORTED .. XDP_REDIRECT (others count as aborted)

    bool ran() const { return skipped.empty(); }
    double mpps() const { return ns_per_packet > 0 ? 1e3 / ns_per_packet : 0; }
};

// Called now and then while an engine runs, with its counts so far and the
// seconds elapsed.
using ProgressFn = std::function<void(const EngineResult&, double elapsed_s)>;

// Whole passes over the packets until `duration_s` has passed (at least one
// pass); run_ns is the thread's CPU time, which includes restoring each
// packet into the frame.
EngineResult bench_jit(const vm::Program& prog, const BenchPackets& packets, double duration_s,
                       const ProgressFn& progress);  // prog.jit must be set
EngineResult bench_interpreter(const vm::Program& prog, const BenchPackets& packets, double duration_s,
                               const ProgressFn& progress);

// What restoring a packet into the frame costs alone, per packet: the part
// of the VM engines' ns/packet that is not the program.
double measure_restore_ns(const BenchPackets& packets, double duration_s);

// One BPF_PROG_TEST_RUN per distinct packet, with a repeat count that
// spreads `duration_s` over them by how often each occurs. A call with
// repeat > 1 also costs the kernel a fixed ~16 ms (it swaps the program into
// its XDP dispatcher and waits for RCU), so when there are more distinct
// packets than calls fit in half the time, the packets at evenly spaced
// positions of the capture stand for it (the note says so). A failing run
// skips the engine, with the reason.
EngineResult bench_kernel(const KernelRunner& kernel, const BenchPackets& packets, double duration_s,
                          const ProgressFn& progress);

}  // namespace xdpdk::cli
