#include "dp_frags.h"

#include "dp_mbuf_xdp.h"
#include "vm/xdp.h"

namespace xdpdk::dataplane {

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

    // The linear part never grows while there are frags (adjust_tail works
    // on the last one); once all are released it may, as in the kernel.
    vm::XdpBuff x = first_segment_view(m, extra, ifindex, queue, true);
    x.frags = frags;
    x.nfrags = n;
    const uint64_t retval = set.run(x, ex);

    if (!set_first_segment(m, x)) [[unlikely]]
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
