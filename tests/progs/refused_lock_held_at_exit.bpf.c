// SPDX-License-Identifier: GPL-2.0
// A path that returns with the lock still held (the early return).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct counted {
	struct bpf_spin_lock lock;
	__u32 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counted);
} counts SEC(".maps");

SEC("xdp")
int lock_held_at_exit(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct counted *c = bpf_map_lookup_elem(&counts, &zero);

	if (!c)
		return XDP_PASS;
	bpf_spin_lock(&c->lock);
	if (++c->n > 100)
		return XDP_DROP;
	bpf_spin_unlock(&c->lock);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
