// Implementations behind the helper registry; internal to vm/.
#pragma once

#include <cstdint>

#include "exec_context.h"

namespace xdpdk::vm {

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
XDPDK_HELPER(helper_loop);
XDPDK_HELPER(helper_spin_lock);
XDPDK_HELPER(helper_spin_unlock);
XDPDK_HELPER(helper_for_each_map_elem);

}  // namespace xdpdk::vm
