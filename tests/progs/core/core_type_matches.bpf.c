// SPDX-License-Identifier: GPL-2.0
// bpf_core_type_matches (clang 15 or later) against core_kinds_btf.c: a
// struct whose every member the target has with the same type matches, one
// member of another size or an enumerator the target lacks does not.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct queue_stats {
	__u32 rx;
	__u64 bytes;
	__s16 delta;
	__u16 depth;
} __attribute__((preserve_access_index));

struct queue_stats___old {
	__u32 rx;
	__u32 drops;
} __attribute__((preserve_access_index));

struct only_target {
	__u64 a;
} __attribute__((preserve_access_index));

enum link_state {
	LINK_DOWN = 0,
	LINK_UP = 1,
	LINK_DORMANT = 2,
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} out SEC(".maps");

static __always_inline void put(__u32 slot, __u64 value)
{
	__u64 *p = bpf_map_lookup_elem(&out, &slot);

	if (p)
		*p = value;
}

SEC("xdp")
int type_matches(struct xdp_md *ctx)
{
	put(0, bpf_core_type_matches(struct queue_stats));
	put(1, bpf_core_type_matches(struct queue_stats___old));
	put(2, bpf_core_type_matches(struct only_target));
	put(3, bpf_core_type_matches(enum link_state));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
