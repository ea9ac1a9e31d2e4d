// SPDX-License-Identifier: GPL-2.0
// Unlocks through a pointer chosen by the packet's length: on short packets
// it names the other account. The path that unlocks the right one must not
// stand in for the one that does not when the verifier prunes.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct account {
	struct bpf_spin_lock lock;
	__u32 balance;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct account);
} accounts SEC(".maps");

SEC("xdp")
int lock_other_path(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 k0 = 0, k1 = 1;
	struct account *a = bpf_map_lookup_elem(&accounts, &k0);
	struct account *b = bpf_map_lookup_elem(&accounts, &k1);
	struct account *pick;

	if (!a || !b)
		return XDP_PASS;
	bpf_spin_lock(&a->lock);
	a->balance++;
	pick = data + 64 <= data_end ? a : b;
	bpf_spin_unlock(&pick->lock);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
