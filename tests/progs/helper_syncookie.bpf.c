// SPDX-License-Identifier: GPL-2.0
// A SYN-flood guard in the manner of a SYN proxy: a SYN is answered from
// XDP with a SYN-ACK whose sequence number is a SYN cookie
// (bpf_tcp_raw_gen_syncookie_ipv4/ipv6) and sent back out (XDP_TX); the
// ACK that completes the handshake is checked
// (bpf_tcp_raw_check_syncookie_ipv4/ipv6) and passed to the stack when its
// cookie is good, dropped when not. Every other packet passes. The helpers'
// raw results are kept in `last` for the tests (test_syncookie).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define TCP_MAX_HDR 60
#define SYNACK_TCP_LEN 24 /* the header and one MSS option */

struct cookie_result {
	__s64 gen;   /* bpf_tcp_raw_gen_syncookie_*: cookie | mss << 32, or -errno */
	__s64 check; /* bpf_tcp_raw_check_syncookie_*: 0 or -errno */
	__u64 syns;
	__u64 acks;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cookie_result);
} last SEC(".maps");

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Answers the SYN in place: swapped addresses and ports, seq = cookie,
 * ack = their seq + 1, one MSS option; the frame is cut or grown to fit. */
static __always_inline int send_synack(struct xdp_md *ctx, __u32 l3_len, int v6, __u32 cookie, __u16 mss)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	int want = sizeof(struct ethhdr) + l3_len + SYNACK_TCP_LEN;

	if (bpf_xdp_adjust_tail(ctx, want - (int)(data_end - data)))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;

	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	unsigned char mac[ETH_ALEN];
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);

	struct tcphdr *tcp = (void *)(eth + 1) + l3_len;
	__u8 *opt = (void *)(tcp + 1);
	if ((void *)(opt + 4) > data_end)
		return XDP_DROP;

	__u32 sum;
	if (v6) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		struct in6_addr a = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
		ip6->payload_len = bpf_htons(SYNACK_TCP_LEN);
		ip6->hop_limit = 64;
		__be32 pseudo[2] = { bpf_htonl(SYNACK_TCP_LEN), bpf_htonl(IPPROTO_TCP) };
		sum = bpf_csum_diff(0, 0, (__be32 *)&ip6->saddr, 32, 0);
		sum = bpf_csum_diff(0, 0, pseudo, sizeof(pseudo), sum);
	} else {
		struct iphdr *ip = (void *)(eth + 1);
		__be32 a = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = a;
		ip->tot_len = bpf_htons(sizeof(*ip) + SYNACK_TCP_LEN);
		ip->ttl = 64;
		ip->id = 0;
		ip->check = 0;
		ip->check = csum_fold(bpf_csum_diff(0, 0, (__be32 *)ip, sizeof(*ip), 0));
		__be32 pseudo[3] = { ip->saddr, ip->daddr, bpf_htonl(IPPROTO_TCP << 16 | SYNACK_TCP_LEN) };
		sum = bpf_csum_diff(0, 0, pseudo, sizeof(pseudo), 0);
	}

	__be16 port = tcp->source;
	tcp->source = tcp->dest;
	tcp->dest = port;
	tcp->ack_seq = bpf_htonl(bpf_ntohl(tcp->seq) + 1);
	tcp->seq = bpf_htonl(cookie);
	tcp->doff = SYNACK_TCP_LEN / 4;
	tcp->res1 = 0;
	tcp->fin = tcp->rst = tcp->psh = tcp->urg = tcp->ece = tcp->cwr = 0;
	tcp->syn = 1;
	tcp->ack = 1;
	tcp->urg_ptr = 0;
	tcp->check = 0;
	opt[0] = 2; /* TCPOPT_MSS */
	opt[1] = 4;
	opt[2] = mss >> 8;
	opt[3] = mss & 0xff;
	tcp->check = csum_fold(bpf_csum_diff(0, 0, (__be32 *)tcp, SYNACK_TCP_LEN, sum));
	return XDP_TX;
}

SEC("xdp")
int syncookie_guard(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 key = 0;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	struct cookie_result *res = bpf_map_lookup_elem(&last, &key);
	if (!res)
		return XDP_ABORTED;

	void *l3 = eth + 1;
	struct iphdr *ip = l3;
	struct ipv6hdr *ip6 = l3;
	struct tcphdr *tcp;
	__u32 l3_len;
	int v6;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		if ((void *)(ip + 1) > data_end || ip->ihl != 5 || ip->protocol != IPPROTO_TCP)
			return XDP_PASS;
		l3_len = sizeof(*ip);
		v6 = 0;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		if ((void *)(ip6 + 1) > data_end || ip6->nexthdr != IPPROTO_TCP)
			return XDP_PASS;
		l3_len = sizeof(*ip6);
		v6 = 1;
	} else {
		return XDP_PASS;
	}
	tcp = l3 + l3_len;
	if ((void *)(tcp + 1) > data_end)
		return XDP_PASS;

	if (tcp->syn && !tcp->ack) {
		/* The whole header with its options, on the stack: its length is
		 * the SYN's own (doff), which the helper checks. */
		__u8 th[TCP_MAX_HDR] = {};
		__u32 th_len = tcp->doff * 4;
		if (th_len < sizeof(*tcp))
			return XDP_DROP;
		if (bpf_xdp_load_bytes(ctx, sizeof(*eth) + l3_len, th, th_len))
			return XDP_DROP;
		__s64 value = v6 ? bpf_tcp_raw_gen_syncookie_ipv6(ip6, (struct tcphdr *)th, th_len)
				 : bpf_tcp_raw_gen_syncookie_ipv4(ip, (struct tcphdr *)th, th_len);
		res->gen = value;
		res->syns++;
		if (value < 0)
			return XDP_DROP;
		return send_synack(ctx, l3_len, v6, (__u32)value, (__u16)(value >> 32));
	}
	if (tcp->ack && !tcp->syn && !tcp->rst) {
		__s64 ok = v6 ? bpf_tcp_raw_check_syncookie_ipv6(ip6, tcp) : bpf_tcp_raw_check_syncookie_ipv4(ip, tcp);
		res->check = ok;
		res->acks++;
		return ok == 0 ? XDP_PASS : XDP_DROP;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
