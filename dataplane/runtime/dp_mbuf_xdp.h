// An mbuf seen as an XDP buffer, and the program's changes carried back.
//
// PMDs put received data RTE_PKTMBUF_HEADROOM (128) bytes into the buffer;
// XDP programs may expect 256 (XDP_PACKET_HEADROOM). Our pools give every
// mbuf a private area of kExtraHeadroom bytes, which sits right before
// buf_addr, so the frame starts there and data begins 256 bytes in. Mbufs
// from other pools (a PMD's own) get the headroom they have.
#pragma once

#include <cstring>

#include <rte_mbuf.h>

#include "vm/xdp.h"

namespace xdpdk::dataplane {

constexpr uint16_t kExtraHeadroom = vm::kXdpHeadroom - RTE_PKTMBUF_HEADROOM;
static_assert(vm::kXdpHeadroom >= RTE_PKTMBUF_HEADROOM && kExtraHeadroom % RTE_MBUF_PRIV_ALIGN == 0);

// The first segment as an XDP buffer. `extra` is kExtraHeadroom for mbufs
// of our pools, else 0. hard_end (frame end less the tail reserve) never
// goes past the buffer, and never below data_end; with `may_grow` false the
// frame ends right there, so the tail cannot grow into the buffer.
inline vm::XdpBuff first_segment_view(rte_mbuf* m, uint16_t extra, uint32_t ifindex, uint16_t queue, bool may_grow) {
    auto* buf = static_cast<uint8_t*>(m->buf_addr);
    uint8_t* data = buf + m->data_off;
    uint8_t* end = data + m->data_len;
    uint8_t* hard_start = buf - extra;
    uint32_t frame_size = extra + m->buf_len;
    const auto tight = static_cast<uint32_t>(end - hard_start) + vm::kXdpTailReserve;
    if (!may_grow || tight > frame_size) [[unlikely]]
        frame_size = tight;
    return vm::XdpBuff{data, end, data, hard_start, ifindex, queue, 0, frame_size};
}

// The view a program gets: the first segment only (xdp.frags programs get
// the others as frags: dp_frags.h); a multi-segment packet cannot grow its
// tail here.
inline vm::XdpBuff xdp_view(rte_mbuf* m, uint16_t extra, uint32_t ifindex, uint16_t queue) {
    return first_segment_view(m, extra, ifindex, queue, m->nb_segs == 1);
}

// Moves the first segment's data_off and data_len to where the program left
// data and data_end. False when the packet no longer fits the buffer (head
// grown into the private headroom of a full buffer); the caller drops it then.
inline bool set_first_segment(rte_mbuf* m, const vm::XdpBuff& x) {
    auto* buf = static_cast<uint8_t*>(m->buf_addr);
    const auto len = static_cast<uint32_t>(x.data_end - x.data);
    if (x.data < buf) [[unlikely]] {
        // Head grown past buf_addr into the private area: the mbuf cannot
        // describe that, so the packet moves to the start of the buffer.
        if (len > m->buf_len) return false;
        std::memmove(buf, x.data, len);
        m->data_off = 0;
    } else {
        m->data_off = static_cast<uint16_t>(x.data - buf);
    }
    m->data_len = static_cast<uint16_t>(len);
    return true;
}

// set_first_segment plus pkt_len, after a program that saw xdp_view.
inline bool apply_xdp_to_mbuf(rte_mbuf* m, const vm::XdpBuff& x) {
    uint8_t* old_data = static_cast<uint8_t*>(m->buf_addr) + m->data_off;
    const uint16_t old_len = m->data_len;
    if (x.data == old_data && x.data_end == old_data + old_len) [[likely]]
        return true;
    if (!set_first_segment(m, x)) return false;
    m->pkt_len = m->pkt_len - old_len + m->data_len;
    return true;
}

}  // namespace xdpdk::dataplane
