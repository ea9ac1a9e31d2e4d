#include "traffic.h"

#include <vector>

#include "tests/tools/packet_builder.h"

namespace xdpdk::bench {
namespace {

constexpr int kFlows = 256;  // net_pcap keeps every frame in mbufs: modest

std::vector<uint8_t> vip_frame(int flow, size_t len) {
    test::PacketSpec s;
    s.dst_mac = {0x02, 0x00, 0x00, 0x00, 0x10, 0x01};
    s.src4 = test::ipv4("192.168.0.0") + 1 + static_cast<uint32_t>(flow);
    s.dst4 = test::ipv4("10.100.0.1");
    s.l4 = 6;
    s.sport = static_cast<uint16_t>(40000 + flow);
    s.dport = 80;
    s.tcp_flags = test::tcp_flag::Ack;
    s.frame_len = len;
    return test::build_packet(s);
}

}  // namespace

TrafficFiles write_traffic(const std::string& dir, std::string& error) {
    static constexpr size_t kImix[12] = {64, 594, 64, 64, 594, 64, 1514, 64, 594, 64, 64, 594};
    std::vector<std::vector<uint8_t>> small, mixed;
    for (int f = 0; f < kFlows; ++f) {
        small.push_back(vip_frame(f, 64));
        mixed.push_back(vip_frame(f, kImix[f % 12]));
    }
    TrafficFiles files{dir + "/tcp64.pcap", dir + "/imix.pcap"};
    error = test::write_pcap(files.frames64, small);
    if (error.empty()) error = test::write_pcap(files.mixed, mixed);
    if (!error.empty()) return {};
    return files;
}

}  // namespace xdpdk::bench
