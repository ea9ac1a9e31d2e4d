// SPDX-License-Identifier: GPL-2.0
// What Linux lets a privileged loader (root, which loads XDP) do and the
// unprivileged rules refuse, as a small load balancer writes it: packet
// lengths as the 32-bit difference of data_end and data (clang -mcpu=v3
// emits `w -= w` on the two packet pointers), an atomic byte count fed by
// that difference, a flow key with padding never written handed to a map
// lookup (the helper reads uninitialised stack), and the packet pointer kept
// in a per-CPU scratch value (a pointer stored into a map).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct flow {
	__u32 saddr;
	__u8 proto;
	// 3 bytes of padding the program never writes
};

struct stats {
	__u64 packets;
	__u64 bytes;
	__u64 ip_bytes;
};

struct scratch {
	__u64 cursor;  // the packet position being parsed
	__u64 len;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stats);
} lb_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} lb_scratch SEC(".maps");

// Empty: every lookup misses whatever the padding holds.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, struct flow);
	__type(value, __u32);
} lb_blocked SEC(".maps");

SEC("xdp")
int lb_priv(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;  // pointer - pointer, in 32 bits
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 zero = 0;

	struct stats *st = bpf_map_lookup_elem(&lb_stats, &zero);
	if (!st)
		return XDP_ABORTED;
	__sync_fetch_and_add(&st->packets, 1);
	__sync_fetch_and_add(&st->bytes, len);

	struct scratch *sc = bpf_map_lookup_elem(&lb_scratch, &zero);
	if (!sc)
		return XDP_ABORTED;
	*(volatile __u64 *)&sc->cursor = (__u64)(long)data;  // a pointer into a map

	int action = XDP_DROP;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		goto out;
	action = XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		goto out;
	action = XDP_DROP;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		goto out;
	// The IP part: 64-bit pointer - pointer.
	__sync_fetch_and_add(&st->ip_bytes, (__u64)(data_end - (void *)ip));

	struct flow f;
	f.saddr = ip->saddr;
	f.proto = ip->protocol;
	if (bpf_map_lookup_elem(&lb_blocked, &f))
		goto out;
	action = ip->protocol == 17 ? XDP_TX : XDP_PASS;
out:
	// The pointer never outlives the run: the maps compare across runtimes.
	*(volatile __u64 *)&sc->cursor = 0;
	sc->len = len;
	return action;
}

char _license[] SEC("license") = "GPL";
