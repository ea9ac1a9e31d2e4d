// SPDX-License-Identifier: GPL-2.0
// Program section kinds: a tracing program first (so the first XDP program is
// not the first program), two XDP programs sharing one section, xdp.frags
// variants, and tc / socket programs that stay listed but are not loaded --
// one of them calls a kfunc, which this runtime cannot resolve.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

SEC("kprobe/sys_nanosleep")
int kprobe_nanosleep(void *ctx)
{
	bpf_rcu_read_lock();
	bpf_rcu_read_unlock();
	return bpf_get_current_pid_tgid() & 1;
}

SEC("xdp")
int xdp_first(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp")
int xdp_second(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp.frags")
int xdp_with_frags(struct xdp_md *ctx)
{
	return XDP_TX;
}

SEC("xdp.frags/cpumap")
int xdp_frags_cpumap(struct xdp_md *ctx)
{
	return XDP_ABORTED;
}

SEC("tc")
int tc_classifier(struct __sk_buff *skb)
{
	return 0;
}

SEC("socket")
int socket_filter(struct __sk_buff *skb)
{
	return skb->len;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
