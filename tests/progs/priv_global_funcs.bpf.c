// SPDX-License-Identifier: GPL-2.0
// Global (non-static) functions, which Linux verifies once each, from their
// BTF prototype, and checks only the arguments at each call: a context
// argument, scalar arguments, a pointer to a struct in a map value (which
// may be NULL inside the function), and a packet pointer passed as a pointer
// to a sized struct (the caller proved the bytes are in the packet), a
// pointer to a stack struct the caller filled only partly (the function
// may write all of it), and arguments typed by declaration tags (a void *
// context, arg:ctx, and a pointer that is never NULL, arg:nonnull). Plus a static function whose result no caller
// reads: clang leaves its r0 unset.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct counters {
	__u64 seen;
	__u64 ipv4;
	__u64 other;
	__u64 mixed;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} gf_counts SEC(".maps");

// ctx argument: the function reads the packet bounds itself.
__noinline int gf_eth_proto(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return -1;
	return bpf_ntohs(eth->h_proto);
}

// Scalars only.
__noinline int gf_mix(__u32 a, __u32 b)
{
	return (a * 2654435761u) ^ (b >> 3);
}

// A pointer to a struct: memory of its size, which may be NULL.
__noinline int gf_count(struct counters *c, int proto)
{
	if (!c)
		return 0;
	c->seen++;
	if (proto == ETH_P_IP)
		c->ipv4++;
	else
		c->other++;
	return 1;
}

// A packet pointer as a pointer to a sized struct: the caller proved 14 bytes.
__noinline int gf_first_byte(struct ethhdr *eth)
{
	if (!eth)
		return 0;
	return eth->h_dest[0];
}

struct summary {
	__u32 proto;
	__u32 first;
	__u64 hash;  // left for gf_summarise to fill
};

// A pointer to the caller's stack: memory of the struct's size.
__noinline int gf_summarise(struct summary *s)
{
	if (!s)
		return 0;
	s->hash = s->proto * 31 + s->first;
	return s->hash & 0x7f;
}

#define __arg_ctx __attribute__((btf_decl_tag("arg:ctx")))
#define __arg_nonnull __attribute__((btf_decl_tag("arg:nonnull")))

// Tagged arguments: the context as void *, and a pointer used unchecked.
__noinline int gf_tagged(void *ctx __arg_ctx, struct counters *c __arg_nonnull)
{
	c->other += ((struct xdp_md *)ctx)->ingress_ifindex;
	return 0;
}

// Static, its result ignored by every caller: clang drops the return value.
static __noinline int bump_mixed(struct counters *c, __u32 v)
{
	if (c)
		c->mixed += v & 0xff;
	return 0;
}

SEC("xdp")
int global_funcs(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct counters *c = bpf_map_lookup_elem(&gf_counts, &zero);
	int proto = gf_eth_proto(ctx);

	gf_count(c, proto);
	if (proto < 0)
		return XDP_DROP;
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	if (data + sizeof(struct ethhdr) > data_end)
		return XDP_DROP;
	int first = gf_first_byte(data);
	bump_mixed(c, gf_mix(first, proto));
	struct summary s;
	s.proto = proto;
	s.first = first;
	int h = gf_summarise(&s);
	if (c) {
		c->mixed += s.hash + h;
		gf_tagged(ctx, c);
	}
	return (first & 1) ? XDP_TX : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
