// SPDX-License-Identifier: GPL-2.0
// Target BTF for core_kinds: every type it asks about laid out differently
// from the program's own view. Built with -g only for its .BTF.
typedef unsigned int __u32;
typedef unsigned long long __u64;

struct queue_stats {
	__u64 drops_total;
	unsigned short delta;  // signed in the program
	__u32 rx;
	__u32 depth;  // wider than the program's __u16: the load widens
	__u32 drops;
	__u64 bytes;
};

struct queue_flags {
	unsigned short id;
	unsigned int urgent : 1;
	int prio : 5;
	unsigned int kind : 6;
};

struct only_target {
	__u64 a;
	__u64 b;
};

enum link_state {
	LINK_UNKNOWN = 0,
	LINK_DOWN = 1,
	LINK_UP = 2,
};

// Instances keep the types in the BTF clang writes.
struct queue_stats target_stats;
struct queue_flags target_flags;
struct only_target target_only;
enum link_state target_link;
