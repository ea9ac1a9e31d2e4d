// Packet-shaping helpers with the kernel's limits (net/core/filter.c):
// headroom down to the reserved xdp_frame, at least an Ethernet header of
// data, metadata in 4-byte units up to 252 bytes, tail up to the frame end less
// the skb_shared_info reserve. On a multi-buffer frame (frags, for xdp.frags
// programs) head and metadata stay in the linear part while the tail is the
// last frag's, and bpf_xdp_load_bytes/store_bytes reach every byte.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "helper_impl.h"
#include "xdp.h"

namespace xdpdk::vm {
namespace {
XdpBuff* as_xdp(uint64_t r) { return reinterpret_cast<XdpBuff*>(r); }
uint64_t err(int e) { return static_cast<uint64_t>(-static_cast<int64_t>(e)); }

uint32_t linear_len(const XdpBuff& x) { return static_cast<uint32_t>(x.data_end - x.data); }

// bpf_xdp_load_bytes / bpf_xdp_store_bytes: the kernel's bpf_xdp_pointer
// checks (offset and len are u32, each at most 0xffff) then the copy.
uint64_t xdp_bytes(uint64_t ctx, uint64_t offset64, uint64_t buf, uint64_t len64, bool to_packet) {
    const XdpBuff& x = *as_xdp(ctx);
    const uint32_t offset = static_cast<uint32_t>(offset64), len = static_cast<uint32_t>(len64);
    if (offset > 0xffff || len > 0xffff) return err(EFAULT);
    if (uint64_t{offset} + len > xdp_buff_len(x)) return err(EINVAL);
    xdp_copy_packet(x, offset, reinterpret_cast<uint8_t*>(buf), len, to_packet);
    return 0;
}

// Growing a multi-buffer frame: into the last frag's tailroom only.
uint64_t frags_grow_tail(XdpBuff& x, uint32_t offset) {
    XdpFrag& last = x.frags[x.nfrags - 1];
    if (offset > last.capacity - last.len) return err(EINVAL);
    std::memset(last.data + last.len, 0, offset);
    last.len += offset;
    return 0;
}

// Shrinking one: whole frags from the end are released (nfrags drops), the
// last one kept is trimmed, and once none is left the rest comes off the
// linear part. `shrink` is the kernel's int: -INT_MIN stays negative there,
// which makes the call a successful no-op.
uint64_t frags_shrink_tail(XdpBuff& x, int32_t shrink) {
    if (int64_t{shrink} > static_cast<int64_t>(xdp_buff_len(x)) - int64_t{kEthHeaderLen}) return err(EINVAL);
    uint32_t released = 0;
    for (uint32_t i = x.nfrags; i-- > 0 && shrink > 0;) {
        XdpFrag& f = x.frags[i];
        const uint32_t cut = std::min(static_cast<uint32_t>(shrink), f.len);
        shrink -= static_cast<int32_t>(cut);
        if (cut == f.len) ++released;
        else f.len -= cut;
    }
    x.nfrags -= released;
    if (x.nfrags == 0) x.data_end -= shrink;
    return 0;
}
}  // namespace

// xdp_get_buff_len: the linear part and every frag.
uint64_t xdp_buff_len(const XdpBuff& x) {
    uint64_t len = linear_len(x);
    for (uint32_t i = 0; i < x.nfrags; ++i) len += x.frags[i].len;
    return len;
}

// Copies `len` bytes between `buf` and the packet from offset `off` (from
// data) on, across the linear part and the frags (bpf_xdp_copy_buf). The
// caller has checked that the range lies inside the packet.
void xdp_copy_packet(const XdpBuff& x, uint64_t off, uint8_t* buf, uint64_t len, bool to_packet) {
    uint8_t* part = x.data;
    uint64_t part_len = linear_len(x);
    for (uint32_t next = 0; len != 0; ++next) {
        if (off < part_len) {
            const uint64_t n = std::min(len, part_len - off);
            if (to_packet) std::memcpy(part + off, buf, n);
            else std::memcpy(buf, part + off, n);
            buf += n;
            len -= n;
            off = 0;
        } else {
            off -= part_len;
        }
        if (next == x.nfrags) break;
        part = x.frags[next].data;
        part_len = x.frags[next].len;
    }
}

XDPDK_HELPER(helper_xdp_get_buff_len) {
    (void)r2, (void)r3, (void)r4, (void)r5, (void)ex;
    return xdp_buff_len(*as_xdp(r1));
}

XDPDK_HELPER(helper_xdp_load_bytes) {
    (void)r5, (void)ex;
    return xdp_bytes(r1, r2, r3, r4, false);
}

XDPDK_HELPER(helper_xdp_store_bytes) {
    (void)r5, (void)ex;
    return xdp_bytes(r1, r2, r3, r4, true);
}

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
    if (x->nfrags != 0) [[unlikely]] {
        if (offset < 0) return frags_shrink_tail(*x, static_cast<int32_t>(0u - static_cast<uint32_t>(offset)));
        return frags_grow_tail(*x, static_cast<uint32_t>(offset));
    }
    uint8_t* data_end = x->data_end + offset;
    const uint8_t* hard_end = x->data_hard_start + x->frame_size - kXdpTailReserve;
    if (data_end > hard_end) return err(EINVAL);
    if (data_end < x->data + kEthHeaderLen) return err(EINVAL);
    if (offset > 0) std::memset(x->data_end, 0, static_cast<size_t>(offset));
    x->data_end = data_end;
    return 0;
}

}  // namespace xdpdk::vm
