// SPDX-License-Identifier: GPL-2.0
// An L4 load balancer in the style of Katran, simplified: IPv4 TCP/UDP
// packets to a virtual IP (VIP) are sent to one of the VIP's backends
// ("reals"), chosen by consistent hashing of the flow and remembered in an LRU
// connection table, and forwarded IP-in-IP encapsulated back out of the
// receiving port towards the default gateway. Everything that is not VIP
// traffic goes to the kernel stack.
//
// Control plane contract (what userspace fills in):
//   vip_map    {vip address, port, protocol} -> {flags, vip number}; port 0
//              with VIP_FLAG_ALL_PORTS matches every port of the address
//   ch_rings   vip_number * RING_SIZE + slot -> index into reals
//   reals      index -> backend address (index 0 is "no backend")
//   lb_config  [0] gateway MAC and the tunnel source network
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_VIPS 64
#define MAX_REALS 4096
#define RING_SIZE 1021 /* prime, so every backend weight spreads evenly */
#define MAX_CONNS 65536
#define HASH_SEED 0x5eed1b00
#define DEFAULT_TTL 64

#define VIP_FLAG_ALL_PORTS (1u << 0)   /* listens on every port of the address */
#define VIP_FLAG_NO_SRC_PORT (1u << 1) /* hash ignores the source port (e.g. QUIC) */
#define VIP_FLAG_NO_LRU (1u << 2)      /* never remember flows of this VIP */

struct vip_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct vip_meta {
	__u32 flags;
	__u32 vip_num;
};

struct real_def {
	__be32 addr;
	__u32 flags;
};

struct flow_key {
	__be32 src;
	__be32 dst;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct conn_value {
	__u32 real_index;
	__u32 packets; /* how many packets followed this entry */
};

struct lb_config {
	unsigned char gw_mac[ETH_ALEN];
	__u16 pad;
	__be32 tunnel_src_net; /* the upper 16 bits are used */
};

struct lb_counter {
	__u64 packets;
	__u64 bytes;
};

/* Per-VIP counters live in slots [0, MAX_VIPS); these follow them. */
enum lb_stat_slot {
	STAT_LRU_MISS = MAX_VIPS,
	STAT_NO_BACKEND,
	STAT_ENCAP_FAIL,
	STAT_SLOTS,
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_VIPS);
	__type(key, struct vip_key);
	__type(value, struct vip_meta);
} vip_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_VIPS * RING_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} ch_rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_REALS);
	__type(key, __u32);
	__type(value, struct real_def);
} reals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_CONNS);
	__type(key, struct flow_key);
	__type(value, struct conn_value);
} conn_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_config);
} lb_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_SLOTS);
	__type(key, __u32);
	__type(value, struct lb_counter);
} lb_stats SEC(".maps");

/* Bob Jenkins' lookup3 final mix, as the kernel's jhash_3words uses it. */
#define JHASH_INITVAL 0xdeadbeef

static __always_inline __u32 rol32(__u32 word, unsigned int shift)
{
	return (word << shift) | (word >> ((-shift) & 31));
}

static __always_inline __u32 jhash_3words(__u32 a, __u32 b, __u32 c, __u32 initval)
{
	initval += JHASH_INITVAL + (3 << 2);
	a += initval;
	b += initval;
	c += initval;
	c ^= b; c -= rol32(b, 14);
	a ^= c; a -= rol32(c, 11);
	b ^= a; b -= rol32(a, 25);
	c ^= b; c -= rol32(b, 16);
	a ^= c; a -= rol32(c, 4);
	b ^= a; b -= rol32(a, 14);
	c ^= b; c -= rol32(b, 24);
	return c;
}

static __always_inline void count(__u32 slot, __u64 bytes)
{
	struct lb_counter *counter = bpf_map_lookup_elem(&lb_stats, &slot);

	if (counter) {
		counter->packets++;
		counter->bytes += bytes;
	}
}

static __always_inline __u32 flow_hash(const struct flow_key *flow, __u32 vip_flags)
{
	__u32 sport = (vip_flags & VIP_FLAG_NO_SRC_PORT) ? 0 : bpf_ntohs(flow->sport);
	__u32 ports = (sport << 16) | bpf_ntohs(flow->dport);

	return jhash_3words(bpf_ntohl(flow->src), bpf_ntohl(flow->dst), ports ^ flow->proto, HASH_SEED);
}

