#include "dp_trace.h"

#include <rte_cycles.h>

namespace xdpdk::dataplane {

void TraceBus::publish(std::string line) {
    std::unique_lock lock(mu_, std::try_to_lock);
    if (!lock.owns_lock()) {
        lost_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    lines_.push_back(std::move(line));
    if (lines_.size() > kBacklog) lines_.pop_front();
    ++next_seq_;
}

std::function<std::vector<std::string>()> TraceBus::follow() {
    uint64_t from;
    {
        std::lock_guard lock(mu_);
        from = next_seq_;
    }
    uint64_t lost_seen = lost_.load(std::memory_order_relaxed);
    return [this, from, lost_seen]() mutable {
        std::vector<std::string> out;
        const uint64_t lost = lost_.load(std::memory_order_relaxed);
        if (lost != lost_seen) {
            out.push_back("... " + std::to_string(lost - lost_seen) + " lines lost (published while a follower read)");
            lost_seen = lost;
        }
        std::lock_guard lock(mu_);
        const uint64_t oldest = next_seq_ - lines_.size();
        if (from < oldest) {
            out.push_back("... " + std::to_string(oldest - from) + " lines lost (backlog overrun)");
            from = oldest;
        }
        for (uint64_t seq = from; seq < next_seq_; ++seq) out.push_back(lines_[seq - oldest]);
        from = next_seq_;
        return out;
    };
}

WorkerTrace::WorkerTrace(FILE* out, TraceBus* bus, uint32_t slot) : out_(out), bus_(bus), slot_(slot) {}

void WorkerTrace::emit(const char* line, int len) {
    if (len <= 0) return;
    if (out_ != nullptr) std::fprintf(out_, "%.*s\n", len, line);
    if (bus_ != nullptr) bus_->publish(std::string(line, static_cast<size_t>(len)));
}

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
    char buf[512];
    const int n = std::snprintf(buf, sizeof buf, "worker %u: %.*s", slot_, static_cast<int>(line.size()), line.data());
    emit(buf, n < static_cast<int>(sizeof buf) ? n : static_cast<int>(sizeof buf) - 1);
}

void WorkerTrace::aborted(uint16_t port, uint16_t queue, uint64_t retval, const char* fault, uint32_t len) {
    if (!allow()) return;
    char buf[512];
    const int n = std::snprintf(buf, sizeof buf, "worker %u: port %u queue %u: XDP_ABORTED (return value %llu%s%s), %u bytes",
                                slot_, port, queue, static_cast<unsigned long long>(retval), fault ? ", fault: " : "",
                                fault ? fault : "", len);
    emit(buf, n < static_cast<int>(sizeof buf) ? n : static_cast<int>(sizeof buf) - 1);
}

}  // namespace xdpdk::dataplane
