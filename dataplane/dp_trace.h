// Where a worker's XDP_ABORTED packets and bpf_printk lines go: the --trace
// file or stderr, at most kTraceLinesPerSecond lines a second per worker, so
// a program that aborts every packet cannot stall its worker on output.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string_view>

#include "vm/exec_context.h"

namespace xdpdk::dataplane {

constexpr uint64_t kTraceLinesPerSecond = 50;

class WorkerTrace final : public vm::TraceSink {
public:
    WorkerTrace(FILE* out, uint32_t slot);

    // bpf_printk output.
    void write(std::string_view line) override;
    // A packet counted as XDP_ABORTED (retval is what the program returned).
    void aborted(uint16_t port, uint16_t queue, uint64_t retval, const char* fault, uint32_t len);
    uint64_t suppressed() const { return suppressed_; }

private:
    bool allow();

    FILE* out_;
    uint32_t slot_;
    uint64_t window_start_ = 0;  // TSC
    uint64_t lines_in_window_ = 0;
    uint64_t suppressed_ = 0;
};

}  // namespace xdpdk::dataplane
