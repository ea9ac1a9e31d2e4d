// SPDX-License-Identifier: GPL-2.0
// Calls bpf_csum_diff with buffers, sizes and seed taken from a map and
// stores what it returned, so userspace can compare the helper across
// runtimes. Sizes up to CSUM_BUF - 3 each (so from + to can exceed 512
// bytes), buffers starting 0-3 bytes in (unaligned sums).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CSUM_BUF 304

struct csum_args {
	__u32 from_size;
	__u32 to_size;
	__u32 seed;
	__u8 from_offset;
	__u8 to_offset;
	__u8 pad[2];
	__u8 from[CSUM_BUF];
	__u8 to[CSUM_BUF];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct csum_args);
} csum_args SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s64);
} csum_result SEC(".maps");

SEC("xdp")
int csum_diff_probe(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct csum_args *a = bpf_map_lookup_elem(&csum_args, &zero);
	__s64 *result = bpf_map_lookup_elem(&csum_result, &zero);
	__u32 from_size, to_size;

	(void)ctx;
	if (!a || !result)
		return XDP_ABORTED;
	from_size = a->from_size;
	to_size = a->to_size;
	if (from_size > CSUM_BUF - 3 || to_size > CSUM_BUF - 3)
		return XDP_DROP;
	*result = bpf_csum_diff((__be32 *)(a->from + (a->from_offset & 3)), from_size,
				(__be32 *)(a->to + (a->to_offset & 3)), to_size, a->seed);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
