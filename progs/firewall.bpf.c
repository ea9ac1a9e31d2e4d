// SPDX-License-Identifier: GPL-2.0
// Stateless ingress firewall. Drops IPv4 packets whose source falls in a
// blocked prefix (LPM trie) and TCP/UDP packets (IPv4 or IPv6) aimed at a
// blocked destination port. Every rule carries an id; the hits of each rule
// are counted in a hash keyed by that id, and the verdict totals in an array.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_PREFIX_RULES 1024
#define MAX_PORT_RULES 256
#define MAX_RULES (MAX_PREFIX_RULES + MAX_PORT_RULES)

struct ipv4_lpm_key {
	__u32 prefixlen;
	__be32 addr;
};

struct port_key {
	__be16 port;
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};

struct rule_hits {
	__u64 packets;
	__u64 bytes;
};

enum verdict_slot { VERDICT_PASS = 0, VERDICT_DROP_PREFIX, VERDICT_DROP_PORT, VERDICT_DROP_RUNT, VERDICT_COUNT };

/* Value: rule id. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, MAX_PREFIX_RULES);
	__type(key, struct ipv4_lpm_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} blocked_src_v4 SEC(".maps");

/* Value: rule id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_PORT_RULES);
	__type(key, struct port_key);
	__type(value, __u32);
} blocked_dst_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_RULES);
	__type(key, __u32);
	__type(value, struct rule_hits);
} rule_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VERDICT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps");

struct flow_info {
	__be16 dport;
	__u8 l4_proto;
	__u8 has_ports;
};

static __always_inline void count_rule_hit(__u32 rule_id, __u64 bytes)
{
	struct rule_hits *hits = bpf_map_lookup_elem(&rule_counters, &rule_id);

	if (hits) {
		__sync_fetch_and_add(&hits->packets, 1);
		__sync_fetch_and_add(&hits->bytes, bytes);
		return;
	}
	struct rule_hits first = { .packets = 1, .bytes = bytes };
	/* Another CPU may have created it meanwhile; then count into that one. */
	if (bpf_map_update_elem(&rule_counters, &rule_id, &first, BPF_NOEXIST) != 0) {
		hits = bpf_map_lookup_elem(&rule_counters, &rule_id);
		if (hits) {
			__sync_fetch_and_add(&hits->packets, 1);
			__sync_fetch_and_add(&hits->bytes, bytes);
		}
	}
}

static __always_inline int finish(__u32 slot, int action)
{
	__u64 *total = bpf_map_lookup_elem(&verdicts, &slot);

	if (total)
		__sync_fetch_and_add(total, 1);
	return action;
}

/* Reads the destination port of a TCP or UDP header at l4. */
static __always_inline int parse_l4(void *l4, void *data_end, __u8 proto, struct flow_info *flow)
{
	flow->l4_proto = proto;
	flow->has_ports = 0;
	if (proto == IPPROTO_TCP) {
		struct tcphdr *tcp = l4;

		if ((void *)(tcp + 1) > data_end)
			return -1;
		flow->dport = tcp->dest;
		flow->has_ports = 1;
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *udp = l4;

		if ((void *)(udp + 1) > data_end)
			return -1;
		flow->dport = udp->dest;
		flow->has_ports = 1;
	}
	return 0;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 bytes = data_end - data;
	struct ethhdr *eth = data;
	struct flow_info flow = {};
	__u32 *rule_id;

	if ((void *)(eth + 1) > data_end)
		return finish(VERDICT_DROP_RUNT, XDP_DROP);

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);
		struct ipv4_lpm_key key = { .prefixlen = 32 };

		if ((void *)(iph + 1) > data_end || iph->ihl < 5)
			return finish(VERDICT_PASS, XDP_PASS);
		key.addr = iph->saddr;
		rule_id = bpf_map_lookup_elem(&blocked_src_v4, &key);
		if (rule_id) {
			count_rule_hit(*rule_id, bytes);
			return finish(VERDICT_DROP_PREFIX, XDP_DROP);
		}
		/* Later fragments carry no L4 header. */
		if (iph->frag_off & bpf_htons(0x1fff))
			return finish(VERDICT_PASS, XDP_PASS);
		if (parse_l4((void *)iph + iph->ihl * 4, data_end, iph->protocol, &flow))
			return finish(VERDICT_PASS, XDP_PASS);
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if ((void *)(ip6h + 1) > data_end)
			return finish(VERDICT_PASS, XDP_PASS);
		if (parse_l4(ip6h + 1, data_end, ip6h->nexthdr, &flow))
			return finish(VERDICT_PASS, XDP_PASS);
	} else {
		return finish(VERDICT_PASS, XDP_PASS);
	}

	if (flow.has_ports) {
		struct port_key key = { .port = flow.dport, .proto = flow.l4_proto };

		rule_id = bpf_map_lookup_elem(&blocked_dst_ports, &key);
		if (rule_id) {
			count_rule_hit(*rule_id, bytes);
			return finish(VERDICT_DROP_PORT, XDP_DROP);
		}
	}
	return finish(VERDICT_PASS, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
