// SPDX-License-Identifier: GPL-2.0
// Two locks held at once (a transfer between two entries).
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
int lock_two_locks(struct xdp_md *ctx)
{
	__u32 k0 = 0, k1 = 1;
	struct account *a = bpf_map_lookup_elem(&accounts, &k0);
	struct account *b = bpf_map_lookup_elem(&accounts, &k1);

	if (!a || !b)
		return XDP_PASS;
	bpf_spin_lock(&a->lock);
	bpf_spin_lock(&b->lock);
	a->balance--;
	b->balance++;
	bpf_spin_unlock(&b->lock);
	bpf_spin_unlock(&a->lock);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
