// SPDX-License-Identifier: GPL-2.0
// CO-RE's proof, written the way tracing programs read kernel structs: the
// program is compiled against one layout of a task_struct-like struct and
// reads a task laid out by whichever kernel it runs on. Userspace puts the
// task's bytes in `tasks` (laid out per the target BTF: core_task_btf_new.c
// adds thread_info.syscall_work before status, so status and state move);
// the program copies the fields it found into `seen` and the status into the
// packet.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

// vmlinux.h style: the layout this program was compiled against.
struct thread_info {
	unsigned long flags;
	__u32 status;
} __attribute__((preserve_access_index));

struct task_struct {
	struct thread_info thread_info;
	long state;
} __attribute__((preserve_access_index));

// Newer kernels' thread_info, as a flavor: only asked about where it exists.
struct thread_info___v2 {
	unsigned long flags;
	unsigned long syscall_work;
	__u32 status;
} __attribute__((preserve_access_index));

// A type newer kernels have and older ones lack.
struct sched_ext_entity {
	__u32 flags;
	__u32 weight;
} __attribute__((preserve_access_index));

// Raw kernel memory: a task laid out as the target says.
struct kernel_memory {
	__u8 bytes[64];
};

struct task_seen {
	__u64 flags;
	__u64 status;
	__u64 state;
	__u64 has_syscall_work;
	__u64 syscall_work;
	__u64 has_sched_ext;
	__u64 sched_ext_size;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kernel_memory);
} tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct task_seen);
} seen SEC(".maps");

SEC("xdp")
int read_task(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 zero = 0;
	struct kernel_memory *mem = bpf_map_lookup_elem(&tasks, &zero);
	struct task_seen *out = bpf_map_lookup_elem(&seen, &zero);
	struct task_struct *task;

	if (!mem || !out)
		return XDP_ABORTED;
	task = (struct task_struct *)mem;
	out->flags = task->thread_info.flags;
	out->status = task->thread_info.status;
	out->state = task->state;
	out->has_syscall_work = bpf_core_field_exists(((struct thread_info___v2 *)&task->thread_info)->syscall_work);
	// On a kernel without the field this read is poisoned, and dead.
	if (bpf_core_field_exists(((struct thread_info___v2 *)&task->thread_info)->syscall_work))
		out->syscall_work = ((struct thread_info___v2 *)&task->thread_info)->syscall_work;
	out->has_sched_ext = bpf_core_type_exists(struct sched_ext_entity);
	if (bpf_core_type_exists(struct sched_ext_entity))
		out->sched_ext_size = bpf_core_type_size(struct sched_ext_entity);

	if (data + sizeof(__u32) > data_end)
		return XDP_DROP;
	*(__u32 *)data = task->thread_info.status;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
