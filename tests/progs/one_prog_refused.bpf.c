// SPDX-License-Identifier: GPL-2.0
// Two XDP programs in one object, one of which no verifier accepts (it reads
// the packet without a bounds check). A loader that attaches the other one
// (xdp-loader, `ip link set xdp ... sec`) loads only it and succeeds; loading
// the whole object fails.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

SEC("xdp/unchecked")
int xdp_unchecked(struct xdp_md *ctx)
{
	struct ethhdr *eth = (void *)(long)ctx->data;

	return eth->h_proto == 0 ? XDP_DROP : XDP_PASS;
}

SEC("xdp/checked")
int xdp_checked(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	return eth->h_proto == 0 ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
