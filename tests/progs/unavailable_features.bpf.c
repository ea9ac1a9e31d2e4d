// SPDX-License-Identifier: GPL-2.0
// For `xdpdk prog show`: one program using only what xdpdk has, one calling
// a helper the kernel offers XDP programs and xdpdk lacks
// (bpf_get_current_pid_tgid) and using a map type it lacks (bloom_filter). Linux
// loads both; xdpdk opens the object only to list it (test_prog_cmds), so
// it stays out of the test suites that load every built object.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 8);
	__type(value, __u64);
} stamps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 64);
	__type(value, __u64);
} seen SEC(".maps");

SEC("xdp")
int uses_available(struct xdp_md *ctx)
{
	__u64 now = bpf_jiffies64();

	(void)ctx;
	bpf_map_push_elem(&stamps, &now, BPF_EXIST);
	return XDP_PASS;
}

SEC("xdp")
int uses_unavailable(struct xdp_md *ctx)
{
	__u64 node = bpf_get_current_pid_tgid();

	(void)ctx;
	bpf_map_push_elem(&seen, &node, BPF_ANY);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
