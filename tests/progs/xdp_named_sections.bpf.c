// SPDX-License-Identifier: GPL-2.0
// XDP programs in the section names real projects give them and that
// libxdp's loaders (xdp-loader, xdp_program__open_file) load as XDP even
// though libbpf has no such section type: the XDP tutorial's "xdp_stats" and
// "xdp_patch_ports", an AF_XDP-style "xdp_sock", bare "tx"; a devmap program
// reading ctx->egress_ifindex in both libbpf's and the legacy section names,
// a cpumap program, and a tracepoint that is not XDP at all.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct datarec {
	__u64 rx_packets;
	__u64 rx_bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct datarec);
	__uint(max_entries, 5);
} xdp_stats_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} egress_seen SEC(".maps");

static __always_inline int count(struct xdp_md *ctx, __u32 action)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct datarec *rec = bpf_map_lookup_elem(&xdp_stats_map, &action);

	if (!rec)
		return XDP_ABORTED;
	rec->rx_packets++;
	rec->rx_bytes += data_end - data;
	return action;
}

SEC("xdp_stats")
int xdp_stats_func(struct xdp_md *ctx)
{
	return count(ctx, XDP_PASS);
}

// Decrements the UDP destination port, as the tutorial's packet02 lesson does.
SEC("xdp_patch_ports")
int xdp_patch_ports_func(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct iphdr *iph = data + sizeof(*eth);
	struct udphdr *udph;

	if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return count(ctx, XDP_PASS);
	if (iph->protocol != IPPROTO_UDP || iph->ihl != 5)
		return count(ctx, XDP_PASS);
	udph = (void *)(iph + 1);
	if ((void *)(udph + 1) > data_end)
		return count(ctx, XDP_DROP);
	udph->dest = bpf_htons(bpf_ntohs(udph->dest) - 1);
	udph->check += bpf_htons(1);
	if (!udph->check)
		udph->check += bpf_htons(1);
	return count(ctx, XDP_PASS);
}

SEC("xdp_sock")
int xdp_sock_prog(struct xdp_md *ctx)
{
	return ctx->rx_queue_index == 0 ? XDP_DROP : XDP_PASS;
}

SEC("tx")
int xdp_tx_back(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = (void *)(long)ctx->data;
	unsigned char tmp[ETH_ALEN];

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
	return XDP_TX;
}

// Runs from a devmap entry before the frame leaves on egress_ifindex.
SEC("xdp/devmap")
int xdp_devmap_egress(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u32 *seen = bpf_map_lookup_elem(&egress_seen, &key);

	if (seen)
		*seen = ctx->egress_ifindex;
	return ctx->egress_ifindex == ctx->ingress_ifindex ? XDP_DROP : XDP_PASS;
}

SEC("xdp_devmap/legacy_egress")
int xdp_devmap_legacy(struct xdp_md *ctx)
{
	return ctx->egress_ifindex ? XDP_PASS : XDP_DROP;
}

SEC("xdp/cpumap")
int xdp_cpumap_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tracepoint/xdp/xdp_exception")
int trace_xdp_exception(void *ctx)
{
	return 0;
}

char _license[] SEC("license") = "GPL";
