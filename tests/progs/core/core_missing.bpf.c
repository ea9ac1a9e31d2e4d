// SPDX-License-Identifier: GPL-2.0
// CO-RE reads that an older kernel (core_task_btf_old.c) cannot satisfy and
// that nothing guards: the loader poisons each and the verifier reaches it,
// so the program is refused naming the type and access string.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct thread_info___v2 {
	unsigned long flags;
	unsigned long syscall_work;
	__u32 status;
} __attribute__((preserve_access_index));

struct sched_ext_entity {
	__u32 flags;
	__u32 weight;
} __attribute__((preserve_access_index));

struct kernel_memory {
	__u8 bytes[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kernel_memory);
} tasks SEC(".maps");

SEC("xdp")
int reads_missing_field(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct thread_info___v2 *ti = bpf_map_lookup_elem(&tasks, &zero);

	if (!ti)
		return XDP_ABORTED;
	return ti->syscall_work ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int reads_missing_type(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct sched_ext_entity *scx = bpf_map_lookup_elem(&tasks, &zero);

	if (!scx)
		return XDP_ABORTED;
	return scx->weight ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
