// SPDX-License-Identifier: GPL-2.0
// Maps whose size the program's loader sets before load
// (bpf_map__set_max_entries), as xdp-tools and Katran declare them: no
// max_entries in the definition, or 0. Counts packets per source IPv4
// address and per EtherType.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
} src_packets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 0);
	__type(key, __u32);
	__type(value, __u64);
} proto_packets SEC(".maps");

SEC("xdp")
int count_sources(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct iphdr *iph = data + sizeof(*eth);
	__u32 slot;
	__u64 *count, one = 1;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	slot = eth->h_proto == bpf_htons(ETH_P_IP) ? 1 : eth->h_proto == bpf_htons(ETH_P_IPV6) ? 2 : 0;
	count = bpf_map_lookup_elem(&proto_packets, &slot);
	if (count)
		(*count)++;
	if (slot != 1 || (void *)(iph + 1) > data_end)
		return XDP_PASS;
	count = bpf_map_lookup_elem(&src_packets, &iph->saddr);
	if (count)
		__sync_fetch_and_add(count, 1);
	else if (bpf_map_update_elem(&src_packets, &iph->saddr, &one, BPF_NOEXIST))
		return XDP_DROP;  /* full: the size the loader chose matters */
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
