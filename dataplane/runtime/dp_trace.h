// Where a worker's XDP_ABORTED packets and bpf_printk lines go: the --trace
// file or stderr, and the trace bus that `xdpdk ctl trace` follows (the
// kernel's trace_pipe), at most kTraceLinesPerSecond lines a second per
// worker, so a program that aborts every packet cannot stall its worker.
#pragma once

#include <cstdint>
#include <cstdio>
#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "vm/exec_context.h"

namespace xdpdk::dataplane {

constexpr uint64_t kTraceLinesPerSecond = 50;

// The recent trace lines, numbered, for followers. Workers never wait on it:
// a line that finds the lock taken (a follower copying) is counted as lost.
class TraceBus {
public:
    static constexpr size_t kBacklog = 4096;
    void publish(std::string line);
    // A follower that gets, at each call, the lines published since its
    // previous call; lines it missed (backlog overrun, lost) are reported as
    // one "... N lines lost" line.
    std::function<std::vector<std::string>()> follow();

private:
    std::mutex mu_;
    std::deque<std::string> lines_;
    uint64_t next_seq_ = 0;  // number of the next published line
    std::atomic<uint64_t> lost_{0};  // lines that found the lock taken
};

class WorkerTrace final : public vm::TraceSink {
public:
    // out: may be nullptr (the bus only); bus: may be nullptr.
    WorkerTrace(FILE* out, TraceBus* bus, uint32_t slot);

    // bpf_printk output.
    void write(std::string_view line) override;
    // A packet counted as XDP_ABORTED (retval is what the program returned).
    void aborted(uint16_t port, uint16_t queue, uint64_t retval, const char* fault, uint32_t len);
    uint64_t suppressed() const { return suppressed_; }

private:
    bool allow();
    void emit(const char* line, int len);

    FILE* out_;
    TraceBus* bus_;
    uint32_t slot_;
    uint64_t window_start_ = 0;  // TSC
    uint64_t lines_in_window_ = 0;
    uint64_t suppressed_ = 0;
};

}  // namespace xdpdk::dataplane
