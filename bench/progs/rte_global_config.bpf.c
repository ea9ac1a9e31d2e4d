// SPDX-License-Identifier: GPL-2.0
// global_config.bpf.c for librte_bpf: the knobs and counters are external
// variables (librte_bpf has no global-data maps), which the benchmark binds
// to the VM's .rodata/.data/.bss memory of the same object. Drops are not
// printed (librte_bpf has no bpf_printk); the benchmarked paths pass.
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include "rte_mbuf_view.h"

extern const __u8 blocked_proto;
extern const __u16 max_frame_len;
extern const __u8 log_drops;
extern __u64 packets_seen;
extern __u64 bytes_seen;
extern __u64 packets_dropped;
extern __s32 log_budget;

static __attribute__((always_inline)) inline int drop(void)
{
	__sync_fetch_and_add(&packets_dropped, 1);
	if (log_drops && log_budget > 0)
		log_budget--;
	return XDP_DROP;
}

__attribute__((section("rte"), used)) __u64 rte_configured(struct rte_mbuf_view *mb)
{
	unsigned char *data = mbuf_data(mb);
	__u32 len = mb->data_len;
	struct ethhdr *eth = (struct ethhdr *)data;
	__u8 proto = 0;

	__sync_fetch_and_add(&packets_seen, 1);
	__sync_fetch_and_add(&bytes_seen, len);

	if (len < sizeof(*eth))
		return XDP_DROP;
	if (eth->h_proto == __builtin_bswap16(ETH_P_IP)) {
		struct iphdr *iph = (struct iphdr *)(eth + 1);

		if (sizeof(*eth) + sizeof(*iph) > len)
			return XDP_DROP;
		proto = iph->protocol;
	} else if (eth->h_proto == __builtin_bswap16(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (struct ipv6hdr *)(eth + 1);

		if (sizeof(*eth) + sizeof(*ip6h) > len)
			return XDP_DROP;
		proto = ip6h->nexthdr;
	}

	if (max_frame_len && len > max_frame_len)
		return drop();
	if (blocked_proto && proto == blocked_proto)
		return drop();
	return XDP_PASS;
}
