// SPDX-License-Identifier: GPL-2.0
// Flow sampling with a bounded table: about one packet in two (by
// bpf_get_prandom_u32) records its source address, keyed with the CPU it
// was seen on (bpf_get_smp_processor_id); the others forget theirs
// (bpf_map_delete_elem). Every helper here is one xdpdk provides; the
// kernel's verifier loading this object is test_helper_set's evidence that
// Linux offers them to XDP programs.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct flow_key {
	__u32 saddr;
	__u32 cpu;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct flow_key);
	__type(value, __u64);
} sampled SEC(".maps");

SEC("xdp")
int sample_flows(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct flow_key key = { .saddr = ip->saddr, .cpu = bpf_get_smp_processor_id() };
	if (bpf_get_prandom_u32() & 1) {
		__u64 len = data_end - data;
		bpf_map_update_elem(&sampled, &key, &len, BPF_ANY);
	} else {
		bpf_map_delete_elem(&sampled, &key);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
