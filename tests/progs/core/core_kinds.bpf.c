// SPDX-License-Identifier: GPL-2.0
// One program per family of CO-RE relocation kinds, each reading or asking
// about types whose layout in the target BTF (core_kinds_btf.c) differs from
// the layout compiled here: field offsets, sizes and signedness (direct
// loads and bpf_core_field_*), bitfields (BPF_CORE_READ_BITFIELD: offset,
// size, shifts, sign), type ids, type existence and size, enum values. Each
// writes what it got into `out` (one u64 per slot) for userspace to check.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct queue_stats {
	__u32 rx;
	__u64 bytes;
	__s16 delta;
	__u16 depth;
} __attribute__((preserve_access_index));

// The same struct as an older kernel names it: matched by its essential
// name, queue_stats.
struct queue_stats___old {
	__u32 rx;
	__u32 drops;
	__u32 overruns;  // never in the target
} __attribute__((preserve_access_index));

struct queue_flags {
	unsigned int kind : 4;
	int prio : 3;
	unsigned int urgent : 1;
	unsigned short id;
} __attribute__((preserve_access_index));

// Only here, never in the target.
struct only_local {
	__u32 a;
} __attribute__((preserve_access_index));

// Only in the target (declared here to be asked about).
struct only_target {
	__u64 a;
} __attribute__((preserve_access_index));

enum link_state {
	LINK_DOWN = 0,
	LINK_UP = 1,
	LINK_DORMANT = 2,
};

struct kernel_memory {
	__u8 bytes[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kernel_memory);
} memory SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} out SEC(".maps");

static __always_inline void put(__u32 slot, __u64 value)
{
	__u64 *p = bpf_map_lookup_elem(&out, &slot);

	if (p)
		*p = value;
}

static __always_inline void *kernel_memory(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&memory, &zero);
}

SEC("xdp")
int field_loads(struct xdp_md *ctx)
{
	struct queue_stats *q = kernel_memory();

	if (!q)
		return XDP_ABORTED;
	put(0, q->rx);
	put(1, q->bytes);
	put(2, (__u64)(__s64)q->delta);
	put(3, q->depth);  // the target's depth is 4 bytes: the load widens
	put(4, ((struct queue_stats___old *)q)->drops);
	return XDP_PASS;
}

SEC("xdp")
int field_info(struct xdp_md *ctx)
{
	struct queue_stats *q = kernel_memory();

	if (!q)
		return XDP_ABORTED;
	put(0, bpf_core_field_offset(q->bytes));
	put(1, bpf_core_field_size(q->delta));
	put(2, bpf_core_field_exists(q->depth));
	put(3, __builtin_preserve_field_info(q->delta, BPF_FIELD_SIGNED));
	put(4, __builtin_preserve_field_info(q->depth, BPF_FIELD_SIGNED));
	put(5, bpf_core_field_exists(((struct queue_stats___old *)q)->drops));
	put(6, bpf_core_field_exists(((struct queue_stats___old *)q)->overruns));
	put(7, bpf_core_field_size(q->depth));
	return XDP_PASS;
}

SEC("xdp")
int bitfields(struct xdp_md *ctx)
{
	struct queue_flags *f = kernel_memory();

	if (!f)
		return XDP_ABORTED;
	put(0, BPF_CORE_READ_BITFIELD(f, kind));
	put(1, BPF_CORE_READ_BITFIELD(f, prio));
	put(2, BPF_CORE_READ_BITFIELD(f, urgent));
	put(3, BPF_CORE_READ_BITFIELD(f, id));
	put(4, __builtin_preserve_field_info(f->prio, BPF_FIELD_LSHIFT_U64));
	put(5, __builtin_preserve_field_info(f->prio, BPF_FIELD_RSHIFT_U64));
	put(6, __builtin_preserve_field_info(f->kind, BPF_FIELD_BYTE_SIZE));
	return XDP_PASS;
}

SEC("xdp")
int type_info(struct xdp_md *ctx)
{
	put(0, bpf_core_type_id_local(struct queue_stats));
	put(1, bpf_core_type_id_kernel(struct queue_stats));
	put(2, bpf_core_type_exists(struct only_target));
	put(3, bpf_core_type_exists(struct only_local));
	put(4, bpf_core_type_size(struct queue_stats));
	put(5, bpf_core_type_size(struct only_target));
	put(6, bpf_core_type_id_kernel(struct only_local));
	return XDP_PASS;
}

SEC("xdp")
int enum_values(struct xdp_md *ctx)
{
	put(0, bpf_core_enum_value_exists(enum link_state, LINK_UP));
	put(1, bpf_core_enum_value(enum link_state, LINK_UP));
	put(2, bpf_core_enum_value_exists(enum link_state, LINK_DORMANT));
	put(3, bpf_core_enum_value(enum link_state, LINK_DOWN));
	return XDP_PASS;
}

// A read of a type the target lacks, guarded: poisoned and dead.
SEC("xdp")
int guarded_missing_type(struct xdp_md *ctx)
{
	struct only_local *o = kernel_memory();

	if (!o)
		return XDP_ABORTED;
	if (bpf_core_type_exists(struct only_local))
		put(0, o->a);
	else
		put(0, 77);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
