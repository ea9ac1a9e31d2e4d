// SPDX-License-Identifier: GPL-2.0
// Linux refuses this: a global function's `void *` argument has no size, so
// btf_prepare_func_args cannot type it ("arg#0 reference type('UNKNOWN ')
// size cannot be determined"), and the call passing a packet pointer fails.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__noinline int gv_peek(void *p)
{
	return p ? 1 : 0;
}

SEC("xdp")
int global_void_ptr(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (data + 1 > data_end)
		return XDP_DROP;
	return gv_peek(data) ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
