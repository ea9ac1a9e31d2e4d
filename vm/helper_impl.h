// Implementations behind the helper registry; internal to vm/.
#pragma once

#include <cstdint>

#include "exec_context.h"

namespace xdpdk::vm {

struct XdpBuff;

// The frame's bytes, linear part and frags (helpers_xdp.cc): its length as
// bpf_xdp_get_buff_len gives it, and a copy between `buf` and [off, off+len),
// which the caller has checked lies inside.
uint64_t xdp_buff_len(const XdpBuff& x);
void xdp_copy_packet(const XdpBuff& x, uint64_t off, uint8_t* buf, uint64_t len, bool to_packet);

#define XDPDK_HELPER(name) \
    uint64_t name(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, ExecContext* ex)

XDPDK_HELPER(helper_map_lookup_elem);
XDPDK_HELPER(helper_map_update_elem);
XDPDK_HELPER(helper_map_delete_elem);
XDPDK_HELPER(helper_map_push_elem);
XDPDK_HELPER(helper_map_pop_elem);
XDPDK_HELPER(helper_map_peek_elem);
XDPDK_HELPER(helper_map_lookup_percpu_elem);
XDPDK_HELPER(helper_ktime_get_ns);
XDPDK_HELPER(helper_ktime_get_boot_ns);
XDPDK_HELPER(helper_ktime_get_coarse_ns);
XDPDK_HELPER(helper_ktime_get_tai_ns);
XDPDK_HELPER(helper_jiffies64);
XDPDK_HELPER(helper_trace_printk);
XDPDK_HELPER(helper_trace_vprintk);
XDPDK_HELPER(helper_get_prandom_u32);
XDPDK_HELPER(helper_get_smp_processor_id);
XDPDK_HELPER(helper_redirect);
XDPDK_HELPER(helper_redirect_map);
XDPDK_HELPER(helper_xdp_adjust_head);
XDPDK_HELPER(helper_xdp_adjust_tail);
XDPDK_HELPER(helper_xdp_adjust_meta);
XDPDK_HELPER(helper_csum_diff);
XDPDK_HELPER(helper_xdp_get_buff_len);
XDPDK_HELPER(helper_xdp_load_bytes);
XDPDK_HELPER(helper_xdp_store_bytes);
XDPDK_HELPER(helper_perf_event_output);
XDPDK_HELPER(helper_ringbuf_output);
XDPDK_HELPER(helper_ringbuf_reserve);
XDPDK_HELPER(helper_ringbuf_submit);
XDPDK_HELPER(helper_ringbuf_discard);
XDPDK_HELPER(helper_ringbuf_query);
XDPDK_HELPER(helper_loop);
XDPDK_HELPER(helper_spin_lock);
XDPDK_HELPER(helper_spin_unlock);
XDPDK_HELPER(helper_for_each_map_elem);
XDPDK_HELPER(helper_get_numa_node_id);
XDPDK_HELPER(helper_strtol);
XDPDK_HELPER(helper_strtoul);
XDPDK_HELPER(helper_strncmp);
XDPDK_HELPER(helper_tcp_raw_gen_syncookie_ipv4);
XDPDK_HELPER(helper_tcp_raw_gen_syncookie_ipv6);
XDPDK_HELPER(helper_tcp_raw_check_syncookie_ipv4);
XDPDK_HELPER(helper_tcp_raw_check_syncookie_ipv6);

// jiffies_64 as the kernel counts it, and the kernel's HZ (helpers_time.cc).
uint64_t jiffies64_now();
uint64_t jiffies_hz();
XDPDK_HELPER(helper_fib_lookup);
XDPDK_HELPER(helper_check_mtu);

}  // namespace xdpdk::vm
