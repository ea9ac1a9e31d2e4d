// SPDX-License-Identifier: GPL-2.0
// A stateful firewall on netfilter's connection table, the way XDP programs
// reach it: the bpf_xdp_ct_lookup / bpf_ct_release kfuncs (extern __ksym
// functions that a kernel loader resolves against the kernel's BTF). xdpdk
// has no conntrack table, so it refuses the program by the kfunc's name
// (test_helper_set); `prog show` lists the kfuncs with the reason.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// The kernel's struct bpf_ct_opts (net/netfilter/nf_conntrack_bpf.c).
struct bpf_ct_opts {
	__s32 netns_id;
	__s32 error;
	__u8 l4proto;
	__u8 dir;
	__u8 reserved[2];
};

struct nf_conn;

extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *xdp_ctx, struct bpf_sock_tuple *tuple, __u32 tuple_len,
					 struct bpf_ct_opts *opts, __u32 opts_len) __ksym;
extern void bpf_ct_release(struct nf_conn *ct) __ksym;

SEC("xdp")
int established_only(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1);

	if ((void *)(tcp + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_TCP)
		return XDP_PASS;

	struct bpf_sock_tuple tuple = {};
	struct bpf_ct_opts opts = { .netns_id = -1, .l4proto = IPPROTO_TCP };

	tuple.ipv4.saddr = ip->saddr;
	tuple.ipv4.daddr = ip->daddr;
	tuple.ipv4.sport = tcp->source;
	tuple.ipv4.dport = tcp->dest;
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &tuple, sizeof(tuple.ipv4), &opts, sizeof(opts));
	if (!ct)
		return tcp->syn ? XDP_PASS : XDP_DROP;
	bpf_ct_release(ct);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
