// SPDX-License-Identifier: GPL-2.0
// Linux refuses this: the global function may move the packet (it calls
// bpf_xdp_adjust_head), so the caller's packet pointers are stale after
// the call, and the caller reads through one.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__noinline int gp_pop(struct xdp_md *ctx)
{
	return bpf_xdp_adjust_head(ctx, 4) ? 0 : 1;
}

SEC("xdp")
int global_stale_pkt(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	unsigned char *p = data;

	if (data + 8 > data_end)
		return XDP_DROP;
	int popped = gp_pop(ctx);
	return (p[0] + popped) & 1 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
