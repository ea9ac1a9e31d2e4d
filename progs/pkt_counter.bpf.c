// SPDX-License-Identifier: GPL-2.0
// Per-protocol packet and byte counters. Parses Ethernet (with up to two VLAN
// tags), IPv4 (with options) and IPv6, and counts each frame in a per-CPU
// array slot chosen by its L3/L4 protocol. Every packet is passed on.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum proto_slot {
	SLOT_NON_IP = 0,
	SLOT_IPV4_TCP,
	SLOT_IPV4_UDP,
	SLOT_IPV4_ICMP,
	SLOT_IPV4_OTHER,
	SLOT_IPV6_TCP,
	SLOT_IPV6_UDP,
	SLOT_IPV6_ICMP,
	SLOT_IPV6_OTHER,
	SLOT_MALFORMED,
	SLOT_COUNT,
};

struct proto_counter {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLOT_COUNT);
	__type(key, __u32);
	__type(value, struct proto_counter);
} proto_stats SEC(".maps");

struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

static __always_inline int is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

static __always_inline __u32 l4_slot(__u8 l4_proto, __u8 icmp_proto, __u32 first_slot)
{
	/* Slots of one address family are ordered TCP, UDP, ICMP, other. */
	if (l4_proto == IPPROTO_TCP)
		return first_slot;
	if (l4_proto == IPPROTO_UDP)
		return first_slot + 1;
	if (l4_proto == icmp_proto)
		return first_slot + 2;
	return first_slot + 3;
}

static __always_inline __u32 classify(void *data, void *data_end)
{
	struct ethhdr *eth = data;
	void *cursor = eth + 1;
	__be16 proto;

	if (cursor > data_end)
		return SLOT_MALFORMED;
	proto = eth->h_proto;

#pragma unroll
	for (int i = 0; i < 2; i++) {
		struct vlan_hdr *vlan = cursor;

		if (!is_vlan(proto))
			break;
		if ((void *)(vlan + 1) > data_end)
			return SLOT_MALFORMED;
		proto = vlan->h_vlan_encapsulated_proto;
		cursor = vlan + 1;
	}

	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = cursor;

		if ((void *)(iph + 1) > data_end || iph->ihl < 5)
			return SLOT_MALFORMED;
		if ((void *)iph + iph->ihl * 4 > data_end)
			return SLOT_MALFORMED;
		return l4_slot(iph->protocol, IPPROTO_ICMP, SLOT_IPV4_TCP);
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = cursor;

		if ((void *)(ip6h + 1) > data_end)
			return SLOT_MALFORMED;
		return l4_slot(ip6h->nexthdr, IPPROTO_ICMPV6, SLOT_IPV6_TCP);
	}
	return SLOT_NON_IP;
}

SEC("xdp")
int xdp_count_protocols(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 slot = classify(data, data_end);
	struct proto_counter *counter;

	counter = bpf_map_lookup_elem(&proto_stats, &slot);
	if (!counter)
		return XDP_ABORTED;
	/* Per-CPU slot: no other CPU writes it, so plain adds are enough. */
	counter->packets++;
	counter->bytes += data_end - data;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
