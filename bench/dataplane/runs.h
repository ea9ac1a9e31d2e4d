// One timed run of a dataplane on one worker core (lcore 1; lcore 0 is the
// main lcore), for a fixed time, on one virtual device: `xdpdk run` with an
// XDP program, or dpdk-testpmd io forwarding, optionally with a librte_bpf
// program JIT-compiled into its rx path (`bpf-load rx 0 0 J FILE`).
#pragma once

#include <string>
#include <vector>

namespace xdpdk::bench {

struct Environment {
    std::string xdpdk;         // the xdpdk binary
    std::string testpmd;       // dpdk-testpmd
    std::string scratch_dir;   // output files of the children
    std::string hugepage_dir;  // hugetlbfs mount; "" runs with --no-huge
    double seconds = 3;        // measured time per run
};

struct XdpProgram {
    std::string object;        // PROG.o
    std::string name;          // "" = the object's first XDP program
    std::string maps_in;       // "" = none
    const char* main_action;   // the action every packet should get ("XDP_TX")
};

struct RunResult {
    std::string error;       // non-empty: the run failed; the rest is meaningless
    double mpps = 0;         // received packets per second on the port, millions
    double seconds = 0;      // time the rate was measured over
    double main_share = 0;   // xdpdk: fraction of packets that got main_action
    long max_rss_kb = 0;     // peak resident set of the process
};

RunResult run_xdpdk(const Environment& env, const std::string& vdev, const XdpProgram& prog);
// `bpf_object` empty: plain io forwarding.
// `testpmd_options`: more application options (e.g. --mbuf-size).
RunResult run_testpmd(const Environment& env, const std::string& vdev, bool pcap, const std::string& bpf_object,
                      const std::vector<std::string>& testpmd_options = {});

}  // namespace xdpdk::bench
