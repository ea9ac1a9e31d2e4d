// What `xdpdk run` reports: per port, per worker and per action packets and
// bytes, tx and redirect errors, the NIC's own counters; as live lines while
// it runs and as a summary (text or JSON) at the end.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <rte_ethdev.h>

#include "dp_counters.h"
#include "dp_runtime.h"
#include "dp_worker.h"

namespace xdpdk::dataplane {

struct PortInfo {
    uint16_t id = 0;
    std::string name;
    uint32_t ifindex = 0;
    uint16_t rx_queues = 0, tx_queues = 0;
    std::string object, program, section;  // empty: nothing attached
    std::string pass;                      // "drop", "port 1", "tap xdpdk0 (port 2)"
    uint16_t tap_for = kNoPort;            // this port is the exception tap of that port
};

// Reads the workers' counters (from any thread, while they run).
class StatsReader {
public:
    StatsReader(const std::vector<PortInfo>& ports, const std::vector<std::unique_ptr<Worker>>& workers)
        : ports_(ports), workers_(workers) {}
    const std::vector<PortInfo>& ports() const { return ports_; }
    const std::vector<std::unique_ptr<Worker>>& workers() const { return workers_; }
    PortFigures port(uint16_t id) const;
    PortFigures port_worker(uint16_t id, size_t worker) const;
    // Received on ports with a program, all workers.
    uint64_t attached_rx_packets() const;

private:
    const std::vector<PortInfo>& ports_;
    const std::vector<std::unique_ptr<Worker>>& workers_;
};

// One line per port each interval: rates since the previous line and totals.
class LiveStats {
public:
    explicit LiveStats(const StatsReader& reader) : reader_(reader), previous_(reader.ports().size()) {}
    std::string format(double seconds_since_previous);

private:
    const StatsReader& reader_;
    std::vector<PortFigures> previous_;
};

struct PoolUsage {
    std::string name;
    uint32_t size = 0;
    uint32_t in_use = 0;
};

// Everything the final summary says, collected after the workers stopped.
struct RunSummary {
    double seconds = 0;
    std::string stopped_by;  // "--packets", "--duration", "signal"
    std::string engine;
    std::vector<PortInfo> ports;
    std::vector<PortFigures> totals;                   // by position in ports
    std::vector<std::vector<PortFigures>> per_worker;  // [port position][worker]
    std::vector<rte_eth_stats> nic;                    // by position in ports
    std::vector<WorkerPlan> workers;
    std::vector<PoolUsage> pools;
    uint64_t drained = 0;           // left in software rings at stop, freed unprocessed
    uint64_t trace_suppressed = 0;  // trace lines over the rate limit
};

RunSummary collect_summary(const StatsReader& reader);
nlohmann::ordered_json summary_json(const RunSummary& s);
std::string summary_text(const RunSummary& s);

}  // namespace xdpdk::dataplane
