// The captures bench_dataplane replays endlessly (net_pcap infinite_rx=1):
// TCP flows to the load balancer's first VIP (10.100.0.1:80, configs/
// lb-maps.json), so the load balancer takes its main path (connection-table
// hit, IP-in-IP encapsulation, XDP_TX) and the other programs see ordinary
// TCP/IPv4 frames. Written once per run into a temporary directory.
#pragma once

#include <string>

namespace xdpdk::bench {

struct TrafficFiles {
    std::string frames64;  // 64-byte frames
    std::string mixed;     // simple IMIX: 7 × 64, 4 × 594, 1 × 1514 bytes
};

// Empty paths and the reason in `error` when a file cannot be written.
TrafficFiles write_traffic(const std::string& dir, std::string& error);

}  // namespace xdpdk::bench
