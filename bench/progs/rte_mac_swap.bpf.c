// SPDX-License-Identifier: GPL-2.0
// mac_swap.bpf.c for librte_bpf: the same swap on an rte_mbuf's packet.
#include <linux/if_ether.h>
#include "rte_mbuf_view.h"

__attribute__((section("rte"), used)) __u64 rte_mac_swap(struct rte_mbuf_view *mb)
{
	struct ethhdr *eth = (struct ethhdr *)mbuf_data(mb);
	unsigned char tmp[ETH_ALEN];

	if (mb->data_len < sizeof(*eth))
		return XDP_DROP;
	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
	return XDP_TX;
}
