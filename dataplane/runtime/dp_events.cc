#include "dp_events.h"

#include <chrono>

#include "dataplane/loader/event_json.h"

namespace xdpdk::dataplane {
namespace {
constexpr auto kPollInterval = std::chrono::milliseconds(1);
}

EventPump::EventPump(FILE* out, MapsFn maps) : out_(out), maps_(std::move(maps)) {}

EventPump::~EventPump() { finish(); }

void EventPump::start() {
    std::lock_guard lock(run_mu_);
    if (started_ || finished_) return;
    started_ = true;
    thread_ = std::thread([this] { run(); });
}

void EventPump::finish() {
    {
        std::lock_guard lock(run_mu_);
        if (finished_) return;
        finished_ = true;
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    pump_once();
    if (out_ != nullptr) {
        for (const auto& map : maps_()) {
            const std::string line = loader::event_lost_json(*map).dump() + "\n";
            std::fwrite(line.data(), 1, line.size(), out_);
        }
        std::fflush(out_);
    }
}

void EventPump::run() {
    std::unique_lock lock(run_mu_);
    while (!stop_) {
        lock.unlock();
        pump_once();
        lock.lock();
        wake_.wait_for(lock, kPollInterval, [this] { return stop_; });
    }
}

void EventPump::pump_once() {
    bool wrote = false;
    for (const auto& map : maps_()) {
        map->consume_events([&](uint32_t cpu, std::span<const uint8_t> record) {
            std::string line = loader::event_record_json(*map, cpu, record).dump();
            if (out_ != nullptr) {
                std::fwrite(line.data(), 1, line.size(), out_);
                std::fputc('\n', out_);
                wrote = true;
            }
            publish(map.get(), std::move(line));
        });
        // Followers hear of drops as they happen; the file gets the totals
        // at the end.
        const uint64_t lost = map->events_lost();
        uint64_t& reported = lost_reported_[map.get()];
        if (lost != reported) {
            reported = lost;
            publish(map.get(), loader::event_lost_json(*map).dump());
        }
    }
    if (wrote) std::fflush(out_);
}

void EventPump::publish(const vm::Map* map, std::string line) {
    std::lock_guard lock(mu_);
    lines_.push_back(Line{map, std::move(line)});
    if (lines_.size() > kBacklog) lines_.pop_front();
    ++next_seq_;
}

std::function<std::vector<std::string>()> EventPump::follow(const vm::Map* map) {
    uint64_t from;
    {
        std::lock_guard lock(mu_);
        from = next_seq_;
    }
    start();
    return [this, map, from]() mutable {
        std::vector<std::string> out;
        std::lock_guard lock(mu_);
        const uint64_t oldest = next_seq_ - lines_.size();
        if (from < oldest) {
            out.push_back("{\"missed\":" + std::to_string(oldest - from) + "}");
            from = oldest;
        }
        for (uint64_t seq = from; seq < next_seq_; ++seq)
            if (lines_[seq - oldest].map == map) out.push_back(lines_[seq - oldest].text);
        from = next_seq_;
        return out;
    };
}

}  // namespace xdpdk::dataplane
