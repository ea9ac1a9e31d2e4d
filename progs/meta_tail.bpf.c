// SPDX-License-Identifier: GPL-2.0
// A capture tap's front end: prepends XDP metadata describing the frame
// (where it came from, its original length and EtherType) for the consumer
// behind it, then cuts the frame to a snap length or pads runts to the
// Ethernet minimum, both with bpf_xdp_adjust_tail.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define SNAP_LEN 128
#define MIN_FRAME_LEN 60 /* without the FCS */
#define META_MAGIC 0x7a9e

struct tap_meta {
	__u16 magic;
	__u16 ether_type; /* network order, as on the wire */
	__u16 orig_len;
	__u8 ingress_port;
	__u8 rx_queue;
};

enum tap_stat { TAP_SEEN = 0, TAP_TRIMMED, TAP_PADDED, TAP_NO_META, TAP_ADJUST_FAILED, TAP_STATS };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TAP_STATS);
	__type(key, __u32);
	__type(value, __u64);
} tap_stats SEC(".maps");

static __always_inline void bump(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&tap_stats, &slot);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline int write_meta(struct xdp_md *ctx, __u16 len)
{
	void *data, *data_end, *meta_start;
	struct tap_meta *meta;
	struct ethhdr *eth;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	meta_start = (void *)(long)ctx->data_meta;
	meta = meta_start;
	eth = data;
	if ((void *)(meta + 1) > data || (void *)(eth + 1) > data_end)
		return -1;
	meta->magic = META_MAGIC;
	meta->ether_type = eth->h_proto;
	meta->orig_len = len;
	meta->ingress_port = ctx->ingress_ifindex;
	meta->rx_queue = ctx->rx_queue_index;
	return 0;
}

SEC("xdp")
int xdp_tap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	int len = data_end - data;

	bump(TAP_SEEN);
	if (write_meta(ctx, len))
		bump(TAP_NO_META);

	if (len > SNAP_LEN) {
		if (bpf_xdp_adjust_tail(ctx, SNAP_LEN - len)) {
			bump(TAP_ADJUST_FAILED);
			return XDP_DROP;
		}
		bump(TAP_TRIMMED);
	} else if (len < MIN_FRAME_LEN) {
		if (bpf_xdp_adjust_tail(ctx, MIN_FRAME_LEN - len)) {
			bump(TAP_ADJUST_FAILED);
			return XDP_DROP;
		}
		bump(TAP_PADDED);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
