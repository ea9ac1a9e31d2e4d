#include "dp_frags.h"

#include <cstring>

#include "vm/xdp.h"

namespace xdpdk::dataplane {
namespace {

// The first segment as the linear part. Its frame ends at the buffer's end
// less the kernel's tail reserve, or right after the data when the segment
// is fuller than that: the linear part cannot grow then (with frags it
// never does; adjust_tail works on the last frag).
vm::XdpBuff linear_view(rte_mbuf* m, uint16_t extra, uint32_t ifindex, uint16_t queue) {
    auto* buf = static_cast<uint8_t*>(m->buf_addr);
    uint8_t* data = buf + m->data_off;
    uint8_t* end = data + m->data_len;
    uint8_t* hard_start = buf - extra;
    uint32_t frame_size = uint32_t{extra} + m->buf_len;
    const auto tight = static_cast<uint32_t>(end - hard_start) + vm::kXdpTailReserve;
    if (tight > frame_size) frame_size = tight;
    vm::XdpBuff x{};
    x.data = data;
    x.data_end = end;
    x.data_meta = data;
    x.data_hard_start = hard_start;
    x.ingress_ifindex = ifindex;
    x.rx_queue_index = queue;
    x.frame_size = frame_size;
    return x;
}

// data_off and data_len of the first segment where the program left data
// and data_end. A head grown past buf_addr (into our private headroom)
// moves the data to the buffer's start; false when it does not fit there.
bool apply_linear(rte_mbuf* m, const vm::XdpBuff& x) {
    auto* buf = static_cast<uint8_t*>(m->buf_addr);
    const auto len = static_cast<uint32_t>(x.data_end - x.data);
    if (x.data < buf) [[unlikely]] {
        if (len > m->buf_len) return false;
        std::memmove(buf, x.data, len);
        m->data_off = 0;
    } else {
        m->data_off = static_cast<uint16_t>(x.data - buf);
    }
    m->data_len = static_cast<uint16_t>(len);
    return true;
}

}  // namespace

bool chain_takes_frags(const AttachedSet& set) {
    for (const AttachedProgram& p : set.chain)
        if (!p.program->frags) return false;
    return true;
}

FragsRun run_frags(const AttachedSet& set, rte_mbuf* m, uint16_t extra, uint32_t ifindex, uint16_t queue,
                   vm::ExecContext& ex) {
    vm::XdpFrag frags[vm::kXdpMaxFrags];
    rte_mbuf* segs[vm::kXdpMaxFrags];
    uint32_t n = 0;
    rte_mbuf* s = m->next;
    for (; s != nullptr && n < vm::kXdpMaxFrags; s = s->next, ++n) {
        segs[n] = s;
        // A frag may grow to its buffer's end; no tail reserve there.
        frags[n] = vm::XdpFrag{rte_pktmbuf_mtod(s, uint8_t*), s->data_len,
                               static_cast<uint32_t>(s->buf_len - s->data_off)};
    }
    // More segments than MAX_SKB_FRAGS: no kernel frame looks like that.
    if (s != nullptr) [[unlikely]]
        return {vm::XDP_ABORTED, false};

    vm::XdpBuff x = linear_view(m, extra, ifindex, queue);
    x.frags = frags;
    x.nfrags = n;
    const uint64_t retval = set.run(x, ex);

    if (!apply_linear(m, x)) [[unlikely]]
        return {retval, false};
    uint32_t pkt_len = m->data_len;
    for (uint32_t i = 0; i < x.nfrags; ++i) {
        segs[i]->data_len = static_cast<uint16_t>(frags[i].len);
        pkt_len += frags[i].len;
    }
    if (x.nfrags < n) {
        // bpf_xdp_adjust_tail released the segments from x.nfrags on.
        rte_mbuf* last = x.nfrags == 0 ? m : segs[x.nfrags - 1];
        last->next = nullptr;
        rte_pktmbuf_free(segs[x.nfrags]);
        m->nb_segs = static_cast<uint16_t>(1 + x.nfrags);
    }
    m->pkt_len = pkt_len;
    return {retval, true};
}

}  // namespace xdpdk::dataplane
