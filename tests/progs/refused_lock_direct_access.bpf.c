// SPDX-License-Identifier: GPL-2.0
// The lock word read directly instead of through the helpers.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct guarded {
	struct bpf_spin_lock lock;
	__u32 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct guarded);
} guarded SEC(".maps");

SEC("xdp")
int lock_direct_access(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct guarded *g = bpf_map_lookup_elem(&guarded, &zero);

	if (!g)
		return XDP_PASS;
	return *(volatile __u32 *)&g->lock ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
