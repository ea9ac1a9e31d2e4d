#include "dp_trace.h"

#include <rte_cycles.h>

namespace xdpdk::dataplane {

WorkerTrace::WorkerTrace(FILE* out, uint32_t slot) : out_(out), slot_(slot) {}

bool WorkerTrace::allow() {
    const uint64_t now = rte_get_tsc_cycles();
    if (now - window_start_ >= rte_get_tsc_hz()) {
        window_start_ = now;
        lines_in_window_ = 0;
    }
    if (lines_in_window_ >= kTraceLinesPerSecond) {
        ++suppressed_;
        return false;
    }
    ++lines_in_window_;
    return true;
}

void WorkerTrace::write(std::string_view line) {
    if (!allow()) return;
    std::fprintf(out_, "worker %u: %.*s\n", slot_, static_cast<int>(line.size()), line.data());
}

void WorkerTrace::aborted(uint16_t port, uint16_t queue, uint64_t retval, const char* fault, uint32_t len) {
    if (!allow()) return;
    std::fprintf(out_, "worker %u: port %u queue %u: XDP_ABORTED (return value %llu%s%s), %u bytes\n", slot_, port,
                 queue, static_cast<unsigned long long>(retval), fault ? ", fault: " : "", fault ? fault : "", len);
}

}  // namespace xdpdk::dataplane
