// Multi-segment mbufs as multi-buffer XDP frames (xdp.frags). A chain of
// xdp.frags programs sees the first segment as the linear part (data ..
// data_end) and every later segment as a frag, as a kernel driver hands a
// jumbo frame to such a program; what the program changed goes back into
// the chain: the first segment's head and length, the frags' lengths
// (bpf_xdp_adjust_tail grows the last one or releases whole ones from the
// end), freed tail segments, nb_segs and pkt_len. Programs that are not
// xdp.frags keep seeing the first segment only (dp_mbuf_xdp.h).
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dp_attach.h"
#include "vm/exec_context.h"

namespace xdpdk::dataplane {

struct FragsRun {
    uint64_t retval;  // the chain's verdict
    // False when the mbuf cannot describe the result (more segments than a
    // frame has frags, or a head grown past what the first segment holds):
    // the caller treats the packet as XDP_ABORTED then.
    bool applied;
};

// Runs `set` on the multi-segment mbuf `m` as one multi-buffer frame and
// carries the changes back. `extra` is the private headroom before buf_addr
// (kExtraHeadroom for our pools, else 0). Not for the per-packet fast path:
// only packets with nb_segs > 1 come here.
FragsRun run_frags(const AttachedSet& set, rte_mbuf* m, uint16_t extra, uint32_t ifindex, uint16_t queue,
                   vm::ExecContext& ex);

}  // namespace xdpdk::dataplane
