// SPDX-License-Identifier: GPL-2.0
// An object holding only a devmap program: nothing in it runs at a device,
// so there is no default program to attach or replay.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp/devmap")
int xdp_egress_only(struct xdp_md *ctx)
{
	return ctx->egress_ifindex ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
