// SPDX-License-Identifier: GPL-2.0
// Packet samples through a perf event array, the way xdpdump and the XDP
// tutorial's tracing lessons take them: a small metadata struct as the
// sample's data, and the packet's first bytes appended by the kernel through
// the BPF_F_CTXLEN_MASK bits of the flags ((__u64)len << 32 | BPF_F_CURRENT_CPU).
// Each call's return value lands in `results`, so userspace can compare the
// error paths too; `slot` and `extra_flags` let a test aim at another slot or
// pass flags the helper refuses.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define SAMPLE_BYTES 64

struct sample_meta {
	__u32 ifindex;
	__u32 rx_queue;
	__u16 pkt_len;
	__u16 cap_len;
	__u32 seq;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s64);
} results SEC(".maps");

volatile const __u64 slot = BPF_F_CURRENT_CPU;
volatile const __u64 extra_flags = 0;
volatile const __u32 cap_extra = 0;  // asks for more packet bytes than there are
__u32 seq;

SEC("xdp")
int xdp_sample(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct sample_meta meta = {};
	__u64 pkt_len = data_end - data;
	__u32 key = 0;

	meta.ifindex = ctx->ingress_ifindex;
	meta.rx_queue = ctx->rx_queue_index;
	meta.pkt_len = pkt_len;
	meta.cap_len = pkt_len < SAMPLE_BYTES ? pkt_len : SAMPLE_BYTES;
	meta.seq = seq++;

	__u64 flags = slot | extra_flags | (__u64)(meta.cap_len + cap_extra) << 32;
	__s64 ret = bpf_perf_event_output(ctx, &samples, flags, &meta, sizeof(meta));
	bpf_map_update_elem(&results, &key, &ret, BPF_ANY);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
