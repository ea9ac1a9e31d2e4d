// SPDX-License-Identifier: GPL-2.0
// Linux refuses this: a global function returning void has no scalar
// return ("Global function gvr_count() doesn't return scalar").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 gvr_seen;

__noinline void gvr_count(__u32 len)
{
	gvr_seen += len;
}

SEC("xdp")
int global_void_return(struct xdp_md *ctx)
{
	gvr_count(ctx->rx_queue_index);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
