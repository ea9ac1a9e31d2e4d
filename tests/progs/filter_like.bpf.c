// A packet filter shaped like xdp-tools' xdp-filter: parses Ethernet with
// up to two VLAN tags, IPv4 or IPv6, then TCP or UDP, and looks the
// packet's source and destination up in per-field maps (MAC, IPv4, IPv6
// address, port), each under a feature flag read from a config map at run
// time (xdp-filter picks its features at compile time, one object per set;
// here all sets are one program, so the verifier sees every combination).
// A hit whose value has the direction's bit set counts the packet in the
// entry and decides the verdict: drop in deny mode, pass in allow mode.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define FEAT_ETHERNET (1u << 0)
#define FEAT_IPV4 (1u << 1)
#define FEAT_IPV6 (1u << 2)
#define FEAT_TCP (1u << 3)
#define FEAT_UDP (1u << 4)
#define FEAT_ALLOW (1u << 5)  // allow mode: only hits pass

#define MAP_FLAG_SRC (1ull << 32)
#define MAP_FLAG_DST (1ull << 33)
#define MAP_FLAG_TCP (1ull << 34)
#define MAP_FLAG_UDP (1ull << 35)
#define COUNTER_MASK 0xffffffffull

#define VLAN_MAX_DEPTH 2

struct vlan_hdr {
    __be16 h_vlan_TCI;
    __be16 h_vlan_encapsulated_proto;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);  // FEAT_* bits
} filter_config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 65536);
    __type(key, __u32);    // port, host order
    __type(value, __u64);  // MAP_FLAG_* | hits
} filter_ports SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u32);
    __type(value, __u64);
} filter_ipv4 SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, struct in6_addr);
    __type(value, __u64);
} filter_ipv6 SEC(".maps");

struct ethaddr {
    __u8 addr[ETH_ALEN];
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, struct ethaddr);
    __type(value, __u64);
} filter_ethernet SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 5);
    __type(key, __u32);  // the verdict
    __type(value, __u64);
} verdicts SEC(".maps");

static __always_inline int hit(__u64 *v, __u64 flags) {
    if (v && (*v & flags) == flags) {
        __sync_fetch_and_add(v, 1);
        return 1;
    }
    return 0;
}

static __always_inline int match_ports(void *map, __u16 sport, __u16 dport, __u64 proto_flag) {
    __u32 key = sport;
    if (hit(bpf_map_lookup_elem(map, &key), MAP_FLAG_SRC | proto_flag)) return 1;
    key = dport;
    return hit(bpf_map_lookup_elem(map, &key), MAP_FLAG_DST | proto_flag);
}

static __always_inline __u32 record(__u32 action) {
    __u64 *v = bpf_map_lookup_elem(&verdicts, &action);
    if (v) __sync_fetch_and_add(v, 1);
    return action;
}

SEC("xdp")
int xdp_filter_like(struct xdp_md *ctx) {
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    __u32 zero = 0;
    __u32 *cfg = bpf_map_lookup_elem(&filter_config, &zero);
    if (!cfg) return XDP_ABORTED;
    const __u32 feat = *cfg;
    const __u32 on_hit = feat & FEAT_ALLOW ? XDP_PASS : XDP_DROP;
    const __u32 on_miss = feat & FEAT_ALLOW ? XDP_DROP : XDP_PASS;

    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end) return record(on_miss);
    void *cur = eth + 1;
    __u16 proto = eth->h_proto;
#pragma unroll
    for (int i = 0; i < VLAN_MAX_DEPTH; i++) {
        if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD)) break;
        struct vlan_hdr *vh = cur;
        if ((void *)(vh + 1) > data_end) return record(on_miss);
        proto = vh->h_vlan_encapsulated_proto;
        cur = vh + 1;
    }

    if (feat & FEAT_ETHERNET) {
        struct ethaddr src, dst;
        __builtin_memcpy(src.addr, eth->h_source, ETH_ALEN);
        __builtin_memcpy(dst.addr, eth->h_dest, ETH_ALEN);
        if (hit(bpf_map_lookup_elem(&filter_ethernet, &src), MAP_FLAG_SRC) ||
            hit(bpf_map_lookup_elem(&filter_ethernet, &dst), MAP_FLAG_DST))
            return record(on_hit);
    }

    __u8 l4 = 0;
    if (proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = cur;
        if ((void *)(ip + 1) > data_end) return record(on_miss);
        if (ip->ihl < 5) return record(XDP_DROP);
        if (feat & FEAT_IPV4) {
            __u32 saddr = ip->saddr, daddr = ip->daddr;
            if (hit(bpf_map_lookup_elem(&filter_ipv4, &saddr), MAP_FLAG_SRC) ||
                hit(bpf_map_lookup_elem(&filter_ipv4, &daddr), MAP_FLAG_DST))
                return record(on_hit);
        }
        l4 = ip->protocol;
        cur = (void *)ip + ip->ihl * 4;
    } else if (proto == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr *ip6 = cur;
        if ((void *)(ip6 + 1) > data_end) return record(on_miss);
        if (feat & FEAT_IPV6) {
            struct in6_addr saddr = ip6->saddr, daddr = ip6->daddr;
            if (hit(bpf_map_lookup_elem(&filter_ipv6, &saddr), MAP_FLAG_SRC) ||
                hit(bpf_map_lookup_elem(&filter_ipv6, &daddr), MAP_FLAG_DST))
                return record(on_hit);
        }
        l4 = ip6->nexthdr;
        cur = ip6 + 1;
    } else {
        return record(on_miss);
    }

    if (l4 == IPPROTO_TCP && (feat & FEAT_TCP)) {
        struct tcphdr *tcp = cur;
        if ((void *)(tcp + 1) > data_end) return record(on_miss);
        if (match_ports(&filter_ports, bpf_ntohs(tcp->source), bpf_ntohs(tcp->dest), MAP_FLAG_TCP))
            return record(on_hit);
    } else if (l4 == IPPROTO_UDP && (feat & FEAT_UDP)) {
        struct udphdr *udp = cur;
        if ((void *)(udp + 1) > data_end) return record(on_miss);
        if (match_ports(&filter_ports, bpf_ntohs(udp->source), bpf_ntohs(udp->dest), MAP_FLAG_UDP))
            return record(on_hit);
    }
    return record(on_miss);
}

char _license[] SEC("license") = "GPL";
