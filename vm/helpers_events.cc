// Event helpers: bpf_perf_event_output (XDP's bpf_xdp_event_output, which
// can append the packet's first bytes to the sample) and the ring buffer's
// bpf_ringbuf_output/reserve/submit/discard/query, with the kernel's checks
// and return values (net/core/filter.c, kernel/trace/bpf_trace.c,
// kernel/bpf/ringbuf.c). Records go to the running CPU slot's ring.
#include <cerrno>
#include <cstring>

#include "helper_impl.h"
#include "maps/perf_event_array.h"
#include "maps/ringbuf_map.h"
#include "xdp.h"

namespace xdpdk::vm {
namespace {
uint64_t ret(long v) { return static_cast<uint64_t>(static_cast<int64_t>(v)); }

constexpr uint64_t kIndexMask = 0xffffffffULL;           // BPF_F_INDEX_MASK
constexpr uint64_t kCtxLenMask = 0xfffffULL << 32;       // BPF_F_CTXLEN_MASK
constexpr uint64_t kNoWakeup = 1, kForceWakeup = 2;      // BPF_RB_NO_WAKEUP, BPF_RB_FORCE_WAKEUP
constexpr uint64_t kAvailData = 0, kRingSize = 1, kConsPos = 2, kProdPos = 3;  // BPF_RB_*

maps::EventRing* ring_of(uint64_t map, const ExecContext* ex) {
    return reinterpret_cast<maps::RingbufMap*>(map)->ring(ex->cpu);
}
}  // namespace

// bpf_xdp_event_output(ctx, map, flags, data, size): the sample is `size`
// bytes of data followed by the first (flags & BPF_F_CTXLEN_MASK) >> 32
// bytes of the packet.
XDPDK_HELPER(helper_perf_event_output) {
    const auto& xdp = *reinterpret_cast<const XdpBuff*>(r1);
    const uint64_t flags = r3;
    if (flags & ~(kCtxLenMask | kIndexMask)) return ret(-EINVAL);
    const uint64_t packet_len = (flags & kCtxLenMask) >> 32;
    if (packet_len > xdp_buff_len(xdp)) return ret(-EFAULT);
    const uint64_t len = r5 + packet_len;
    long err = 0;
    auto* map = reinterpret_cast<maps::PerfEventArray*>(r2);
    auto* sample = static_cast<uint8_t*>(map->begin_sample(ex->cpu, flags & kIndexMask, static_cast<uint32_t>(len), &err));
    if (sample == nullptr) return ret(err);
    if (r5 != 0) std::memcpy(sample, reinterpret_cast<const void*>(r4), r5);
    if (packet_len != 0) xdp_copy_packet(xdp, 0, sample + r5, packet_len, false);
    maps::EventRing::commit(sample, false);
    return 0;
}

XDPDK_HELPER(helper_ringbuf_output) {
    (void)r5;
    if (r4 & ~(kNoWakeup | kForceWakeup)) return ret(-EINVAL);
    maps::EventRing* ring = ring_of(r1, ex);
    if (ring == nullptr) return ret(-EINVAL);
    void* record = ring->reserve(static_cast<uint32_t>(r3));
    if (record == nullptr) return ret(-EAGAIN);
    if (r3 != 0) std::memcpy(record, reinterpret_cast<const void*>(r2), r3);
    maps::EventRing::commit(record, false);
    return 0;
}

// NULL for any flag, as the kernel has none yet; the verifier has made the
// size a constant.
XDPDK_HELPER(helper_ringbuf_reserve) {
    (void)r4, (void)r5;
    maps::EventRing* ring = ring_of(r1, ex);
    if (r3 != 0 || r2 > maps::EventRing::kMaxRecord || ring == nullptr) return 0;
    return reinterpret_cast<uint64_t>(ring->reserve(static_cast<uint32_t>(r2)));
}

// Wakeup flags choose when the kernel notifies readers; consumers here poll.
XDPDK_HELPER(helper_ringbuf_submit) {
    (void)r2, (void)r3, (void)r4, (void)r5, (void)ex;
    maps::EventRing::commit(reinterpret_cast<void*>(r1), false);
    return 0;
}

XDPDK_HELPER(helper_ringbuf_discard) {
    (void)r2, (void)r3, (void)r4, (void)r5, (void)ex;
    maps::EventRing::commit(reinterpret_cast<void*>(r1), true);
    return 0;
}

XDPDK_HELPER(helper_ringbuf_query) {
    (void)r3, (void)r4, (void)r5;
    const maps::EventRing* found = ring_of(r1, ex);
    if (found == nullptr) return 0;
    const maps::EventRing& ring = *found;
    switch (r2) {
        case kAvailData: return ring.producer_pos() - ring.consumer_pos();
        case kRingSize: return ring.size();
        case kConsPos: return ring.consumer_pos();
        case kProdPos: return ring.producer_pos();
        default: return 0;
    }
}

}  // namespace xdpdk::vm
