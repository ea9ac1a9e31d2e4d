// SPDX-License-Identifier: GPL-2.0
// Text in packets, as a program matching a request line and parsing a
// number out of it would: the payload after the Ethernet header is
// compared with a constant (bpf_strncmp against .rodata) and parsed with
// bpf_strtol and bpf_strtoul in the base `config` holds (flags as the
// helpers take them); the results, and bpf_get_numa_node_id, go to
// `parsed` for the differential tests (test_kernel_helpers).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#define MAX_TEXT 32

struct parse_result {
	__s64 strtol_ret;
	__s64 strtol_val;
	__s64 strtoul_ret;
	__u64 strtoul_val;
	__s64 cmp;
	__u64 numa_node;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct parse_result);
} parsed SEC(".maps");

static const char request_prefix[] = "SET ";

SEC("xdp")
int parse_text(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 key = 0;
	char text[MAX_TEXT] = {};
	long len = data_end - data - (long)sizeof(struct ethhdr);

	if (len < 1)
		return XDP_PASS;
	if (len > MAX_TEXT)
		len = MAX_TEXT;
	if (bpf_xdp_load_bytes(ctx, sizeof(struct ethhdr), text, len))
		return XDP_ABORTED;

	__u64 *flags = bpf_map_lookup_elem(&config, &key);
	struct parse_result *out = bpf_map_lookup_elem(&parsed, &key);
	if (!flags || !out)
		return XDP_ABORTED;

	out->cmp = bpf_strncmp(text, sizeof(request_prefix) - 1, request_prefix);
	/* After "SET " the number; otherwise the whole text. */
	long n = len;
	if (out->cmp == 0) {
		n = len - (long)(sizeof(request_prefix) - 1);
		if (n < 1)
			return XDP_DROP;
		if (n > MAX_TEXT)
			n = MAX_TEXT;
		__builtin_memset(text, 0, sizeof(text));
		if (bpf_xdp_load_bytes(ctx, sizeof(struct ethhdr) + sizeof(request_prefix) - 1, text, n))
			return XDP_ABORTED;
	}
	long value = 0;
	unsigned long uvalue = 0;
	out->strtol_ret = bpf_strtol(text, n, *flags, &value);
	out->strtol_val = value;
	out->strtoul_ret = bpf_strtoul(text, n, *flags, &uvalue);
	out->strtoul_val = uvalue;
	out->numa_node = bpf_get_numa_node_id();
	return out->strtol_ret >= 0 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