/* Returns the backend for the flow, or NULL when the VIP has none. */
static __always_inline struct real_def *pick_real(const struct flow_key *flow, const struct vip_meta *vip,
						  int is_syn)
{
	struct conn_value *conn = NULL;
	struct conn_value fresh = {};
	__u32 ring_pos, *real_index;
	struct real_def *real;

	/* A SYN starts a new connection: rehash even if an old entry exists. */
	if (!is_syn && !(vip->flags & VIP_FLAG_NO_LRU)) {
		conn = bpf_map_lookup_elem(&conn_table, flow);
		if (conn) {
			real = bpf_map_lookup_elem(&reals, &conn->real_index);
			if (real && real->addr) {
				conn->packets++;
				return real;
			}
		}
		count(STAT_LRU_MISS, 0);
	}

	if (vip->vip_num >= MAX_VIPS)
		return NULL;
	ring_pos = vip->vip_num * RING_SIZE + flow_hash(flow, vip->flags) % RING_SIZE;
	real_index = bpf_map_lookup_elem(&ch_rings, &ring_pos);
	if (!real_index)
		return NULL;
	real = bpf_map_lookup_elem(&reals, real_index);
	if (!real || !real->addr)
		return NULL;

	if (!(vip->flags & VIP_FLAG_NO_LRU)) {
		fresh.real_index = *real_index;
		fresh.packets = 1;
		bpf_map_update_elem(&conn_table, flow, &fresh, BPF_ANY);
	}
	return real;
}

static __always_inline __u16 fold_csum(__u32 csum)
{
	csum = (csum & 0xffff) + (csum >> 16);
	csum = (csum & 0xffff) + (csum >> 16);
	return (__u16)~csum;
}

/*
 * Prepends an outer IPv4 header (protocol IPIP) addressed to the backend and
 * rewrites the Ethernet header towards the gateway.
 */
static __always_inline int encap_ipip(struct xdp_md *ctx, const struct real_def *real,
				      const struct lb_config *cfg, __be32 client_src)
{
	void *data, *data_end;
	struct ethhdr *old_eth, *eth;
	struct iphdr *inner, *outer;
	unsigned char our_mac[ETH_ALEN];
	__u16 inner_len;
	__u8 tos;
	__u32 csum;

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	old_eth = data;
	inner = (void *)(old_eth + 1);
	if ((void *)(inner + 1) > data_end)
		return -1;
	__builtin_memcpy(our_mac, old_eth->h_dest, ETH_ALEN);
	inner_len = bpf_ntohs(inner->tot_len);
	tos = inner->tos;

	if (bpf_xdp_adjust_head(ctx, 0 - (int)sizeof(struct iphdr)))
		return -1;

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	outer = (void *)(eth + 1);
	if ((void *)(outer + 1) > data_end)
		return -1;

	__builtin_memcpy(eth->h_dest, cfg->gw_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, our_mac, ETH_ALEN);
	eth->h_proto = bpf_htons(ETH_P_IP);

	outer->version = 4;
	outer->ihl = sizeof(struct iphdr) / 4;
	outer->tos = tos;
	outer->tot_len = bpf_htons(inner_len + sizeof(struct iphdr));
	outer->id = 0;
	outer->frag_off = bpf_htons(0x4000); /* don't fragment */
	outer->ttl = DEFAULT_TTL;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	/* Backends spread flows by the outer source: keep the client's low bits. */
	outer->saddr = (cfg->tunnel_src_net & bpf_htonl(0xffff0000)) | (client_src & bpf_htonl(0x0000ffff));
	outer->daddr = real->addr;

	csum = bpf_csum_diff(0, 0, (__be32 *)outer, sizeof(*outer), 0);
	outer->check = fold_csum(csum);
	return 0;
}

SEC("xdp")
int xdp_load_balancer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 bytes = data_end - data;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	struct flow_key flow = {};
	struct vip_key vkey = {};
	struct vip_meta *vip;
	struct real_def *real;
	struct lb_config *cfg;
	__u32 zero = 0;
	int is_syn = 0;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return XDP_DROP;
	/* Options and fragments are rare on VIP traffic; let the stack have them. */
	if (iph->ihl != 5 || (iph->frag_off & bpf_htons(0x3fff)))
		return XDP_PASS;

	flow.src = iph->saddr;
	flow.dst = iph->daddr;
	flow.proto = iph->protocol;
	if (iph->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)(iph + 1);

		if ((void *)(tcp + 1) > data_end)
			return XDP_DROP;
		flow.sport = tcp->source;
		flow.dport = tcp->dest;
		is_syn = tcp->syn && !tcp->ack;
	} else if (iph->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(iph + 1);

		if ((void *)(udp + 1) > data_end)
			return XDP_DROP;
		flow.sport = udp->source;
		flow.dport = udp->dest;
	} else {
		return XDP_PASS;
	}

	vkey.addr = flow.dst;
	vkey.port = flow.dport;
	vkey.proto = flow.proto;
	vip = bpf_map_lookup_elem(&vip_map, &vkey);
	if (!vip) {
		vkey.port = 0;
		vip = bpf_map_lookup_elem(&vip_map, &vkey);
		if (!vip || !(vip->flags & VIP_FLAG_ALL_PORTS))
			return XDP_PASS;
	}
	if (vip->vip_num < MAX_VIPS)
		count(vip->vip_num, bytes);

	cfg = bpf_map_lookup_elem(&lb_config, &zero);
	if (!cfg)
		return XDP_ABORTED;

	real = pick_real(&flow, vip, is_syn);
	if (!real) {
		count(STAT_NO_BACKEND, bytes);
		return XDP_DROP;
	}
	if (encap_ipip(ctx, real, cfg, flow.src)) {
		count(STAT_ENCAP_FAIL, bytes);
		return XDP_DROP;
	}
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
