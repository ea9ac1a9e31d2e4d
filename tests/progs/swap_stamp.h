/* The body of swap_v1 and swap_v2: two releases of one program, as an
 * operator swaps them on a live port. Both count packets per action in
 * xdp-tutorial's per-CPU `xdp_stats_map` (so a swap that carries maps over
 * keeps the counts going) and stamp their version into the first byte after
 * the Ethernet header before sending the packet back (XDP_TX). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#ifndef XDP_ACTION_MAX
#define XDP_ACTION_MAX (XDP_REDIRECT + 1) /* as xdp-tutorial's common headers define it */
#endif

struct datarec {
	__u64 rx_packets;
	__u64 rx_bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct datarec);
	__uint(max_entries, XDP_ACTION_MAX);
} xdp_stats_map SEC(".maps");

/* Every Nth packet is reported through bpf_printk (0: none), set at load. */
volatile const __u32 trace_every = 0;
/* Drop instead of sending back, for runs on endless pcap sources. */
volatile const __u8 drop_all = 0;

static __always_inline __u32 stats_record(struct xdp_md *ctx, __u32 action)
{
	struct datarec *rec = bpf_map_lookup_elem(&xdp_stats_map, &action);
	if (!rec)
		return XDP_ABORTED;
	rec->rx_packets++;
	rec->rx_bytes += ctx->data_end - ctx->data;
	if (trace_every && rec->rx_packets % trace_every == 0)
		bpf_printk("swap v%d: packet %llu", SWAP_VERSION, rec->rx_packets);
	return action;
}

SEC("xdp")
int xdp_swap_stamp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *stamp = data + sizeof(struct ethhdr);

	if ((void *)(stamp + 1) > data_end)
		return stats_record(ctx, XDP_DROP);
	*stamp = SWAP_VERSION;
	return stats_record(ctx, drop_all ? XDP_DROP : XDP_TX);
}

char _license[] SEC("license") = "GPL";
