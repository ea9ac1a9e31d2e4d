// SPDX-License-Identifier: GPL-2.0
/* A load balancer laid out like Katran's balancer_ingress: a `vip_map` of
 * services, per-CPU LRU connection tables reached through an array of maps
 * indexed by the CPU id (`lru_mapping`, filled by the loader's userspace),
 * a shared `fallback_cache` for CPUs without a table, a consistent-hash
 * ring per service (`ch_rings`) naming backends in `reals`, per-CPU `stats`,
 * and IP-in-IP (or IPv6-in-IPv6) encapsulation towards the chosen backend
 * with bpf_xdp_adjust_head, sent back out with XDP_TX. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define MAX_VIPS 16
#define RING_SIZE 64
#define MAX_REALS 64
#define MAX_CPUS 128
#define LRU_SIZE 1000

#define F_IPV6 (1 << 0)

struct flow_key {
	union {
		__be32 src;
		__be32 srcv6[4];
	};
	union {
		__be32 dst;
		__be32 dstv6[4];
	};
	union {
		__u32 ports;
		__u16 port16[2];
	};
	__u8 proto;
};

struct vip_definition {
	union {
		__be32 vip;
		__be32 vipv6[4];
	};
	__u16 port;
	__u8 proto;
};

struct vip_meta {
	__u32 flags;
	__u32 vip_num;
};

struct real_pos_lru {
	__u32 pos;
	__u32 hits;
};

struct real_definition {
	union {
		__be32 dst;
		__be32 dstv6[4];
	};
	__u8 flags;
};

struct lb_stats {
	__u64 v1;
	__u64 v2;
};

struct ctl_value {
	__u8 mac[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct vip_definition);
	__type(value, struct vip_meta);
	__uint(max_entries, MAX_VIPS);
} vip_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct flow_key);
	__type(value, struct real_pos_lru);
	__uint(max_entries, LRU_SIZE);
} fallback_cache SEC(".maps");

/* The shape every per-CPU table inserted into lru_mapping must have. Sizes,
 * not __type: clang's BTF leaves types reached only through an inner
 * definition as forward declarations, whose size no loader can know (libbpf
 * refuses them as xdpdk does). */
struct lru_inner {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(key_size, sizeof(struct flow_key));
	__uint(value_size, sizeof(struct real_pos_lru));
	__uint(max_entries, LRU_SIZE);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, MAX_CPUS);
	__array(values, struct lru_inner);
} lru_mapping SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, MAX_VIPS * RING_SIZE);
} ch_rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct real_definition);
	__uint(max_entries, MAX_REALS);
} reals SEC(".maps");

/* Per VIP: packets and bytes; at MAX_VIPS: lookups that fell back to
 * fallback_cache (v1) and new flows (v2). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct lb_stats);
	__uint(max_entries, MAX_VIPS + 1);
} stats SEC(".maps");

/* Index 0: the MAC of the next hop towards the backends. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct ctl_value);
	__uint(max_entries, 1);
} ctl_array SEC(".maps");

struct packet_description {
	struct flow_key flow;
	__u16 l3_len;  /* the inner IP packet's length */
	__u8 tos;
	__u8 is_ipv6;
};

static __always_inline __u32 rol32(__u32 word, unsigned int shift)
{
	return (word << shift) | (word >> ((-shift) & 31));
}

/* A mixing hash over the flow's source and ports (the destination is the
 * VIP, the same for the whole ring). */
static __always_inline __u32 flow_hash(const struct flow_key *flow)
{
	__u32 h = 0x9e3779b9;

	for (int i = 0; i < 4; i++) {
		h ^= flow->srcv6[i];
		h = rol32(h, 13) * 5 + 0xe6546b64;
	}
	h ^= flow->ports;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	return h;
}

static __always_inline int parse_l4(void *l4, void *data_end, __u8 proto, struct packet_description *pckt)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;

		if ((void *)(tcp + 1) > data_end)
			return -1;
		pckt->flow.port16[0] = tcp->source;
		pckt->flow.port16[1] = tcp->dest;
		return 0;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *udp = l4;

		if ((void *)(udp + 1) > data_end)
			return -1;
		pckt->flow.port16[0] = udp->source;
		pckt->flow.port16[1] = udp->dest;
		return 0;
	}
	return -1;
}

