// The runtime's XDP context. Programs are written against struct xdp_md
// (32-bit fields); at load, every ctx access is rewritten to this layout so
// that data/data_end/data_meta loads yield full 64-bit pointers, as the
// kernel's xdp_buff conversion does.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xdpdk::vm {

// One buffer of a multi-buffer frame: `len` bytes at `data`, and room in its
// buffer for `capacity` (>= len) from `data` on, which adjust_tail may grow into.
struct XdpFrag {
    uint8_t* data;
    uint32_t len;
    uint32_t capacity;
};

struct XdpBuff {
    uint8_t* data;
    uint8_t* data_end;
    uint8_t* data_meta;
    uint8_t* data_hard_start;  // start of the frame (headroom begins here)
    uint32_t ingress_ifindex;
    uint32_t rx_queue_index;
    uint32_t egress_ifindex;
    uint32_t frame_size;  // bytes from data_hard_start to the end of the frame
    // Multi-buffer frames (xdp.frags programs only): the packet continues
    // after data_end in frags[0..nfrags), in order, as the kernel's
    // skb_shared_info frags do. nfrags == 0 is a linear frame; programs not
    // in an xdp.frags section always get one. bpf_xdp_adjust_tail shrinks
    // nfrags when it releases frags; the frame's owner frees what is past it.
    XdpFrag* frags = nullptr;
    uint32_t nfrags = 0;
};

// Kernel constants that shape what adjust_head/meta/tail may do.
constexpr uint32_t kXdpHeadroom = 256;          // XDP_PACKET_HEADROOM
constexpr uint32_t kXdpFrameReserve = 40;       // sizeof(struct xdp_frame), kept at the frame start
constexpr uint32_t kXdpTailReserve = 320;       // SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
constexpr uint32_t kXdpMaxMetaLen = 255;        // type_max(skb_shared_info.meta_len) in 6.18; older kernels: 32
constexpr uint32_t kEthHeaderLen = 14;
constexpr uint32_t kXdpMaxFrags = 17;           // MAX_SKB_FRAGS
constexpr uint32_t kXdpPageSize = 4096;         // PAGE_SIZE: one buffer of BPF_PROG_TEST_RUN

// XDP actions.
enum XdpAction : uint32_t { XDP_ABORTED = 0, XDP_DROP = 1, XDP_PASS = 2, XDP_TX = 3, XDP_REDIRECT = 4 };
const char* xdp_action_name(uint64_t action);  // "XDP_TX"; unknown values as "XDP_ABORTED"

// Offsets of struct xdp_md fields (what programs are compiled against).
namespace xdp_md {
constexpr int16_t data = 0, data_end = 4, data_meta = 8, ingress_ifindex = 12, rx_queue_index = 16,
                  egress_ifindex = 20, size = 24;
}

}  // namespace xdpdk::vm
