// A packet frame laid out like the kernel's XDP buffers (and BPF_PROG_TEST_RUN):
// 256 bytes of headroom, the packet, and tailroom up to the frame size less
// the skb_shared_info reserve, so adjust_head/meta/tail behave as in the
// kernel.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "xdp.h"

namespace xdpdk::vm {

class PacketFrame {
public:
    // Frame of max(4096, headroom + len + tail reserve) bytes.
    explicit PacketFrame(std::span<const uint8_t> bytes, uint32_t ingress_ifindex = 1, uint32_t rx_queue = 0);

    // Puts `bytes` back in as a fresh packet, reusing the frame (it grows only
    // when `bytes` does not fit): what `bench` does before every run so each
    // one sees the original packet. Headroom and tailroom keep what earlier
    // runs left there, as in a reused NIC buffer.
    void refill(std::span<const uint8_t> bytes);

    XdpBuff& xdp() { return xdp_; }
    // The packet bytes as the program left them (data .. data_end).
    std::span<const uint8_t> data() const { return {xdp_.data, static_cast<size_t>(xdp_.data_end - xdp_.data)}; }
    std::span<const uint8_t> meta() const { return {xdp_.data_meta, static_cast<size_t>(xdp_.data - xdp_.data_meta)}; }

private:
    std::vector<uint8_t> frame_;
    XdpBuff xdp_{};
};

}  // namespace xdpdk::vm
