// SPDX-License-Identifier: GPL-2.0
/* An IPv4/IPv6 router in XDP, the way the kernel's samples/bpf/xdp_fwd and
 * the XDP tutorial's packet03 router are written: parse the headers, ask
 * bpf_fib_lookup for the next hop, and on success decrement the TTL (hop
 * limit), rewrite the MAC addresses and redirect out of the egress device.
 * Dropped on blackhole/unreachable/prohibit routes, passed to the stack
 * otherwise. Every lookup's return code and the whole struct bpf_fib_lookup
 * it left are kept in `last_lookup`, so a test can compare them.
 *
 * xdp_check_mtu asks bpf_check_mtu about the frame with the arguments in
 * `mtu_args` and keeps the answer in `last_mtu`. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define AF_INET 2
#define AF_INET6 10
#define IPV6_FLOWINFO_MASK bpf_htonl(0x0FFFFFFF)

struct lookup_record {
	__s64 rc;
	struct bpf_fib_lookup params;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} lookup_flags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct lookup_record);
	__uint(max_entries, 1);
} last_lookup SEC(".maps");

struct mtu_query {
	__u32 ifindex;
	__u32 mtu_len;
	__s32 len_diff;
	__u32 flags;
};

struct mtu_answer {
	__s64 rc;
	__u32 mtu_len;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct mtu_query);
	__uint(max_entries, 1);
} mtu_args SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct mtu_answer);
	__uint(max_entries, 1);
} last_mtu SEC(".maps");

/* RFC 1624 incremental update for the TTL byte, as ip_decrease_ttl does. */
static __always_inline int ip_decrease_ttl(struct iphdr *iph)
{
	__u32 check = (__u32)iph->check;

	check += (__u32)bpf_htons(0x0100);
	iph->check = (__sum16)(check + (check >= 0xFFFF));
	return --iph->ttl;
}

static __always_inline void record(long rc, struct bpf_fib_lookup *params)
{
	__u32 key = 0;
	struct lookup_record *r = bpf_map_lookup_elem(&last_lookup, &key);

	if (r) {
		r->rc = rc;
		__builtin_memcpy(&r->params, params, sizeof(*params));
	}
}

SEC("xdp")
int xdp_router(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct bpf_fib_lookup fib_params;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6h;
	struct iphdr *iph;
	__u32 key = 0, *flagp;
	__u32 flags = 0;
	long rc;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	flagp = bpf_map_lookup_elem(&lookup_flags, &key);
	if (flagp)
		flags = *flagp;

	__builtin_memset(&fib_params, 0, sizeof(fib_params));
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		iph = (struct iphdr *)(eth + 1);
		if ((void *)(iph + 1) > data_end)
			return XDP_DROP;
		if (iph->ttl <= 1)
			return XDP_PASS;
		fib_params.family = AF_INET;
		fib_params.tos = iph->tos;
		fib_params.l4_protocol = iph->protocol;
		fib_params.tot_len = bpf_ntohs(iph->tot_len);
		fib_params.ipv4_src = iph->saddr;
		fib_params.ipv4_dst = iph->daddr;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		ip6h = (struct ipv6hdr *)(eth + 1);
		if ((void *)(ip6h + 1) > data_end)
			return XDP_DROP;
		if (ip6h->hop_limit <= 1)
			return XDP_PASS;
		fib_params.family = AF_INET6;
		fib_params.flowinfo = *(__be32 *)ip6h & IPV6_FLOWINFO_MASK;
		fib_params.l4_protocol = ip6h->nexthdr;
		fib_params.tot_len = bpf_ntohs(ip6h->payload_len);
		__builtin_memcpy(fib_params.ipv6_src, &ip6h->saddr, sizeof(ip6h->saddr));
		__builtin_memcpy(fib_params.ipv6_dst, &ip6h->daddr, sizeof(ip6h->daddr));
	} else {
		return XDP_PASS;
	}
	fib_params.ifindex = ctx->ingress_ifindex;
	/* BPF_FIB_LOOKUP_TBID (with DIRECT) looks in table 100. */
	if (flags & BPF_FIB_LOOKUP_TBID)
		fib_params.tbid = 100;

	rc = bpf_fib_lookup(ctx, &fib_params, sizeof(fib_params), flags);
	record(rc, &fib_params);

	switch (rc) {
	case BPF_FIB_LKUP_RET_SUCCESS:
		if (eth->h_proto == bpf_htons(ETH_P_IP)) {
			iph = (struct iphdr *)(eth + 1);
			if ((void *)(iph + 1) > data_end)
				return XDP_DROP;
			ip_decrease_ttl(iph);
		} else {
			ip6h = (struct ipv6hdr *)(eth + 1);
			if ((void *)(ip6h + 1) > data_end)
				return XDP_DROP;
			ip6h->hop_limit--;
		}
		__builtin_memcpy(eth->h_dest, fib_params.dmac, ETH_ALEN);
		__builtin_memcpy(eth->h_source, fib_params.smac, ETH_ALEN);
		return bpf_redirect(fib_params.ifindex, 0);
	case BPF_FIB_LKUP_RET_BLACKHOLE:
	case BPF_FIB_LKUP_RET_UNREACHABLE:
	case BPF_FIB_LKUP_RET_PROHIBIT:
		return XDP_DROP;
	default:
		/* not forwarded, forwarding disabled, no neighbour yet, MTU:
		 * the stack handles it (and resolves the neighbour) */
		return XDP_PASS;
	}
}

SEC("xdp")
int xdp_check_mtu(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct mtu_query *q = bpf_map_lookup_elem(&mtu_args, &key);
	struct mtu_answer *a = bpf_map_lookup_elem(&last_mtu, &key);
	__u32 mtu_len;
	long rc;

	if (!q || !a)
		return XDP_ABORTED;
	mtu_len = q->mtu_len;
	rc = bpf_check_mtu(ctx, q->ifindex, &mtu_len, q->len_diff, q->flags);
	a->rc = rc;
	a->mtu_len = mtu_len;
	return rc == BPF_MTU_CHK_RET_SUCCESS ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
