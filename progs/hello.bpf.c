// SPDX-License-Identifier: GPL-2.0
// Hello world: prints a line per packet with a global counter and passes the
// packet on.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int counter = 0;

SEC("xdp")
int hello(struct xdp_md *ctx)
{
	bpf_printk("Hello World %d", counter);
	counter++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
