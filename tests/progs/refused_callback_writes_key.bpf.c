// SPDX-License-Identifier: GPL-2.0
// A bpf_for_each_map_elem callback may read the element's key, never write it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

static long renumber(struct bpf_map *map, __u32 *key, __u64 *value, void *ctx)
{
	*key += 1;
	return 0;
}

SEC("xdp")
int each_writes_key(struct xdp_md *ctx)
{
	bpf_for_each_map_elem(&seen, renumber, NULL, 0);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
