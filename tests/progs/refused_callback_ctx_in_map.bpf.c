// SPDX-License-Identifier: GPL-2.0
// bpf_loop's context must be on the stack (or NULL): a map value is refused.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} total SEC(".maps");

static long add(__u32 index, __u64 *sum)
{
	*sum += index;
	return 0;
}

SEC("xdp")
int loop_ctx_in_map(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *sum = bpf_map_lookup_elem(&total, &zero);

	if (!sum)
		return XDP_ABORTED;
	bpf_loop(4, add, sum, 0);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
