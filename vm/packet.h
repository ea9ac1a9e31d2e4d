// A packet frame laid out like the kernel's XDP buffers (and BPF_PROG_TEST_RUN):
// 256 bytes of headroom, the packet, and tailroom up to the frame size less
// the skb_shared_info reserve, so adjust_head/meta/tail behave as in the
// kernel. Packets longer than one page's worth (3520 bytes) may be split as
// BPF_PROG_TEST_RUN splits them: the first 3520 bytes linear, the rest in
// page-size frags.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "xdp.h"

namespace xdpdk::vm {

enum class FrameLayout : uint8_t {
    // One buffer as long as the packet, whatever its length.
    Linear,
    // BPF_PROG_TEST_RUN's split, for xdp.frags programs: at most 3520 bytes
    // in the linear part, the rest in frags of 4096 bytes (at most 17).
    MultiBuffer,
    // The same split for programs that are not xdp.frags: they see the
    // linear part only, and the rest follows it out unchanged (what the
    // dataplane does with the later segments of a multi-segment mbuf).
    FirstBuffer,
};

// Linear bytes of a split frame: PAGE_SIZE - XDP_PACKET_HEADROOM - tail reserve.
constexpr uint32_t kXdpMaxLinear = kXdpPageSize - kXdpHeadroom - kXdpTailReserve;
// The longest packet a MultiBuffer frame holds (BPF_PROG_TEST_RUN: -ENOMEM past it).
constexpr uint64_t kXdpMaxMultiBufferLen = kXdpMaxLinear + uint64_t{kXdpMaxFrags} * kXdpPageSize;

class PacketFrame {
public:
    // Frame of max(4096, headroom + len + tail reserve) bytes.
    explicit PacketFrame(std::span<const uint8_t> bytes, uint32_t ingress_ifindex = 1, uint32_t rx_queue = 0);
    // A MultiBuffer frame takes at most kXdpMaxMultiBufferLen bytes (the
    // caller checks); packets up to 3520 bytes are linear in every layout.
    PacketFrame(std::span<const uint8_t> bytes, uint32_t ingress_ifindex, uint32_t rx_queue, FrameLayout layout);

    // Puts `bytes` back in as a fresh packet, reusing the frame (it grows only
    // when `bytes` does not fit): what `bench` does before every run so each
    // one sees the original packet. Headroom and tailroom keep what earlier
    // runs left there, as in a reused NIC buffer. Linear layout only.
    void refill(std::span<const uint8_t> bytes);

    XdpBuff& xdp() { return xdp_; }
    // The linear part as the program left it (data .. data_end).
    std::span<const uint8_t> data() const { return {xdp_.data, static_cast<size_t>(xdp_.data_end - xdp_.data)}; }
    std::span<const uint8_t> meta() const { return {xdp_.data_meta, static_cast<size_t>(xdp_.data - xdp_.data_meta)}; }
    // True when the packet goes on past data_end (frags, or a carried tail).
    bool split() const { return xdp_.nfrags != 0 || (frags_.empty() && !tail_.empty()); }
    // The whole packet as the program left it: data() then the frags still
    // attached (MultiBuffer) or the untouched rest (FirstBuffer).
    std::vector<uint8_t> packet() const;

private:
    void fill_split(std::span<const uint8_t> bytes, bool expose);

    std::vector<uint8_t> frame_;
    std::vector<uint8_t> tail_;      // the bytes past the linear part: frag pages, or the carried rest
    std::vector<XdpFrag> frags_;     // MultiBuffer: descriptors into tail_
    XdpBuff xdp_{};
};

}  // namespace xdpdk::vm
