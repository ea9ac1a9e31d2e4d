// SPDX-License-Identifier: GPL-2.0
// Locks one account and unlocks another: both come from constant-key array
// lookups, so only the element's identity tells the two locks apart.
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
int lock_wrong_element(struct xdp_md *ctx)
{
	__u32 k0 = 0, k1 = 1;
	struct account *a = bpf_map_lookup_elem(&accounts, &k0);
	struct account *b = bpf_map_lookup_elem(&accounts, &k1);

	if (!a || !b)
		return XDP_PASS;
	bpf_spin_lock(&a->lock);
	a->balance++;
	bpf_spin_unlock(&b->lock);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
