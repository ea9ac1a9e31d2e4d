// SPDX-License-Identifier: GPL-2.0
// A CO-RE read whose target BTF (core_ambiguous_btf.c) has two flavors of
// the struct, laid out differently: libbpf refuses to guess.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct route {
	__u32 dst;
	__u64 next_hop;
} __attribute__((preserve_access_index));

struct kernel_memory {
	__u8 bytes[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kernel_memory);
} routes SEC(".maps");

SEC("xdp")
int read_route(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct route *r = bpf_map_lookup_elem(&routes, &zero);

	if (!r)
		return XDP_ABORTED;
	return r->next_hop ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
