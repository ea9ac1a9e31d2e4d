// Packet-shaping helpers with the kernel's limits (net/core/filter.c):
// headroom down to the reserved xdp_frame, at least an Ethernet header of
// data, metadata in 4-byte units up to 252 bytes, tail up to the frame end less
// the skb_shared_info reserve.
#include <cerrno>
#include <cstring>

#include "helper_impl.h"
#include "xdp.h"

namespace xdpdk::vm {
namespace {
XdpBuff* as_xdp(uint64_t r) { return reinterpret_cast<XdpBuff*>(r); }
uint64_t err(int e) { return static_cast<uint64_t>(-static_cast<int64_t>(e)); }
}  // namespace

XDPDK_HELPER(helper_xdp_adjust_head) {
    (void)r3, (void)r4, (void)r5, (void)ex;
    XdpBuff* x = as_xdp(r1);
    const int32_t offset = static_cast<int32_t>(r2);
    const size_t metalen = static_cast<size_t>(x->data - x->data_meta);
    const uint8_t* data_start = x->data_hard_start + kXdpFrameReserve + metalen;
    uint8_t* data = x->data + offset;
    if (data < data_start || data > x->data_end - kEthHeaderLen) return err(EINVAL);
    if (metalen) std::memmove(x->data_meta + offset, x->data_meta, metalen);
    x->data_meta += offset;
    x->data = data;
    return 0;
}

XDPDK_HELPER(helper_xdp_adjust_meta) {
    (void)r3, (void)r4, (void)r5, (void)ex;
    XdpBuff* x = as_xdp(r1);
    const int32_t offset = static_cast<int32_t>(r2);
    uint8_t* meta = x->data_meta + offset;
    if (meta < x->data_hard_start + kXdpFrameReserve || meta > x->data) return err(EINVAL);
    const size_t metalen = static_cast<size_t>(x->data - meta);
    if ((metalen & 3) || metalen > kXdpMaxMetaLen) return err(EACCES);
    x->data_meta = meta;
    return 0;
}

XDPDK_HELPER(helper_xdp_adjust_tail) {
    (void)r3, (void)r4, (void)r5, (void)ex;
    XdpBuff* x = as_xdp(r1);
    const int32_t offset = static_cast<int32_t>(r2);
    uint8_t* data_end = x->data_end + offset;
    const uint8_t* hard_end = x->data_hard_start + x->frame_size - kXdpTailReserve;
    if (data_end > hard_end) return err(EINVAL);
    if (data_end < x->data + kEthHeaderLen) return err(EINVAL);
    if (offset > 0) std::memset(x->data_end, 0, static_cast<size_t>(offset));
    x->data_end = data_end;
    return 0;
}

}  // namespace xdpdk::vm
