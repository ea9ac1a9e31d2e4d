// SPDX-License-Identifier: GPL-2.0
/* Spreads frames over CPUs through a cpumap, as xdp-tools' xdp-redirect cpu
 * and the kernel's xdp_redirect_cpu sample do: the ingress program picks a
 * CPU from the frame (here the low bit of the last MAC byte of the source),
 * and the entry's xdp/cpumap program runs on that CPU before the frame goes
 * up the stack. The cpumap program counts what it saw per CPU and drops
 * frames shorter than 60 bytes. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct bpf_cpumap_val));
	__uint(max_entries, 2);
} cpu_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} cpumap_seen SEC(".maps");

/* What to return when the chosen CPU has no entry (bpf_redirect_map's flags). */
volatile const __u64 missing_cpu_action = XDP_ABORTED;

SEC("xdp")
int xdp_steer(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	__u32 cpu = eth->h_source[5] & 1;
	return bpf_redirect_map(&cpu_map, cpu, missing_cpu_action);
}

SEC("xdp/cpumap")
int xdp_cpumap_count(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *seen = bpf_map_lookup_elem(&cpumap_seen, &zero);

	if (seen)
		(*seen)++;
	if (ctx->data_end - ctx->data < 60)
		return XDP_DROP;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