static __always_inline __u16 csum_fold_ipv4(struct iphdr *iph)
{
	__u16 *words = (__u16 *)iph;
	__u32 sum = 0;

	iph->check = 0;
	for (int i = 0; i < (int)(sizeof(*iph) >> 1); i++)
		sum += words[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static __always_inline int encap_v4(struct xdp_md *ctx, const struct real_definition *dst,
				    const struct packet_description *pckt, const __u8 *next_hop)
{
	if (bpf_xdp_adjust_head(ctx, 0 - (int)sizeof(struct iphdr)))
		return XDP_DROP;
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *new_eth = data;
	struct ethhdr *old_eth = data + sizeof(struct iphdr);
	struct iphdr *iph = data + sizeof(struct ethhdr);

	if ((void *)(iph + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(new_eth->h_source, old_eth->h_dest, ETH_ALEN);
	__builtin_memcpy(new_eth->h_dest, next_hop, ETH_ALEN);
	new_eth->h_proto = bpf_htons(ETH_P_IP);
	iph->version = 4;
	iph->ihl = 5;
	iph->tos = pckt->tos;
	iph->tot_len = bpf_htons(pckt->l3_len + sizeof(struct iphdr));
	iph->id = 0;
	iph->frag_off = 0;
	iph->ttl = 64;
	iph->protocol = IPPROTO_IPIP;
	/* The source is made from the client's address, as Katran does, so
	 * that the backends' RSS spreads encapsulated flows. */
	iph->saddr = bpf_htonl(0xac100000 | (bpf_ntohl(pckt->flow.src) & 0xffff));
	iph->daddr = dst->dst;
	iph->check = csum_fold_ipv4(iph);
	return XDP_TX;
}

static __always_inline int encap_v6(struct xdp_md *ctx, const struct real_definition *dst,
				    const struct packet_description *pckt, const __u8 *next_hop)
{
	if (bpf_xdp_adjust_head(ctx, 0 - (int)sizeof(struct ipv6hdr)))
		return XDP_DROP;
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *new_eth = data;
	struct ethhdr *old_eth = data + sizeof(struct ipv6hdr);
	struct ipv6hdr *ip6h = data + sizeof(struct ethhdr);

	if ((void *)(ip6h + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(new_eth->h_source, old_eth->h_dest, ETH_ALEN);
	__builtin_memcpy(new_eth->h_dest, next_hop, ETH_ALEN);
	new_eth->h_proto = bpf_htons(ETH_P_IPV6);
	ip6h->version = 6;
	ip6h->priority = 0;
	ip6h->flow_lbl[0] = 0;
	ip6h->flow_lbl[1] = 0;
	ip6h->flow_lbl[2] = 0;
	ip6h->payload_len = bpf_htons(pckt->l3_len);
	ip6h->nexthdr = IPPROTO_IPV6;
	ip6h->hop_limit = 64;
	__builtin_memcpy(ip6h->saddr.in6_u.u6_addr32, pckt->flow.srcv6, 16);
	ip6h->saddr.in6_u.u6_addr32[0] = bpf_htonl(0x0100dead);
	__builtin_memcpy(ip6h->daddr.in6_u.u6_addr32, dst->dstv6, 16);
	return XDP_TX;
}

static __always_inline void count(__u32 index, __u64 v1, __u64 v2)
{
	struct lb_stats *s = bpf_map_lookup_elem(&stats, &index);

	if (s) {
		s->v1 += v1;
		s->v2 += v2;
	}
}

SEC("xdp")
int balancer_ingress(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct packet_description pckt = {};
	struct vip_definition vip = {};
	void *l4;
	__u8 proto;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > data_end)
			return XDP_DROP;
		if (iph->ihl != 5)
			return XDP_PASS;  /* options: the host stack handles them */
		if (iph->frag_off & bpf_htons(0x3fff))
			return XDP_DROP;  /* fragments carry no ports */
		proto = iph->protocol;
		pckt.flow.src = iph->saddr;
		pckt.flow.dst = iph->daddr;
		pckt.l3_len = bpf_ntohs(iph->tot_len);
		pckt.tos = iph->tos;
		vip.vip = iph->daddr;
		l4 = iph + 1;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if ((void *)(ip6h + 1) > data_end)
			return XDP_DROP;
		proto = ip6h->nexthdr;
		__builtin_memcpy(pckt.flow.srcv6, ip6h->saddr.in6_u.u6_addr32, 16);
		__builtin_memcpy(pckt.flow.dstv6, ip6h->daddr.in6_u.u6_addr32, 16);
		pckt.l3_len = bpf_ntohs(ip6h->payload_len) + sizeof(struct ipv6hdr);
		pckt.is_ipv6 = 1;
		__builtin_memcpy(vip.vipv6, ip6h->daddr.in6_u.u6_addr32, 16);
		l4 = ip6h + 1;
	} else {
		return XDP_PASS;
	}
	pckt.flow.proto = proto;
	if (parse_l4(l4, data_end, proto, &pckt))
		return XDP_PASS;

	vip.port = pckt.flow.port16[1];
	vip.proto = proto;
	struct vip_meta *vip_info = bpf_map_lookup_elem(&vip_map, &vip);
	if (!vip_info)
		return XDP_PASS;
	__u32 vip_num = vip_info->vip_num;
	if (vip_num >= MAX_VIPS)
		return XDP_DROP;
	count(vip_num, 1, (__u64)(data_end - data));

	/* The calling CPU's connection table; a CPU without one shares the
	 * fallback table. */
	__u32 cpu_num = bpf_get_smp_processor_id();
	void *lru_map = bpf_map_lookup_elem(&lru_mapping, &cpu_num);
	if (!lru_map) {
		lru_map = &fallback_cache;
		count(MAX_VIPS, 1, 0);
	}

	__u32 real_pos;
	struct real_pos_lru *cached = bpf_map_lookup_elem(lru_map, &pckt.flow);
	if (cached) {
		real_pos = cached->pos;
		cached->hits++;
	} else {
		__u32 ring_key = vip_num * RING_SIZE + flow_hash(&pckt.flow) % RING_SIZE;
		__u32 *pos = bpf_map_lookup_elem(&ch_rings, &ring_key);

		if (!pos)
			return XDP_DROP;
		real_pos = *pos;
		struct real_pos_lru fresh = {.pos = real_pos, .hits = 1};
		bpf_map_update_elem(lru_map, &pckt.flow, &fresh, BPF_ANY);
		count(MAX_VIPS, 0, 1);
	}

	struct real_definition *dst = bpf_map_lookup_elem(&reals, &real_pos);
	if (!dst)
		return XDP_DROP;
	__u32 zero = 0;
	struct ctl_value *next_hop = bpf_map_lookup_elem(&ctl_array, &zero);
	if (!next_hop)
		return XDP_DROP;
	if (dst->flags & F_IPV6) {
		if (!pckt.is_ipv6)
			return XDP_DROP;  /* this layout encapsulates like in like */
		return encap_v6(ctx, dst, &pckt, next_hop->mac);
	}
	if (pckt.is_ipv6)
		return XDP_DROP;
	return encap_v4(ctx, dst, &pckt, next_hop->mac);
}

char _license[] SEC("license") = "GPL";
