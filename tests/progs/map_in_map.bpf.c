// SPDX-License-Identifier: GPL-2.0
/* Maps of maps as libbpf declares them: inner map definitions given by
 * __array(values, ...), and outer maps filled at load with other maps of the
 * object (`.values = { [i] = &map }`). The program picks an outer slot from
 * the frame, then counts in the inner map it finds there. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct counters {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
};

struct counters count_a SEC(".maps");
struct counters count_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 4);
	__array(values, struct counters);
} by_source SEC(".maps") = {
	.values = { [0] = &count_a, [2] = &count_b },
};

struct lengths {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 64);
};

struct lengths lengths_even SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 8);
	__array(values, struct lengths);
} by_dest SEC(".maps") = {
	.values = { [0] = &lengths_even },
};

SEC("xdp")
int count_in_inner(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	__u32 slot = eth->h_source[5] & 3;
	void *counts = bpf_map_lookup_elem(&by_source, &slot);
	if (!counts)
		return XDP_DROP;
	__u32 which = eth->h_source[4] & 3;
	__u64 *n = bpf_map_lookup_elem(counts, &which);
	if (n)
		__sync_fetch_and_add(n, 1);

	__u32 dest = eth->h_dest[5] & 7;
	void *lengths = bpf_map_lookup_elem(&by_dest, &dest);
	if (!lengths)
		return XDP_PASS;
	__u32 len = (__u32)(data_end - data);
	__u64 *seen = bpf_map_lookup_elem(lengths, &len);
	if (seen) {
		*seen += 1;
	} else {
		__u64 one = 1;
		bpf_map_update_elem(lengths, &len, &one, BPF_NOEXIST);
	}
	if (dest == 1)
		bpf_map_delete_elem(lengths, &len);
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
