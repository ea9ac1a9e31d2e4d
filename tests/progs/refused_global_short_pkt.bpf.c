// SPDX-License-Identifier: GPL-2.0
// Linux refuses this: the global function takes a pointer to a 34-byte
// struct, and the caller passes a packet pointer proven for 14 bytes only.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

struct eth_ip {
	struct ethhdr eth;
	struct iphdr ip;
} __attribute__((packed));

__noinline int gs_ttl(struct eth_ip *h)
{
	return h ? h->ip.ttl : 0;
}

SEC("xdp")
int global_short_pkt(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (data + sizeof(struct ethhdr) > data_end)
		return XDP_DROP;
	return gs_ttl(data) > 1 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
