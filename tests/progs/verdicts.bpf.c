// SPDX-License-Identifier: GPL-2.0
// Replay test object: a verdict for each kind of frame in pcaps/sample.pcap,
// so one replay exercises every action, a rewritten packet, a shortened
// packet, redirects by ifindex and through a devmap, a return value that is
// no XDP action, and per-CPU, hash, devmap, prog-array and global-data maps.
// Also a tail-call entry, a program that shows its context, one that stamps
// the order packets ran in, a redirect without a target, and a non-XDP
// program.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u32 redirect_ifindex = 5;  /* IPv6 UDP goes here */
__u64 packets = 0;                          /* .bss */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} verdict_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} percpu_packets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u16);
	__type(value, __u32);
} ethertype_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} jump SEC(".maps");

static __always_inline void swap_macs(struct ethhdr *eth)
{
	unsigned char tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

static __always_inline int verdict(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return XDP_DROP;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > data_end)
			return XDP_ABORTED;
		if (iph->protocol == IPPROTO_ICMP)
			return 7;
		if (iph->protocol == IPPROTO_UDP) {
			swap_macs(eth);
			return XDP_TX;
		}
		if (iph->protocol == IPPROTO_TCP) {
			if (bpf_xdp_adjust_tail(ctx, -4))
				return XDP_ABORTED;
			return XDP_PASS;
		}
		return XDP_PASS;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if ((void *)(ip6h + 1) > data_end)
			return XDP_ABORTED;
		if (ip6h->nexthdr == IPPROTO_UDP)
			return bpf_redirect(redirect_ifindex, 0);
		if (ip6h->nexthdr == IPPROTO_TCP)
			return bpf_redirect_map(&ports, 2, XDP_DROP);
		return XDP_PASS;
	}
	return XDP_ABORTED;
}

SEC("xdp")
int xdp_verdicts(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 zero = 0, action;
	__u64 *count;
	__u32 *per_type, one = 1;
	__u16 type;
	int rc;

	packets++;
	count = bpf_map_lookup_elem(&percpu_packets, &zero);
	if (count)
		*count += 1;
	if ((void *)(eth + 1) <= data_end) {
		type = bpf_ntohs(eth->h_proto);
		per_type = bpf_map_lookup_elem(&ethertype_count, &type);
		if (per_type)
			__sync_fetch_and_add(per_type, 1);
		else
			bpf_map_update_elem(&ethertype_count, &type, &one, BPF_NOEXIST);
	}
	rc = verdict(ctx);
	action = rc > XDP_REDIRECT ? XDP_ABORTED : rc;
	count = bpf_map_lookup_elem(&verdict_count, &action);
	if (count)
		*count += 1;
	return rc;
}

SEC("xdp")
int xdp_stage2(struct xdp_md *ctx)
{
	return XDP_TX;
}

SEC("xdp")
int xdp_jump(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jump, 0);
	return XDP_DROP;
}

/* Writes what it sees of its context over the destination MAC: the ingress
 * ifindex (4 bytes) and the low 16 bits of the rx queue, in host order. */
SEC("xdp")
int xdp_ctx_echo(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 ifindex = ctx->ingress_ifindex;
	__u16 queue = ctx->rx_queue_index;

	if (data + 6 > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(data, &ifindex, 4);
	__builtin_memcpy(data + 4, &queue, 2);
	return XDP_PASS;
}

/* Writes the number of its run over the first 4 bytes and picks the verdict
 * from it, so a run that reorders or skips packets shows in the output. It
 * counts its runs in verdict_count[7], a slot xdp_verdicts never uses, and
 * calls no helper that leaves state for the next run (a redirect, a tail
 * call), so workers take their fast loop with it. */
SEC("xdp")
int xdp_sequence(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 key = 7, seq;
	__u64 *runs = bpf_map_lookup_elem(&verdict_count, &key);

	if (!runs)
		return XDP_ABORTED;
	seq = (*runs)++;
	if (data + 4 > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(data, &seq, 4);
	switch (seq % 5) {
	case 0:
		return XDP_TX;
	case 1:
		return XDP_DROP;
	case 2:
		return XDP_PASS;
	case 3:
		return 9; /* no action: XDP_ABORTED */
	default:
		if (data_end - data < 3000 && bpf_xdp_adjust_tail(ctx, -4) == 0)
			return XDP_TX;
		return XDP_PASS;
	}
}

/* XDP_REDIRECT without a redirect helper: there is no target, so the packet
 * is dropped as a redirect error. */
SEC("xdp")
int xdp_bare_redirect(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_REDIRECT;
}

SEC("tc")
int tc_ingress(struct __sk_buff *skb)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
