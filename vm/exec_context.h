// Per-run state that helpers reach through their hidden sixth argument: the
// worker's CPU slot, where bpf_printk lines go, the redirect a program asked
// for, the tail-call budget, and the FIB that bpf_fib_lookup reads.
#pragma once

#include <cstdint>
#include <string_view>

namespace xdpdk::vm {

class Fib;
class Map;
struct Program;

class TraceSink {
public:
    virtual ~TraceSink() = default;
    // One formatted bpf_printk line, without the trailing newline.
    virtual void write(std::string_view line) = 0;
};

struct RedirectTarget {
    // Cpu: to the worker (CPU slot) `key` of a cpumap, where the entry's
    // program, if any, runs before the frame goes where XDP_PASS goes.
    // Broadcast: a copy to every entry of the devmap `map` (BPF_F_BROADCAST;
    // `flags` may exclude the ingress device, whose ifindex the runner that
    // carries the redirect out puts in `ifindex`), see maps/devmap_broadcast.h.
    enum class Kind : uint8_t { None, Ifindex, Map, Cpu, Broadcast } kind = Kind::None;
    uint32_t ifindex = 0;      // target ifindex (also resolved for devmap entries)
    const Map* map = nullptr;  // for bpf_redirect_map
    uint32_t key = 0;
    uint64_t flags = 0;
};

struct ExecContext {
    uint32_t cpu = 0;               // per-CPU map slot; bpf_get_smp_processor_id()
    uint32_t numa_node = 0;         // bpf_get_numa_node_id()
    TraceSink* trace = nullptr;     // nullptr: bpf_printk output is discarded
    RedirectTarget redirect;
    uint32_t tail_calls = 0;        // taken in this run, at most bpf::kMaxTailCalls
    const char* fault = nullptr;    // set when a run stops on a runtime fault
    // Routes, neighbours and devices for bpf_fib_lookup and bpf_check_mtu;
    // nullptr: an empty table (no device but the ingress one, at MTU 1500).
    const Fib* fib = nullptr;

    void reset_run() {
        redirect = RedirectTarget{};
        tail_calls = 0;
        fault = nullptr;
    }
};

// Helpers get r1-r5 and the context; they return r0.
using HelperFn = uint64_t (*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, ExecContext*);

}  // namespace xdpdk::vm
