// What `xdpdk bench` prints: a table, one row per engine, or the same as
// JSON; and the progress line on stderr while an engine runs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_runner.h"

namespace xdpdk::cli {

struct BenchSummary {
    std::string object_path;
    std::string prog;
    std::string section;
    std::string filter;  // filter:'EXPR' when the program is a tcpdump filter, else ""
    std::string pcap_path;
    uint64_t pcap_packets = 0;
    uint64_t distinct_packets = 0;
    double duration_s = 0;
    double restore_ns_per_packet = 0;  // measured when a VM engine ran, else 0
    std::vector<EngineResult> engines;
};

// A header line, then "engine  packets  ns/packet  Mpps  verdicts" rows;
// skipped engines say why.
std::string bench_table(const BenchSummary& summary);

// {"object", "prog", "section", "pcap", "pcap_packets", "distinct_packets",
//  "duration_s", "restore_ns_per_packet" (when measured), "engines": [{"engine", "status": "ok", "note", "packets",
//  "ns_per_packet", "mpps", "run_ns", "wall_ns", "verdicts": {"XDP_PASS": n,
//  ...}} or {"engine", "status": "skipped", "reason"}]}
// (For the kernel, ns_per_packet weights each packet's time by how often it
// occurs in the capture, so it differs from run_ns / packets.)
nlohmann::ordered_json bench_json(const BenchSummary& summary);

// "\r<engine>: 0.4/1.0 s, 1234567 packets, 81.2 ns/packet" on stderr, at
// most ten times a second; clear() erases it before the result is printed.
class ProgressLine {
public:
    explicit ProgressLine(bool enabled, double duration_s) : enabled_(enabled), duration_s_(duration_s) {}
    ~ProgressLine() { clear(); }
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

    void update(const EngineResult& so_far, double elapsed_s);
    void clear();

private:
    bool enabled_;
    double duration_s_;
    double last_shown_s_ = -1;
    std::string last_engine_;
    size_t shown_width_ = 0;
};

}  // namespace xdpdk::cli
