// SPDX-License-Identifier: GPL-2.0
// A program that leaves per-run state behind and still returns XDP_TX: the
// entry tail-calls a stage that transmits, so every run counts one tail call.
// Should the count carry over from run to run, the 34th tail call fails and
// the entry drops the packet instead (the dataplane's run-state reset).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int stage_tx(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct xdp_md *));
} stages SEC(".maps") = {
	.values = { [0] = (void *)&stage_tx },
};

SEC("xdp")
int stage_tx(struct xdp_md *ctx)
{
	return XDP_TX;
}

SEC("xdp")
int tail_to_tx(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &stages, 0);
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
