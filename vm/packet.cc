#include "packet.h"

#include <algorithm>
#include <cstring>

namespace xdpdk::vm {

PacketFrame::PacketFrame(std::span<const uint8_t> bytes, uint32_t ingress_ifindex, uint32_t rx_queue) {
    const size_t need = kXdpHeadroom + bytes.size() + kXdpTailReserve;
    frame_.assign(std::max<size_t>(4096, need), 0);
    xdp_.ingress_ifindex = ingress_ifindex;
    xdp_.rx_queue_index = rx_queue;
    refill(bytes);
}

void PacketFrame::refill(std::span<const uint8_t> bytes) {
    const size_t need = kXdpHeadroom + bytes.size() + kXdpTailReserve;
    if (need > frame_.size()) frame_.resize(need, 0);
    uint8_t* start = frame_.data();
    if (!bytes.empty()) std::memcpy(start + kXdpHeadroom, bytes.data(), bytes.size());
    xdp_.data_hard_start = start;
    xdp_.data = start + kXdpHeadroom;
    xdp_.data_meta = xdp_.data;
    xdp_.data_end = xdp_.data + bytes.size();
    xdp_.egress_ifindex = 0;
    xdp_.frame_size = static_cast<uint32_t>(frame_.size());
}

}  // namespace xdpdk::vm
