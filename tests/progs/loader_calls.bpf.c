// SPDX-License-Identifier: GPL-2.0
// Subprogram calls for the loader: a global function in .text reached through
// a symbol relocation, static functions reached through .text-section
// relocations, nested calls inside .text that clang leaves pc-relative
// without relocations, one subprogram shared by programs in two sections, and
// a call tree whose depth-first layout differs from a breadth-first one.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

volatile __u32 input;
__u32 middle_calls;

static __noinline __u32 leaf(__u32 x)
{
	return x * 3 + 1;
}

static __noinline __u32 middle(__u32 x)
{
	middle_calls++;
	return leaf(x) + leaf(x + 7);
}

__noinline __u32 global_helper(__u32 x)
{
	return middle(x) ^ 0x55;
}

SEC("xdp")
int xdp_calls(struct xdp_md *ctx)
{
	return global_helper(input) & 0xffff;
}

SEC("xdp")
int xdp_leaf(struct xdp_md *ctx)
{
	return leaf(input);
}

SEC("xdp/devmap")
int xdp_devmap_calls(struct xdp_md *ctx)
{
	return middle(input) + leaf(1);
}

static __noinline __u32 twice_leaf(__u32 x)
{
	return leaf(x) * 2;
}

static __noinline __u32 plus_one(__u32 x)
{
	return x + 1;
}

SEC("xdp")
int xdp_order(struct xdp_md *ctx)
{
	return twice_leaf(input) + plus_one(input);
}

char LICENSE[] SEC("license") = "GPL";
