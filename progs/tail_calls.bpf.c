// SPDX-License-Identifier: GPL-2.0
// A packet pipeline split into stages chained with bpf_tail_call: the entry
// parses Ethernet, an L3 stage per address family parses IP, and the L4 stage
// applies the policy. Stages hand their parse results to the next through a
// per-CPU scratch slot. The jump table is filled at load time by libbpf's
// static initialization of the prog array.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum stage { STAGE_IPV4 = 0, STAGE_IPV6, STAGE_L4, STAGE_COUNT };

/* Where the entry program's counter goes: after the stages. */
#define ENTRY_SLOT STAGE_COUNT
#define TAIL_CALL_FAILED_SLOT (STAGE_COUNT + 1)
#define HIT_SLOTS (STAGE_COUNT + 2)

/* Headers past this offset are not parsed (keeps offsets verifiable). */
#define MAX_L4_OFFSET 128

struct parse_state {
	__u16 l3_offset;
	__u16 l4_offset;
	__u8 l4_proto;
	__u8 pad[3];
};

int stage_ipv4(struct xdp_md *ctx);
int stage_ipv6(struct xdp_md *ctx);
int stage_l4(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, STAGE_COUNT);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct xdp_md *));
} jmp_table SEC(".maps") = {
	.values = {
		[STAGE_IPV4] = (void *)&stage_ipv4,
		[STAGE_IPV6] = (void *)&stage_ipv6,
		[STAGE_L4] = (void *)&stage_l4,
	},
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct parse_state);
} scratch SEC(".maps");

/* How many packets reached each stage. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HIT_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} stage_hits SEC(".maps");

static __always_inline void hit(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&stage_hits, &slot);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline struct parse_state *state(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scratch, &zero);
}

/* Only returns when the tail call fails (empty slot or too many calls). */
static __always_inline int next_stage(struct xdp_md *ctx, __u32 stage)
{
	bpf_tail_call(ctx, &jmp_table, stage);
	hit(TAIL_CALL_FAILED_SLOT);
	return XDP_PASS;
}

SEC("xdp")
int xdp_pipeline_entry(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct parse_state *st = state();

	hit(ENTRY_SLOT);
	if (!st)
		return XDP_ABORTED;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	st->l3_offset = sizeof(*eth);
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return next_stage(ctx, STAGE_IPV4);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return next_stage(ctx, STAGE_IPV6);
	return XDP_PASS;
}

SEC("xdp")
int stage_ipv4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct parse_state *st = state();
	struct iphdr *iph;
	__u32 off;

	hit(STAGE_IPV4);
	if (!st)
		return XDP_ABORTED;
	off = st->l3_offset;
	if (off > MAX_L4_OFFSET)
		return XDP_PASS;
	iph = data + off;
	if ((void *)(iph + 1) > data_end || iph->ihl < 5)
		return XDP_DROP;
	/* Time-expired packets are the stack's business (ICMP errors). */
	if (iph->ttl <= 1)
		return XDP_PASS;
	st->l4_offset = off + iph->ihl * 4;
	st->l4_proto = iph->protocol;
	return next_stage(ctx, STAGE_L4);
}

SEC("xdp")
int stage_ipv6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct parse_state *st = state();
	struct ipv6hdr *ip6h;
	__u32 off;

	hit(STAGE_IPV6);
	if (!st)
		return XDP_ABORTED;
	off = st->l3_offset;
	if (off > MAX_L4_OFFSET)
		return XDP_PASS;
	ip6h = data + off;
	if ((void *)(ip6h + 1) > data_end)
		return XDP_DROP;
	if (ip6h->hop_limit <= 1)
		return XDP_PASS;
	st->l4_offset = off + sizeof(*ip6h);
	st->l4_proto = ip6h->nexthdr;
	return next_stage(ctx, STAGE_L4);
}

/* Policy: drop TCP with SYN+FIN or no flags (scans) and UDP to port 0. */
SEC("xdp")
int stage_l4(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct parse_state *st = state();
	__u32 off;

	hit(STAGE_L4);
	if (!st)
		return XDP_ABORTED;
	off = st->l4_offset;
	if (off > MAX_L4_OFFSET)
		return XDP_PASS;
	if (st->l4_proto == IPPROTO_TCP) {
		struct tcphdr *tcp = data + off;

		if ((void *)(tcp + 1) > data_end)
			return XDP_DROP;
		if (tcp->syn && tcp->fin)
			return XDP_DROP;
		if (!(tcp->syn | tcp->ack | tcp->fin | tcp->rst | tcp->psh | tcp->urg))
			return XDP_DROP;
	} else if (st->l4_proto == IPPROTO_UDP) {
		struct udphdr *udp = data + off;

		if ((void *)(udp + 1) > data_end)
			return XDP_DROP;
		if (udp->dest == 0)
			return XDP_DROP;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
