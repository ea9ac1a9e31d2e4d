// SPDX-License-Identifier: GPL-2.0
// Target BTF for core_task: a kernel whose thread_info gained syscall_work
// before status (status and task_struct.state move by 8 bytes) and which
// has sched_ext_entity. Built with -g only for its .BTF.
struct thread_info {
	unsigned long flags;
	unsigned long syscall_work;
	unsigned int status;
};

struct task_struct {
	struct thread_info thread_info;
	long state;
};

struct sched_ext_entity {
	unsigned int flags;
	unsigned int weight;
	unsigned long long slice;
};

// Instances keep the types in the BTF clang writes.
struct task_struct target_task;
struct sched_ext_entity target_scx;
