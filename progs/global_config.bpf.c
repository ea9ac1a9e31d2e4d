// SPDX-License-Identifier: GPL-2.0
// Configured through global variables, libbpf-skeleton style: the knobs are
// `const volatile` (.rodata, set before load and then frozen, so the verifier
// prunes disabled branches), the counters live in .bss and .data, and drops
// can be logged with bpf_printk.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Knobs (.rodata). Zero disables each. */
const volatile __u8 blocked_proto = 0;   /* IPv4 protocol / IPv6 next header to drop */
const volatile __u16 max_frame_len = 0;  /* drop longer frames */
const volatile __u8 log_drops = 0;       /* bpf_printk every logged drop */

/* Counters (.bss). */
__u64 packets_seen = 0;
__u64 bytes_seen = 0;
__u64 packets_dropped = 0;

/* How many more drops may be logged (.data): keeps trace_pipe readable. */
__s32 log_budget = 8;

static __always_inline int drop(__u8 proto, __u32 len)
{
	__sync_fetch_and_add(&packets_dropped, 1);
	if (log_drops && log_budget > 0) {
		log_budget--;
		bpf_printk("xdp drop: proto %u len %u", proto, len);
	}
	return XDP_DROP;
}

SEC("xdp")
int xdp_configured(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 len = data_end - data;
	struct ethhdr *eth = data;
	__u8 proto = 0;

	__sync_fetch_and_add(&packets_seen, 1);
	__sync_fetch_and_add(&bytes_seen, len);

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > data_end)
			return XDP_DROP;
		proto = iph->protocol;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if ((void *)(ip6h + 1) > data_end)
			return XDP_DROP;
		proto = ip6h->nexthdr;
	}

	if (max_frame_len && len > max_frame_len)
		return drop(proto, len);
	if (blocked_proto && proto == blocked_proto)
		return drop(proto, len);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
