// SPDX-License-Identifier: GPL-2.0
// Maps declared the pre-BTF way: struct bpf_map_def in the "maps" section
// (libbpf 1.0 dropped these; older loaders and iproute2 still write them).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_array = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 4,
};

struct bpf_map_def SEC("maps") legacy_hash = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u64),
	.value_size = 16,
	.max_entries = 64,
};

struct pair {
	__u64 first;
	__u64 second;
};

SEC("xdp")
int xdp_legacy(struct xdp_md *ctx)
{
	__u32 slot = 2;
	__u64 *count = bpf_map_lookup_elem(&legacy_array, &slot);
	if (count)
		*count += 1;

	__u64 key = 7;
	struct pair value = { 11, 22 };
	bpf_map_update_elem(&legacy_hash, &key, &value, BPF_ANY);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
