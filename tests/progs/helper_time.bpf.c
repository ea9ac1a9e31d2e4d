// SPDX-License-Identifier: GPL-2.0
// Reads every clock helper once, in this order, into `clocks`, so that
// userspace can compare each with the same clock read around the run (and
// the kernel's run with xdpdk's).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct clocks {
	__u64 mono;
	__u64 boot;
	__u64 coarse;
	__u64 tai;
	__u64 jiffies;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct clocks);
} clocks SEC(".maps");

SEC("xdp")
int clock_probe(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct clocks *c = bpf_map_lookup_elem(&clocks, &zero);

	(void)ctx;
	if (!c)
		return XDP_ABORTED;
	c->mono = bpf_ktime_get_ns();
	c->boot = bpf_ktime_get_boot_ns();
	c->coarse = bpf_ktime_get_coarse_ns();
	c->tai = bpf_ktime_get_tai_ns();
	c->jiffies = bpf_jiffies64();
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
