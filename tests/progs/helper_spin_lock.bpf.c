// SPDX-License-Identifier: GPL-2.0
// Per-packet statistics kept consistent with bpf_spin_lock, as programs do
// when several fields must change together: a global struct in an array and
// one per source address in a hash, each updated under the lock its value
// holds.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct stats {
	struct bpf_spin_lock lock;
	__u32 largest;
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stats);
} totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct stats);
} by_source SEC(".maps");

static void account(struct stats *s, __u32 len)
{
	bpf_spin_lock(&s->lock);
	s->packets++;
	s->bytes += len;
	if (len > s->largest)
		s->largest = len;
	bpf_spin_unlock(&s->lock);
}

SEC("xdp")
int locked_stats(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 len = data_end - data;
	__u32 zero = 0, src;
	struct stats *s;

	s = bpf_map_lookup_elem(&totals, &zero);
	if (s)
		account(s, len);

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	src = ip->saddr;
	s = bpf_map_lookup_elem(&by_source, &src);
	if (!s) {
		struct stats fresh = {};

		bpf_map_update_elem(&by_source, &src, &fresh, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&by_source, &src);
		if (!s)
			return XDP_DROP;
	}
	account(s, len);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
