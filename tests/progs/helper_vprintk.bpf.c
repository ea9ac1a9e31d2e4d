// SPDX-License-Identifier: GPL-2.0
// bpf_printk with more than three arguments, which clang's bpf_helpers.h
// turns into bpf_trace_vprintk (arguments in an array of u64), next to one
// with three (bpf_trace_printk). What each call returned lands in `printed`.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __s64);
} printed SEC(".maps");

static __always_inline void keep(__u32 slot, long ret)
{
	__s64 v = ret;

	bpf_map_update_elem(&printed, &slot, &v, BPF_ANY);
}

SEC("xdp")
int vprintk_probe(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;

	keep(0, bpf_printk("four: len %u, %d, %x, %s", len, -7, 0xbeef, "str"));
	keep(1, bpf_printk("twelve: %d %d %d %d %d %d %d %d %d %d %u %llx", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, len,
			   0x1234567890ULL));
	keep(2, bpf_printk("three: %d %d %u", 1, 2, len));
	// One specifier more than arguments: the kernel refuses the format.
	keep(3, bpf_printk("short: %d %d %d %d %d", 1, 2, 3, 4));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
