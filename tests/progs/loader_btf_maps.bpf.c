// SPDX-License-Identifier: GPL-2.0
// BTF-defined maps of several types, sized both by __type and by __uint, and
// a prog array whose slots are filled statically (relocations in .rel.maps).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct flow_key {
	__u32 addr;
	__u16 port;
	__u8 proto;
};

struct lpm_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct counters {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct flow_key);
	__type(value, __u64);
	__uint(max_entries, 1024);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 12);
	__uint(max_entries, 16);
} sized_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct counters);
	__uint(max_entries, 4);
} percpu_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u64);
	__type(value, __u32);
	__uint(max_entries, 128);
} recent SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_v4_key);
	__type(value, __u32);
	__uint(max_entries, 32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 8);
} percpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 8);
} ports SEC(".maps");

int xdp_jump_one(struct xdp_md *ctx);
int xdp_jump_three(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(max_entries, 4);
	__array(values, int(struct xdp_md *));
} jumps SEC(".maps") = {
	.values = {
		[1] = (void *)&xdp_jump_one,
		[3] = (void *)&xdp_jump_three,
	},
};

volatile __u32 input;

SEC("xdp")
int xdp_btf_maps(struct xdp_md *ctx)
{
	struct flow_key fk = { .addr = 0x0a000001, .port = 80, .proto = 6 };
	__u64 one = 1;
	bpf_map_update_elem(&flows, &fk, &one, BPF_ANY);

	__u32 idx = 0;
	struct counters *c = bpf_map_lookup_elem(&percpu_stats, &idx);
	if (c)
		c->packets++;

	bpf_tail_call(ctx, &jumps, input);
	return 7;
}

SEC("xdp")
int xdp_jump_one(struct xdp_md *ctx)
{
	return 41;
}

SEC("xdp")
int xdp_jump_three(struct xdp_md *ctx)
{
	return 43;
}

char LICENSE[] SEC("license") = "GPL";
