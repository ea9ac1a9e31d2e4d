// SPDX-License-Identifier: GPL-2.0
// pkt_counter.bpf.c for librte_bpf: the same classification on an rte_mbuf's
// packet, bounds checked against its length instead of data_end. The
// counters are an external variable (librte_bpf has no maps): the benchmark
// binds it to the value memory of the VM's proto_stats map for CPU 0.
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include "rte_mbuf_view.h"

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

extern struct proto_counter proto_stats[SLOT_COUNT];

struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

static __attribute__((always_inline)) inline int is_vlan(__be16 proto)
{
	return proto == __builtin_bswap16(ETH_P_8021Q) || proto == __builtin_bswap16(ETH_P_8021AD);
}

static __attribute__((always_inline)) inline __u32 l4_slot(__u8 l4_proto, __u8 icmp_proto, __u32 first_slot)
{
	if (l4_proto == IPPROTO_TCP)
		return first_slot;
	if (l4_proto == IPPROTO_UDP)
		return first_slot + 1;
	if (l4_proto == icmp_proto)
		return first_slot + 2;
	return first_slot + 3;
}

static __attribute__((always_inline)) inline __u32 classify(unsigned char *data, __u32 len)
{
	struct ethhdr *eth = (struct ethhdr *)data;
	__u32 off = sizeof(*eth);
	__be16 proto;

	if (off > len)
		return SLOT_MALFORMED;
	proto = eth->h_proto;

#pragma unroll
	for (int i = 0; i < 2; i++) {
		struct vlan_hdr *vlan = (struct vlan_hdr *)(data + off);

		if (!is_vlan(proto))
			break;
		if (off + sizeof(*vlan) > len)
			return SLOT_MALFORMED;
		proto = vlan->h_vlan_encapsulated_proto;
		off += sizeof(*vlan);
	}

	if (proto == __builtin_bswap16(ETH_P_IP)) {
		struct iphdr *iph = (struct iphdr *)(data + off);

		if (off + sizeof(*iph) > len || iph->ihl < 5)
			return SLOT_MALFORMED;
		if (off + iph->ihl * 4 > len)
			return SLOT_MALFORMED;
		return l4_slot(iph->protocol, IPPROTO_ICMP, SLOT_IPV4_TCP);
	}
	if (proto == __builtin_bswap16(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (struct ipv6hdr *)(data + off);

		if (off + sizeof(*ip6h) > len)
			return SLOT_MALFORMED;
		return l4_slot(ip6h->nexthdr, IPPROTO_ICMPV6, SLOT_IPV6_TCP);
	}
	return SLOT_NON_IP;
}

__attribute__((section("rte"), used)) __u64 rte_count_protocols(struct rte_mbuf_view *mb)
{
	__u32 len = mb->data_len;
	struct proto_counter *counter = &proto_stats[classify(mbuf_data(mb), len)];

	counter->packets++;
	counter->bytes += len;
	return XDP_PASS;
}
