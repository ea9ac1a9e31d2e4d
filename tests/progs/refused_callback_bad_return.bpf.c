// SPDX-License-Identifier: GPL-2.0
// A bpf_loop callback that may return 2: callbacks return 0 (go on) or 1
// (stop), and Linux refuses any other value.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct count {
	__u32 n;
	__u32 limit;
};

static long step(__u32 index, struct count *c)
{
	c->n++;
	return c->n > c->limit ? 2 : 0;
}

SEC("xdp")
int loop_bad_return(struct xdp_md *ctx)
{
	struct count c = { .limit = ctx->rx_queue_index };

	bpf_loop(8, step, &c, 0);
	return c.n & 1 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
