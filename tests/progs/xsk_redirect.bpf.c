// SPDX-License-Identifier: GPL-2.0
/* Frames to AF_XDP sockets through an XSKMAP, the three ways programs do it:
 * libxdp's default program (the socket of the frame's rx queue, XDP_PASS
 * when there is none, through bpf_redirect_map's flags), libbpf's older
 * default (look the slot up first), and a slot chosen from the frame (the
 * low bits of byte 16), as a program steering flows to several sockets. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 4);
} xsks_map SEC(".maps");

/* bpf_redirect_map's flags: the verdict for a slot without a socket. */
volatile const __u64 no_socket_flags = XDP_PASS;

SEC("xdp")
int xsk_def_prog(struct xdp_md *ctx)
{
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, no_socket_flags);
}

SEC("xdp")
int xsk_lookup_first(struct xdp_md *ctx)
{
	__u32 index = ctx->rx_queue_index;

	if (bpf_map_lookup_elem(&xsks_map, &index))
		return bpf_redirect_map(&xsks_map, index, 0);
	return XDP_PASS;
}

SEC("xdp")
int xsk_by_frame(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (data + 17 > (__u8 *)data_end)
		return XDP_DROP;
	return bpf_redirect_map(&xsks_map, data[16] & 3, no_socket_flags);
}

char _license[] SEC("license") = "GPL";
