// SPDX-License-Identifier: GPL-2.0
// A firewall whose IPv4 check, in a subprogram, reads the IP header before
// checking it against data_end: every verifier refuses it, and the refusal
// names that C line, although linking moved the subprogram's instructions
// after the program's.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

static __noinline int ipv4_header_ok(struct xdp_md *ctx)
{
	struct iphdr *ip = (void *)(long)ctx->data + sizeof(struct ethhdr);

	if (ip->ihl < 5)
		return 0;
	return 1;
}

SEC("xdp")
int xdp_fw(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	return ipv4_header_ok(ctx) ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
