// SPDX-License-Identifier: GPL-2.0
// Configuration through `const volatile` globals, as libbpf skeletons set
// them before load (xdp-tools, Cilium, Katran's knobs): the kernel reads the
// frozen .rodata as constants while verifying, so a feature switched off is
// dead code and is not checked, and a switched-on one is checked with the
// knob's value. Here `peek_len` bounds a packet read by a variable: verified
// as an unknown number it is refused (unbounded packet offset), as a constant
// it is proven.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 peek_len = 0;   /* 0: feature off */
const volatile __u8 verdict_on_short = XDP_PASS;
const volatile __u32 rounds = 4;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} peeked SEC(".maps");

SEC("xdp")
int xdp_knobs(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u32 key = 0;
	__u64 *sum = bpf_map_lookup_elem(&peeked, &key);
	__u64 acc = 0;

	if (!sum)
		return XDP_ABORTED;
	if (peek_len) {
		if (data + peek_len > data_end)
			return verdict_on_short;
		acc = *(__u8 *)(data + peek_len - 1);
	}
	for (__u32 i = 0; i < rounds && i < 16; i++)
		acc = acc * 31 + i;
	*sum += acc;
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
