// SPDX-License-Identifier: GPL-2.0
// An object without XDP programs: picking a default XDP program must fail.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int tc_only(struct __sk_buff *skb)
{
	return skb->len > 100;
}

char LICENSE[] SEC("license") = "GPL";
