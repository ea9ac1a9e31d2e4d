// Writes the captures the differential tests and benchmarks replay:
//   lb_traffic.pcap  VIP and non-VIP traffic for load_balancer.bpf.c
//   fw_traffic.pcap  blocked and allowed sources/ports for firewall.bpf.c
//   edge_cases.pcap  runts, VLAN/QinQ, options, fragments, scans, size limits
// Usage: gen_oracle_pcaps OUTPUT_DIR   (the repository's pcaps/)
#include <cstdio>
#include <string>

#include "sample_scenarios.h"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    struct Output {
        const char* file;
        std::vector<xdpdk::test::Bytes> frames;
    };
    const Output outputs[] = {
        {"lb_traffic.pcap", xdpdk::test::lb_traffic()},
        {"fw_traffic.pcap", xdpdk::test::fw_traffic()},
        {"edge_cases.pcap", xdpdk::test::edge_case_traffic()},
    };
    for (const auto& o : outputs) {
        const std::string path = dir + "/" + o.file;
        const std::string err = xdpdk::test::write_pcap(path, o.frames);
        if (!err.empty()) {
            std::fprintf(stderr, "gen_oracle_pcaps: %s\n", err.c_str());
            return 1;
        }
        std::printf("%s: %zu packets\n", path.c_str(), o.frames.size());
    }
    return 0;
}
