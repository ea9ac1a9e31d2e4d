// SPDX-License-Identifier: GPL-2.0
// A helper called while the lock is held.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct stamped {
	struct bpf_spin_lock lock;
	__u32 pad;
	__u64 last_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stamped);
} stamps SEC(".maps");

SEC("xdp")
int lock_call_while_held(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct stamped *s = bpf_map_lookup_elem(&stamps, &zero);

	if (!s)
		return XDP_PASS;
	bpf_spin_lock(&s->lock);
	s->last_ns = bpf_ktime_get_ns();
	bpf_spin_unlock(&s->lock);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
