// SPDX-License-Identifier: GPL-2.0
// Linux refuses this: the call chain main -> s1 -> s2 -> s3 -> s4 ->
// gd_entry -> t1 -> t2 -> t3 -> t4 is ten frames deep (at most eight),
// though the global function, verified on its own, sees only five of them.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

volatile __u32 gd_in;

static __noinline __u32 t4(__u32 x) { return x * 7 + gd_in; }
static __noinline __u32 t3(__u32 x) { return t4(x + 1) ^ 3; }
static __noinline __u32 t2(__u32 x) { return t3(x + 2) ^ 5; }
static __noinline __u32 t1(__u32 x) { return t2(x + 3) ^ 9; }

__noinline int gd_entry(__u32 x)
{
	return t1(x) & 0xff;
}

static __noinline __u32 s4(__u32 x) { return gd_entry(x + gd_in) + 1; }
static __noinline __u32 s3(__u32 x) { return s4(x + 1) ^ 3; }
static __noinline __u32 s2(__u32 x) { return s3(x + 2) ^ 5; }
static __noinline __u32 s1(__u32 x) { return s2(x + 3) ^ 9; }

SEC("xdp")
int global_deep_chain(struct xdp_md *ctx)
{
	return s1(ctx->rx_queue_index) & 3;
}

char _license[] SEC("license") = "GPL";
