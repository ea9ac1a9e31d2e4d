#include "runs.h"

#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "process.h"

namespace xdpdk::bench {
namespace {

std::string file_prefix() {
    static int counter = 0;
    return "--file-prefix=xdpdk-benchdp-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

// The same EAL setup for both applications: lcore 0 main, lcore 1 the one
// worker / forwarding core; the same memory with or without hugepages.
std::vector<std::string> eal_args(const Environment& env, const std::string& vdev) {
    std::vector<std::string> args = {"-l", "0,1", "--no-pci", file_prefix(), "-m", "1024", "--vdev=" + vdev};
    if (env.hugepage_dir.empty()) {
        args.push_back("--no-huge");
    } else {
        args.push_back("--huge-dir=" + env.hugepage_dir);
        args.push_back("--huge-unlink");
    }
    return args;
}

std::string tail(const std::string& text, size_t n = 600) { return text.size() <= n ? text : text.substr(text.size() - n); }

// The Rx-pps of the last `show port stats` block: testpmd computes it over the
// time since the previous `show port stats`.
double last_rx_pps(const std::string& out) {
    const size_t at = out.rfind("Rx-pps:");
    if (at == std::string::npos) return -1;
    return std::strtod(out.c_str() + at + 7, nullptr);
}

void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

}  // namespace

RunResult run_xdpdk(const Environment& env, const std::string& vdev, const XdpProgram& prog) {
    std::vector<std::string> args = {env.xdpdk, "run"};
    for (auto& a : eal_args(env, vdev)) args.push_back(std::move(a));
    args.insert(args.end(), {"--", "--attach", "0=" + prog.object + (prog.name.empty() ? "" : "@" + prog.name),
                             "--duration", std::to_string(env.seconds), "--stats-interval", "0", "--json"});
    if (!prog.maps_in.empty()) args.insert(args.end(), {"--maps-in", prog.maps_in});
    RunResult r;
    Process p(args, env.scratch_dir);
    if (!p.started()) return {.error = "cannot start " + env.xdpdk};
    p.close_stdin();
    const ProcessExit e = p.wait(env.seconds + 60);
    r.max_rss_kb = e.max_rss_kb;
    if (e.exit_code != 0) return {.error = "xdpdk run exited " + std::to_string(e.exit_code) + ": " + tail(e.err)};
    const auto j = nlohmann::json::parse(e.out, nullptr, false);
    if (j.is_discarded() || !j.contains("ports") || j["ports"].empty())
        return {.error = "xdpdk run printed no JSON summary: " + tail(e.out)};
    const auto& port = j["ports"][0];
    const double rx = port["rx"]["packets"].get<double>();
    r.seconds = j["seconds"].get<double>();
    if (r.seconds <= 0 || rx <= 0) return {.error = "no packets received"};
    r.mpps = rx / r.seconds / 1e6;
    r.main_share = port["actions"][prog.main_action]["packets"].get<double>() / rx;
    return r;
}

RunResult run_testpmd(const Environment& env, const std::string& vdev, bool pcap, const std::string& bpf_object,
                      const std::vector<std::string>& testpmd_options) {
    std::vector<std::string> args = {env.testpmd};
    for (auto& a : eal_args(env, vdev)) args.push_back(std::move(a));
    // -i: commands on stdin. --no-flush-rx: with infinite_rx the start-up
    // flush would never end.
    args.insert(args.end(), {"--", "-i", "--forward-mode=io", "--nb-cores=1"});
    if (pcap) args.push_back("--no-flush-rx");
    args.insert(args.end(), testpmd_options.begin(), testpmd_options.end());
    Process p(args, env.scratch_dir);
    if (!p.started()) return {.error = "cannot start " + env.testpmd};
    if (!bpf_object.empty()) p.write_stdin("bpf-load rx 0 0 J " + bpf_object + "\n");
    p.write_stdin("start\n");
    sleep_s(1.0);  // start-up, then the first stats call sets the baseline
    p.write_stdin("show port stats 0\n");
    sleep_s(env.seconds);
    p.write_stdin("show port stats 0\nstop\nquit\n");
    p.close_stdin();
    const ProcessExit e = p.wait(60);
    RunResult r;
    r.max_rss_kb = e.max_rss_kb;
    if (e.exit_code != 0) return {.error = "testpmd exited " + std::to_string(e.exit_code) + ": " + tail(e.err)};
    if (!bpf_object.empty() && e.out.find("0:Success") == std::string::npos)
        return {.error = "bpf-load failed: " + tail(e.out)};
    const double pps = last_rx_pps(e.out);
    if (pps <= 0) return {.error = "no Rx-pps in testpmd's output: " + tail(e.out)};
    r.mpps = pps / 1e6;
    r.seconds = env.seconds;
    return r;
}

}  // namespace xdpdk::bench
