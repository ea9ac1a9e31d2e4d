// SPDX-License-Identifier: GPL-2.0
// Linux refuses this: inside a global function a pointer argument may be
// NULL (its prototype says nothing else), and this one is used unchecked,
// though every caller passes a valid map value.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} gn_count SEC(".maps");

__noinline int gn_bump(__u64 *c)
{
	return ++*c & 1;
}

SEC("xdp")
int global_no_null_check(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&gn_count, &zero);

	if (!c)
		return XDP_ABORTED;
	return gn_bump(c) ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
