// SPDX-License-Identifier: GPL-2.0
// Target BTF for core_task: a kernel laid out as the program was compiled
// (no thread_info.syscall_work, no sched_ext_entity). Built with -g only for
// its .BTF.
struct thread_info {
	unsigned long flags;
	unsigned int status;
};

struct task_struct {
	struct thread_info thread_info;
	long state;
};

// An instance keeps the types in the BTF clang writes.
struct task_struct target_task;
