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

PacketFrame::PacketFrame(std::span<const uint8_t> bytes, uint32_t ingress_ifindex, uint32_t rx_queue,
                         FrameLayout layout)
    : PacketFrame(layout == FrameLayout::Linear || bytes.size() <= kXdpMaxLinear ? bytes : bytes.first(0),
                  ingress_ifindex, rx_queue) {
    if (layout != FrameLayout::Linear && bytes.size() > kXdpMaxLinear)
        fill_split(bytes, layout == FrameLayout::MultiBuffer);
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

// The linear frame is one page (4096 bytes, as constructed) holding 3520
// bytes; the rest goes to page-size frags in order, each with the room of
// a whole page (bpf_prog_test_run_xdp).
void PacketFrame::fill_split(std::span<const uint8_t> bytes, bool expose) {
    std::memcpy(xdp_.data, bytes.data(), kXdpMaxLinear);
    xdp_.data_end = xdp_.data + kXdpMaxLinear;
    const std::span<const uint8_t> rest = bytes.subspan(kXdpMaxLinear);
    if (!expose) {
        tail_.assign(rest.begin(), rest.end());
        return;
    }
    const size_t pages = (rest.size() + kXdpPageSize - 1) / kXdpPageSize;
    tail_.assign(pages * kXdpPageSize, 0);
    frags_.reserve(pages);
    for (size_t i = 0; i < pages; ++i) {
        const size_t off = i * kXdpPageSize;
        const size_t len = std::min<size_t>(kXdpPageSize, rest.size() - off);
        std::memcpy(tail_.data() + off, rest.data() + off, len);
        frags_.push_back(XdpFrag{tail_.data() + off, static_cast<uint32_t>(len), kXdpPageSize});
    }
    xdp_.frags = frags_.data();
    xdp_.nfrags = static_cast<uint32_t>(frags_.size());
}

std::vector<uint8_t> PacketFrame::packet() const {
    const auto linear = data();
    std::vector<uint8_t> out(linear.begin(), linear.end());
    if (frags_.empty()) {
        out.insert(out.end(), tail_.begin(), tail_.end());
        return out;
    }
    for (uint32_t i = 0; i < xdp_.nfrags; ++i) {
        const XdpFrag& f = xdp_.frags[i];
        out.insert(out.end(), f.data, f.data + f.len);
    }
    return out;
}

}  // namespace xdpdk::vm
