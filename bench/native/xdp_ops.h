// What the samples ask of helpers, written out for the native programs with
// the kernel's limits (the same ones vm/helpers_xdp.cc enforces): moving the
// packet's head, metadata and tail, and the IPv4 header checksum.
#pragma once

#include <cstdint>
#include <cstring>

#include "vm/xdp.h"

namespace xdpdk::bench::native {

// bpf_xdp_adjust_head: false when the move leaves the frame.
inline bool adjust_head(vm::XdpBuff& x, int32_t offset) {
    const size_t metalen = static_cast<size_t>(x.data - x.data_meta);
    const uint8_t* data_start = x.data_hard_start + vm::kXdpFrameReserve + metalen;
    uint8_t* data = x.data + offset;
    if (data < data_start || data > x.data_end - vm::kEthHeaderLen) [[unlikely]]
        return false;
    if (metalen) std::memmove(x.data_meta + offset, x.data_meta, metalen);
    x.data_meta += offset;
    x.data = data;
    return true;
}

// bpf_xdp_adjust_meta.
inline bool adjust_meta(vm::XdpBuff& x, int32_t offset) {
    uint8_t* meta = x.data_meta + offset;
    if (meta < x.data_hard_start + vm::kXdpFrameReserve || meta > x.data) [[unlikely]]
        return false;
    const size_t metalen = static_cast<size_t>(x.data - meta);
    if ((metalen & 3) || metalen > vm::kXdpMaxMetaLen) [[unlikely]]
        return false;
    x.data_meta = meta;
    return true;
}

// bpf_xdp_adjust_tail: growing zero-fills the new bytes.
inline bool adjust_tail(vm::XdpBuff& x, int32_t offset) {
    uint8_t* data_end = x.data_end + offset;
    const uint8_t* hard_end = x.data_hard_start + x.frame_size - vm::kXdpTailReserve;
    if (data_end > hard_end || data_end < x.data + vm::kEthHeaderLen) [[unlikely]]
        return false;
    if (offset > 0) std::memset(x.data_end, 0, static_cast<size_t>(offset));
    x.data_end = data_end;
    return true;
}

// The IPv4 header checksum of a 20-byte header whose check field is zero
// (bpf_csum_diff over the header, then folded, as the load balancer does).
inline uint16_t ipv4_header_checksum(const void* header) {
    uint16_t words[10];
    std::memcpy(words, header, sizeof words);
    uint32_t sum = 0;
    for (uint16_t w : words) sum += w;
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

}  // namespace xdpdk::bench::native
