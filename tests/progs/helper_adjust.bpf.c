// SPDX-License-Identifier: GPL-2.0
// Runs a script of up to four bpf_xdp_adjust_head/meta/tail calls taken from
// a map and records each call's return value and the packet and metadata
// lengths after it, to compare the helpers' limits across runtimes.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define MAX_OPS 4

enum adjust_kind { ADJ_NONE = 0, ADJ_HEAD, ADJ_META, ADJ_TAIL };

struct adjust_op {
	__u32 kind;
	__s32 delta;
};

struct adjust_script {
	struct adjust_op ops[MAX_OPS];
};

struct adjust_trace {
	__s64 ret[MAX_OPS];
	__u32 len_after[MAX_OPS];
	__u32 meta_after[MAX_OPS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct adjust_script);
} adjust_script SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct adjust_trace);
} adjust_trace SEC(".maps");

SEC("xdp")
int adjust_probe(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct adjust_script *script = bpf_map_lookup_elem(&adjust_script, &zero);
	struct adjust_trace *trace = bpf_map_lookup_elem(&adjust_trace, &zero);

	if (!script || !trace)
		return XDP_ABORTED;
#pragma unroll
	for (int i = 0; i < MAX_OPS; i++) {
		__s32 delta = script->ops[i].delta;
		long ret = 0;

		switch (script->ops[i].kind) {
		case ADJ_HEAD:
			ret = bpf_xdp_adjust_head(ctx, delta);
			break;
		case ADJ_META:
			ret = bpf_xdp_adjust_meta(ctx, delta);
			break;
		case ADJ_TAIL:
			ret = bpf_xdp_adjust_tail(ctx, delta);
			break;
		default:
			break;
		}
		trace->ret[i] = ret;
		trace->len_after[i] = ctx->data_end - ctx->data;
		trace->meta_after[i] = ctx->data - ctx->data_meta;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
