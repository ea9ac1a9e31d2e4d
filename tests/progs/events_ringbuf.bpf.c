// SPDX-License-Identifier: GPL-2.0
// A flow logger on a BPF ring buffer: each packet reserves a record, fills
// it from the headers, and submits it, or discards it for ARP; a small
// summary follows through bpf_ringbuf_output, and the ring's state
// (bpf_ringbuf_query) lands in `results` with every helper's return value,
// so userspace can compare them with the kernel's packet by packet, full
// ring included. `reserve_flags` lets a test pass flags the kernel refuses.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define HEAD_BYTES 16

struct flow_event {
	__u32 seq;
	__u16 pkt_len;
	__u16 proto;
	__u8 head[HEAD_BYTES];
};

struct summary {
	__u32 magic;
	__u32 seq;
};

enum {
	R_RESERVED,   // 1 when the reservation succeeded
	R_OUTPUT,     // bpf_ringbuf_output's return value
	R_AVAIL,
	R_SIZE,
	R_CONS,
	R_PROD,
	R_MAX,
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 4096);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, R_MAX);
	__type(key, __u32);
	__type(value, __s64);
} results SEC(".maps");

volatile const __u64 reserve_flags = 0;
__u32 seq;

static void record(__u32 key, __s64 value)
{
	bpf_map_update_elem(&results, &key, &value, BPF_ANY);
}

SEC("xdp")
int xdp_flow_log(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct flow_event *e;
	struct summary s;
	__u16 proto;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	proto = bpf_ntohs(eth->h_proto);

	e = bpf_ringbuf_reserve(&flows, sizeof(*e), reserve_flags);
	record(R_RESERVED, e != 0);
	if (e) {
		e->seq = seq;
		e->pkt_len = data_end - data;
		e->proto = proto;
		if (data + HEAD_BYTES <= data_end)
			__builtin_memcpy(e->head, data, HEAD_BYTES);
		else
			__builtin_memset(e->head, 0, HEAD_BYTES);
		if (proto == ETH_P_ARP)
			bpf_ringbuf_discard(e, 0);
		else
			bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	}

	s.magic = 0x464c4f57;
	s.seq = seq++;
	record(R_OUTPUT, bpf_ringbuf_output(&flows, &s, sizeof(s), 0));
	record(R_AVAIL, bpf_ringbuf_query(&flows, BPF_RB_AVAIL_DATA));
	record(R_SIZE, bpf_ringbuf_query(&flows, BPF_RB_RING_SIZE));
	record(R_CONS, bpf_ringbuf_query(&flows, BPF_RB_CONS_POS));
	record(R_PROD, bpf_ringbuf_query(&flows, BPF_RB_PROD_POS));
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
