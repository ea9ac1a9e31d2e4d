// SPDX-License-Identifier: GPL-2.0
/* Every frame to one CPU through a cpumap (xdp-redirect cpu's shape with a
 * fixed CPU), and an xdp/cpumap program there that gives each verdict a
 * share of the traffic by the frame's sequence number (bytes 16..23, little
 * endian): PASS, DROP, REDIRECT through a devmap, and XDP_TX, which the
 * kernel does not allow in cpumap programs. It writes the CPU it ran on into
 * byte 15, so the receiver sees where the frame went. bench_cpumap runs it
 * with sort_by_seq 0 next to xdp_pass_all. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct bpf_cpumap_val));
	__uint(max_entries, 4);
} cpu_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 1);
} tx_port SEC(".maps");

volatile const __u32 target_cpu = 1;
/* 0: the cpumap program passes every frame. */
volatile const __u8 sort_by_seq = 1;

SEC("xdp")
int xdp_to_cpu(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (data + sizeof(struct ethhdr) > data_end)
		return XDP_DROP;
	return bpf_redirect_map(&cpu_map, target_cpu, 0);
}

/* The same frames without the hop, for bench_cpumap's baseline. */
SEC("xdp")
int xdp_pass_all(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp/cpumap")
int xdp_cpumap_sort(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (data + 24 > (__u8 *)data_end)
		return XDP_DROP;
	data[15] = (__u8)bpf_get_smp_processor_id();
	if (!sort_by_seq)
		return XDP_PASS;
	switch (data[16] & 3) {
	case 0:
		return XDP_PASS;
	case 1:
		return XDP_DROP;
	case 2:
		return bpf_redirect_map(&tx_port, 0, 0);
	default:
		return XDP_TX;
	}
}

char _license[] SEC("license") = "GPL";
