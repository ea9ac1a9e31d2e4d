// SPDX-License-Identifier: GPL-2.0
// bpf_map_lookup_percpu_elem on each per-CPU map type, with the key and CPU
// taken from `probe`: what each lookup found goes to `found` (its value, or
// a marker when NULL), and a found value is incremented in place, on the
// CPU asked for, so that the maps show which slot was reached.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NOT_FOUND 0xdeadbeefdeadbeefULL

struct probe {
	__u32 key;
	__u32 cpu;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct probe);
} probe SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u64);
} found SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} pcpu_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} pcpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} pcpu_lru SEC(".maps");

static __always_inline void record(__u32 slot, __u64 *v)
{
	__u64 out = NOT_FOUND;

	if (v) {
		out = *v;
		*v += 1;
	}
	bpf_map_update_elem(&found, &slot, &out, BPF_ANY);
}

SEC("xdp")
int percpu_lookup_probe(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct probe *p = bpf_map_lookup_elem(&probe, &zero);
	__u32 key, cpu;

	(void)ctx;
	if (!p)
		return XDP_ABORTED;
	key = p->key;
	cpu = p->cpu;
	record(0, bpf_map_lookup_percpu_elem(&pcpu_array, &key, cpu));
	record(1, bpf_map_lookup_percpu_elem(&pcpu_hash, &key, cpu));
	record(2, bpf_map_lookup_percpu_elem(&pcpu_lru, &key, cpu));
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
