#include "dp_stats.h"

#include <cinttypes>

#include "vm/xdp.h"

namespace xdpdk::dataplane {
namespace {

const char* const kActionNames[kXdpActions] = {"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"};

nlohmann::ordered_json packets_bytes(uint64_t packets, uint64_t bytes) {
    return {{"packets", packets}, {"bytes", bytes}};
}

nlohmann::ordered_json actions_json(const PortFigures& f) {
    nlohmann::ordered_json a = nlohmann::ordered_json::object();
    for (uint32_t i = 0; i < kXdpActions; ++i) a[kActionNames[i]] = packets_bytes(f.action_packets[i], f.action_bytes[i]);
    return a;
}

std::string fmt(const char* format, auto... args) {
    char line[512];
    std::snprintf(line, sizeof line, format, args...);
    return line;
}

double rate(uint64_t now, uint64_t before, double seconds) {
    return seconds > 0 ? static_cast<double>(now - before) / seconds : 0.0;
}

nlohmann::ordered_json cpumap_json(const PortFigures& f) {
    nlohmann::ordered_json c = nlohmann::ordered_json::object();
#define XDPDK_FIELD(name) c[std::string(#name).substr(7)] = f.name;
    XDPDK_CPUMAP_COUNTERS(XDPDK_FIELD)
#undef XDPDK_FIELD
    return c;
}

std::string cpumap_text(const PortFigures& f) {
    std::string t;
#define XDPDK_FIELD(name) t += fmt(" %s %" PRIu64, std::string(#name).substr(7).c_str(), f.name);
    XDPDK_CPUMAP_COUNTERS(XDPDK_FIELD)
#undef XDPDK_FIELD
    return "  cpumap:" + t + "\n";
}

}  // namespace

PortFigures StatsReader::port(uint16_t id) const {
    PortFigures f;
    for (const auto& w : workers_) f.add(w->counters(id));
    return f;
}

PortFigures StatsReader::port_worker(uint16_t id, size_t worker) const {
    PortFigures f;
    f.add(workers_[worker]->counters(id));
    return f;
}

uint64_t StatsReader::attached_rx_packets() const {
    uint64_t n = 0;
    for (const PortInfo& p : ports_)
        if (!p.program.empty())
            for (const auto& w : workers_) n += w->counters(p.id).rx_packets.get();
    return n;
}

std::string LiveStats::format(double seconds) {
    std::string out;
    for (size_t i = 0; i < reader_.ports().size(); ++i) {
        const PortInfo& p = reader_.ports()[i];
        const PortFigures now = reader_.port(p.id);
        const PortFigures& before = previous_[i];
        rte_eth_stats nic{};
        (void)rte_eth_stats_get(p.id, &nic);
        out += fmt(
                     "port %u %-12s rx %10.0f pps %14" PRIu64 " | drop %" PRIu64 " pass %" PRIu64 " tx %" PRIu64
                     " redirect %" PRIu64 " aborted %" PRIu64 " | tx %10.0f pps %14" PRIu64 " drops %" PRIu64
                     " | nic missed %" PRIu64 "\n",
                     p.id, p.name.c_str(), rate(now.rx_packets, before.rx_packets, seconds), now.rx_packets,
                     now.action_packets[vm::XDP_DROP], now.action_packets[vm::XDP_PASS], now.action_packets[vm::XDP_TX],
                     now.action_packets[vm::XDP_REDIRECT], now.action_packets[vm::XDP_ABORTED],
                     rate(now.tx_packets, before.tx_packets, seconds), now.tx_packets, now.tx_drops, nic.imissed);
        previous_[i] = now;
    }
    return out;
}

RunSummary collect_summary(const StatsReader& reader) {
    RunSummary s;
    s.ports = reader.ports();
    for (const PortInfo& p : s.ports) {
        s.totals.push_back(reader.port(p.id));
        std::vector<PortFigures> per_worker;
        for (size_t w = 0; w < reader.workers().size(); ++w) per_worker.push_back(reader.port_worker(p.id, w));
        s.per_worker.push_back(std::move(per_worker));
        rte_eth_stats nic{};
        (void)rte_eth_stats_get(p.id, &nic);
        s.nic.push_back(nic);
    }
    for (const auto& w : reader.workers()) {
        // Queues of ports with nothing attached are watched but not read:
        // the summary lists what the worker runs programs on (and taps).
        WorkerPlan plan = w->plan();
        std::erase_if(plan.sources, [&](const RxSource& src) {
            if (src.host_of != kNoPort) return false;
            for (const PortInfo& p : s.ports)
                if (p.id == src.port) return p.program.empty();
            return true;
        });
        s.workers.push_back(std::move(plan));
        s.trace_suppressed += w->trace_suppressed();
    }
    return s;
}

nlohmann::ordered_json summary_json(const RunSummary& s) {
    nlohmann::ordered_json j;
    j["seconds"] = s.seconds;
    j["stopped_by"] = s.stopped_by;
    j["engine"] = s.engine;
    auto& workers = j["workers"] = nlohmann::ordered_json::array();
    for (const WorkerPlan& w : s.workers) {
        nlohmann::ordered_json queues = nlohmann::ordered_json::array();
        for (const RxSource& src : w.sources) {
            nlohmann::ordered_json q = {{"port", src.port}, {"queue", src.queue}};
            if (src.host_of != kNoPort) q["host_of"] = src.host_of;
            queues.push_back(q);
        }
        workers.push_back({{"slot", w.slot}, {"lcore", w.lcore}, {"queues", queues}});
    }
    auto& ports = j["ports"] = nlohmann::ordered_json::array();
    for (size_t i = 0; i < s.ports.size(); ++i) {
        const PortInfo& p = s.ports[i];
        const PortFigures& f = s.totals[i];
        nlohmann::ordered_json port = {{"port", p.id}, {"name", p.name}, {"ifindex", p.ifindex},
                                       {"rx_queues", p.rx_queues}, {"tx_queues", p.tx_queues}};
        if (p.program.empty()) port["program"] = nullptr;
        else port["program"] = {{"object", p.object}, {"name", p.program}, {"section", p.section}};
        port["pass"] = p.pass;
        if (p.tap_for != kNoPort) port["tap_for"] = p.tap_for;
        port["rx"] = packets_bytes(f.rx_packets, f.rx_bytes);
        port["actions"] = actions_json(f);
        port["unknown_actions"] = f.unknown_actions;
        port["redirect_errors"] = f.redirect_errors;
        port["tx"] = {{"packets", f.tx_packets}, {"bytes", f.tx_bytes}, {"drops", f.tx_drops}};
        port["host_packets"] = f.host_packets;
        port["cpumap"] = cpumap_json(f);
        const rte_eth_stats& nic = s.nic[i];
        port["nic"] = {{"rx_packets", nic.ipackets}, {"rx_bytes", nic.ibytes},   {"tx_packets", nic.opackets},
                       {"tx_bytes", nic.obytes},     {"rx_missed", nic.imissed}, {"rx_errors", nic.ierrors},
                       {"tx_errors", nic.oerrors},   {"rx_nombuf", nic.rx_nombuf}};
        auto& per_worker = port["workers"] = nlohmann::ordered_json::array();
        for (size_t w = 0; w < s.per_worker[i].size(); ++w) {
            const PortFigures& wf = s.per_worker[i][w];
            per_worker.push_back({{"slot", s.workers[w].slot},
                                  {"rx", packets_bytes(wf.rx_packets, wf.rx_bytes)},
                                  {"actions", actions_json(wf)},
                                  {"cpumap", cpumap_json(wf)},
                                  {"tx", {{"packets", wf.tx_packets}, {"bytes", wf.tx_bytes}, {"drops", wf.tx_drops}}}});
        }
        ports.push_back(std::move(port));
    }
    auto& pools = j["mempools"] = nlohmann::ordered_json::array();
    for (const PoolUsage& p : s.pools) pools.push_back({{"name", p.name}, {"size", p.size}, {"in_use", p.in_use}});
    j["drained"] = s.drained;
    j["trace_suppressed"] = s.trace_suppressed;
    return j;
}

std::string summary_text(const RunSummary& s) {
    uint64_t rx = 0;
    for (const PortFigures& f : s.totals) rx += f.rx_packets;
    const std::string how = s.stopped_by == "running" ? "running" : "stopped by " + s.stopped_by;
    std::string t = fmt("xdpdk run: %" PRIu64 " packets received in %.3f s (%s), engine %s, %zu worker%s\n",
                        rx, s.seconds, how.c_str(), s.engine.c_str(), s.workers.size(),
                        s.workers.size() == 1 ? "" : "s");
    for (size_t i = 0; i < s.ports.size(); ++i) {
        const PortInfo& p = s.ports[i];
        const PortFigures& f = s.totals[i];
        t += fmt("port %u %s (ifindex %u, %u rx / %u tx queues): ", p.id, p.name.c_str(), p.ifindex, p.rx_queues,
                 p.tx_queues);
        if (!p.program.empty())
            t += p.program + " (section " + p.section + ") from " + p.object + ", pass: " + p.pass + "\n";
        else if (p.tap_for != kNoPort)
            t += fmt("exception tap of port %u, %" PRIu64 " packets from the host\n", p.tap_for, f.host_packets);
        else
            t += "no program\n";
        if (!p.program.empty()) {
            t += fmt("  rx %" PRIu64 " packets, %" PRIu64 " bytes\n", f.rx_packets, f.rx_bytes);
            t += fmt("  %-14s %12s %14s\n", "action", "packets", "bytes");
            for (uint32_t a = 0; a < kXdpActions; ++a)
                t += fmt("  %-14s %12" PRIu64 " %14" PRIu64 "\n", kActionNames[a], f.action_packets[a], f.action_bytes[a]);
            t += fmt("  unknown actions %" PRIu64 ", redirect errors %" PRIu64 "\n", f.unknown_actions,
                     f.redirect_errors);
        }
        if (f.cpumap_queued != 0 || f.cpumap_drops != 0) t += cpumap_text(f);
        t += fmt("  tx %" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64 " drops\n", f.tx_packets, f.tx_bytes,
                 f.tx_drops);
        const rte_eth_stats& nic = s.nic[i];
        t += fmt("  nic rx %" PRIu64 " tx %" PRIu64 " missed %" PRIu64 " errors %" PRIu64 "/%" PRIu64 "\n", nic.ipackets,
                 nic.opackets, nic.imissed, nic.ierrors, nic.oerrors);
    }
    for (const PoolUsage& p : s.pools) t += fmt("mempool %s: %u mbufs, %u in use\n", p.name.c_str(), p.size, p.in_use);
    if (s.drained) t += fmt("%" PRIu64 " packets left in rings at stop were freed unprocessed\n", s.drained);
    if (s.trace_suppressed) t += fmt("%" PRIu64 " trace lines over the rate limit were dropped\n", s.trace_suppressed);
    return t;
}

}  // namespace xdpdk::dataplane
