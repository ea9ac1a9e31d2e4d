// SPDX-License-Identifier: GPL-2.0
// A queue and a stack driven by a script in `script`: up to 8 steps of push
// (with flags), pop or peek on either map. Each step's return value and the
// value a pop or peek wrote (all of it, zeroes on failure included) land in
// `results`, so userspace can compare every step and the maps' contents.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define STEPS 8

enum { OP_NONE, OP_PUSH, OP_POP, OP_PEEK };

struct elem {
	__u32 a;
	__u32 b;
};

struct step {
	__u8 op;
	__u8 on_stack;
	__u16 pad;
	__u32 flags;
	struct elem value;
};

struct script {
	struct step steps[STEPS];
};

struct result {
	__s64 ret;
	struct elem value;
};

struct results {
	struct result r[STEPS];
};

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 4);
	__type(value, struct elem);
} queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 4);
	__type(value, struct elem);
} stack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct script);
} script SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct results);
} results SEC(".maps");

SEC("xdp")
int queue_stack_probe(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct script *s = bpf_map_lookup_elem(&script, &zero);
	struct results *res = bpf_map_lookup_elem(&results, &zero);

	(void)ctx;
	if (!s || !res)
		return XDP_ABORTED;
#pragma clang loop unroll(full)
	for (int i = 0; i < STEPS; i++) {
		struct step *st = &s->steps[i];
		struct elem in = st->value;
		struct elem out;
		long ret;

		__builtin_memset(&out, 0x5a, sizeof(out));
		if (st->op == OP_PUSH)
			ret = st->on_stack ? bpf_map_push_elem(&stack, &in, st->flags)
					   : bpf_map_push_elem(&queue, &in, st->flags);
		else if (st->op == OP_POP)
			ret = st->on_stack ? bpf_map_pop_elem(&stack, &out) : bpf_map_pop_elem(&queue, &out);
		else if (st->op == OP_PEEK)
			ret = st->on_stack ? bpf_map_peek_elem(&stack, &out) : bpf_map_peek_elem(&queue, &out);
		else
			continue;
		res->r[i].ret = ret;
		res->r[i].value = out;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
