// SPDX-License-Identifier: GPL-2.0
// Linux refuses this: the global function's argument is tagged arg:nonnull,
// and the caller passes a map lookup result it never checked for NULL.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define __arg_nonnull __attribute__((btf_decl_tag("arg:nonnull")))

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} gnn_vals SEC(".maps");

__noinline int gnn_read(__u64 *v __arg_nonnull)
{
	return *v & 1;
}

SEC("xdp")
int global_nonnull(struct xdp_md *ctx)
{
	__u32 key = ctx->rx_queue_index;

	return gnn_read(bpf_map_lookup_elem(&gnn_vals, &key)) ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
