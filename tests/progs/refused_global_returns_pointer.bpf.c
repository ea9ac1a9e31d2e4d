// SPDX-License-Identifier: GPL-2.0
// Linux refuses this: a global function must return an integer ("Global
// function gr_find() doesn't return scalar. Only those are supported.").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} gr_vals SEC(".maps");

__noinline __u64 *gr_find(__u32 key)
{
	return bpf_map_lookup_elem(&gr_vals, &key);
}

SEC("xdp")
int global_returns_pointer(struct xdp_md *ctx)
{
	__u64 *v = gr_find(ctx->rx_queue_index & 3);

	return v && *v ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
