// What replay reports: per-action packet and byte counts with the summary
// table, and the per-packet JSON line of --jsonl.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "vm/exec_context.h"
#include "vm/program.h"

namespace xdpdk::cli {

class ActionCounts {
public:
    // Counts a run by its verdict; return values that are not an XDP action
    // count as XDP_ABORTED, as the kernel treats them.
    void add(uint64_t retval, uint64_t bytes);
    // A frame the kernel's test run would refuse (shorter than an Ethernet
    // header), counted apart from the verdicts.
    void add_not_run() { ++not_run_; }
    uint64_t not_run() const { return not_run_; }
    uint64_t packets(uint32_t action) const { return packets_.at(action); }
    uint64_t bytes(uint32_t action) const { return bytes_.at(action); }
    uint64_t total_packets() const;
    uint64_t total_bytes() const;

    // "action        packets      bytes" and one row per action, then total
    // (of the packets run), and a "not run" row when some were not.
    std::string table() const;

private:
    static constexpr size_t kActions = 5;  // XDP_ABORTED .. XDP_REDIRECT
    std::array<uint64_t, kActions> packets_{};
    std::array<uint64_t, kActions> bytes_{};
    uint64_t not_run_ = 0;
};

// The action counted for a return value.
uint32_t counted_action(uint64_t retval);

// {"index":0,"action":"XDP_TX","retval":3,"len":60,"data":"<hex>","meta":"<hex>"}
// (meta: data_meta..data, as BPF_PROG_TEST_RUN returns it) plus "redirect"
// ({"ifindex":N}, or {"map":"name","key":K,"ifindex":N}) when the program
// redirected, and "fault" when the run stopped on a runtime fault. A
// broadcast (BPF_F_BROADCAST) lists every copy:
// {"map":"name","broadcast":true,"exclude_ingress":B,"targets":[{"key":K,"ifindex":N},...]}.
// A frame redirected into a cpumap: the worker (CPU slot) it went to, the
// entry's xdp/cpumap program (if any) and what it returned there, and where
// that program redirected it (as the kernel's cpumap kthread carries out:
// XDP_PASS to the stack, XDP_REDIRECT onwards, anything else dropped).
struct CpumapHop {
    uint32_t cpu = 0;
    const vm::Map* map = nullptr;
    const vm::Program* prog = nullptr;
    uint64_t action = 2;  // XDP_PASS when the entry has no program
    vm::RedirectTarget redirect;  // the cpumap program's own redirect
};

// With a cpumap hop, "redirect" is {"map":"name","cpu":N} and "cpumap" says
// what happened there: {"prog":"name" or null,"action":"XDP_PASS",...}.
std::string jsonl_record(uint64_t index, uint64_t retval, std::span<const uint8_t> data,
                         std::span<const uint8_t> meta, const vm::ExecContext& ex, const CpumapHop* hop);
// {"index":0,"action":"not run","len":10,"reason":"..."}: a frame not run.
std::string jsonl_not_run_record(uint64_t index, uint64_t len, const std::string& reason);

}  // namespace xdpdk::cli
