#include "bench_report.h"

#include <cinttypes>
#include <cstdio>

#include "vm/xdp.h"

namespace xdpdk::cli {
namespace {

constexpr double kProgressIntervalS = 0.1;

std::string verdict_text(const EngineResult& r) {
    std::string out;
    for (uint32_t action = 0; action < r.verdicts.size(); ++action) {
        if (r.verdicts[action] == 0) continue;
        if (!out.empty()) out += ", ";
        out.append(vm::xdp_action_name(action)).append(" ").append(std::to_string(r.verdicts[action]));
    }
    return out;
}

}  // namespace

std::string bench_table(const BenchSummary& s) {
    char line[256];
    // A filter is named by its expression, an object's program by its section.
    const std::string origin = s.filter.empty() ? "section " + s.section : s.filter;
    std::string out = "prog " + s.prog + " (" + origin + "): ";
    std::snprintf(line, sizeof line, "%" PRIu64 " packets (%" PRIu64 " distinct) from %s, %.2f s per engine\n",
                  s.pcap_packets, s.distinct_packets, s.pcap_path.c_str(), s.duration_s);
    out += line;
    std::snprintf(line, sizeof line, "%-8s %12s %10s %9s  %s\n", "engine", "packets", "ns/packet", "Mpps", "verdicts");
    out += line;
    std::string notes, vm_engines;
    for (const auto& r : s.engines) {
        if (r.ran() && r.engine != "kernel") vm_engines += (vm_engines.empty() ? "" : ", ") + r.engine;
        if (!r.ran()) {
            out += r.engine;
            out.resize(out.size() + (r.engine.size() < 9 ? 9 - r.engine.size() : 1), ' ');
            out += "skipped: " + r.skipped + "\n";
            continue;
        }
        std::snprintf(line, sizeof line, "%-8s %12" PRIu64 " %10.1f %9.2f  ", r.engine.c_str(), r.packets,
                      r.ns_per_packet, r.mpps());
        out += line + verdict_text(r) + "\n";
        if (!r.note.empty()) notes += r.engine + ": " + r.note + "\n";
    }
    if (s.restore_ns_per_packet > 0 && !vm_engines.empty()) {
        std::snprintf(line, sizeof line,
                      ": ns/packet includes restoring each packet into the frame before its run (%.1f ns/packet "
                      "alone)\n",
                      s.restore_ns_per_packet);
        notes += vm_engines + line;
    }
    return out + notes;
}

nlohmann::ordered_json bench_json(const BenchSummary& s) {
    nlohmann::ordered_json out;
    out["object"] = s.object_path;
    out["prog"] = s.prog;
    out["section"] = s.section;
    out["pcap"] = s.pcap_path;
    out["pcap_packets"] = s.pcap_packets;
    out["distinct_packets"] = s.distinct_packets;
    out["duration_s"] = s.duration_s;
    if (s.restore_ns_per_packet > 0) out["restore_ns_per_packet"] = s.restore_ns_per_packet;
    out["engines"] = nlohmann::ordered_json::array();
    for (const auto& r : s.engines) {
        nlohmann::ordered_json e;
        e["engine"] = r.engine;
        if (!r.ran()) {
            e["status"] = "skipped";
            e["reason"] = r.skipped;
            out["engines"].push_back(std::move(e));
            continue;
        }
        e["status"] = "ok";
        if (!r.note.empty()) e["note"] = r.note;
        e["packets"] = r.packets;
        e["ns_per_packet"] = r.ns_per_packet;
        e["mpps"] = r.mpps();
        e["run_ns"] = r.run_ns;
        e["wall_ns"] = r.wall_ns;
        nlohmann::ordered_json verdicts;
        for (uint32_t action = 0; action < r.verdicts.size(); ++action)
            verdicts[vm::xdp_action_name(action)] = r.verdicts[action];
        e["verdicts"] = std::move(verdicts);
        out["engines"].push_back(std::move(e));
    }
    return out;
}

void ProgressLine::update(const EngineResult& r, double elapsed_s) {
    if (!enabled_) return;
    if (r.engine == last_engine_ && elapsed_s - last_shown_s_ < kProgressIntervalS) return;
    last_engine_ = r.engine;
    last_shown_s_ = elapsed_s;
    char line[160];
    const int n = std::snprintf(line, sizeof line, "\r%s: %.1f/%.1f s, %" PRIu64 " packets, %.1f ns/packet",
                                r.engine.c_str(), elapsed_s, duration_s_, r.packets, r.ns_per_packet);
    if (n <= 0) return;
    std::string text(line, std::min<size_t>(static_cast<size_t>(n), sizeof line - 1));
    // Pads over the end of a longer previous line.
    const size_t width = text.size() - 1;
    if (width < shown_width_) text.append(shown_width_ - width, ' ');
    shown_width_ = width;
    std::fputs(text.c_str(), stderr);
    std::fflush(stderr);
}

void ProgressLine::clear() {
    if (shown_width_ == 0) return;
    std::fprintf(stderr, "\r%*s\r", static_cast<int>(shown_width_), "");
    std::fflush(stderr);
    shown_width_ = 0;
    last_engine_.clear();
}

}  // namespace xdpdk::cli
