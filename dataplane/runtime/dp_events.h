// Where the records programs put in event maps (ring buffers, perf event
// arrays) go on a running dataplane: a pump thread takes them out of the
// workers' rings every millisecond and writes them, as JSON lines
// (loader/event_json.h), to the --events file and to the followers of each
// map (`xdpdk ctl map events`, like `bpftool map event_pipe`). Workers only
// ever write into their own CPU slot's ring: a slow or absent reader costs
// records, which the rings count as lost and the pump reports, never a
// stalled worker.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "vm/map.h"

namespace xdpdk::dataplane {

class EventPump {
public:
    // Returns the event maps of every attached program (taken under the
    // dataplane's lock by the caller's function).
    using MapsFn = std::function<std::vector<std::shared_ptr<vm::Map>>()>;
    static constexpr size_t kBacklog = 65536;  // lines kept for followers

    // out: the --events file, or nullptr.
    EventPump(FILE* out, MapsFn maps);
    ~EventPump();
    EventPump(const EventPump&) = delete;
    EventPump& operator=(const EventPump&) = delete;

    // Starts the thread (once); until then records wait in their rings.
    void start();
    // Takes what is left, writes each map's lost count to the file, and
    // stops the thread.
    void finish();

    // The lines of `map` from now on: each call gives those taken since the
    // previous one (a follower that falls more than kBacklog lines behind
    // gets a note of how many it missed).
    std::function<std::vector<std::string>()> follow(const vm::Map* map);

private:
    void run();
    void pump_once();
    void publish(const vm::Map* map, std::string line);

    FILE* out_;
    MapsFn maps_;
    std::thread thread_;
    std::mutex run_mu_;
    std::condition_variable wake_;
    bool stop_ = false;
    bool started_ = false;
    bool finished_ = false;
    std::map<const vm::Map*, uint64_t> lost_reported_;  // pump thread only

    std::mutex mu_;  // the backlog
    struct Line {
        const vm::Map* map;
        std::string text;
    };
    std::deque<Line> lines_;
    uint64_t next_seq_ = 0;
};

}  // namespace xdpdk::dataplane
