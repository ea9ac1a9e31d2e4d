// Walks TCP options the way SYN proxies and load balancers do (Katran's
// and Suricata's parsers, the kernel's xdp_synproxy selftest): up to 40
// bytes of options, one kind/length pair per step (at most 15 steps), in a
// bounded loop with a packet bounds check before each read. Records the MSS
// and the timestamp it finds in a map value, clamps the MSS to the
// configured ceiling (rewriting the packet and fixing the checksum
// incrementally), and keeps the peer's TSval per source port.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

// Options looked at per packet, as Katran bounds it
// (TCP_HDR_OPT_MAX_OPT_CHECKS); one step per byte (40) is more than
// Linux 6.18 verifies within its budget for this loop.
#define MAX_OPT_STEPS 15

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_TIMESTAMP 8

struct seen {
    __u32 mss;     // as sent, host order; 0: none
    __u32 tsval;
    __u32 has_ts;
    __u32 clamped;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);  // MSS ceiling; 0: no clamping
} mss_limit SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct seen);  // the last packet's options
} last_seen SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 256);
    __type(key, __u32);    // source port, host order
    __type(value, __u32);  // the peer's TSval
} peer_tsval SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);    // 0 walked, 1 had MSS, 2 clamped, 3 malformed
    __type(value, __u64);
} stats SEC(".maps");

static __always_inline void bump(__u32 key) {
    __u64 *v = bpf_map_lookup_elem(&stats, &key);
    if (v) *v += 1;
}

static __always_inline __u16 csum_replace16(__u16 check, __u16 old, __u16 new) {
    // RFC 1624: HC' = ~(~HC + ~m + m')
    __u32 sum = (__u16)~check + (__u16)~old + new;
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return ~sum;
}

SEC("xdp")
int xdp_tcp_opts_walk(struct xdp_md *ctx) {
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end) return XDP_PASS;
    if (eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end) return XDP_DROP;
    if (ip->protocol != IPPROTO_TCP || ip->ihl != 5) return XDP_PASS;
    struct tcphdr *tcp = (void *)(ip + 1);
    if ((void *)(tcp + 1) > data_end) return XDP_DROP;
    __u32 opt_len = tcp->doff * 4;
    if (opt_len < sizeof(*tcp)) {
        bump(3);
        return XDP_DROP;
    }
    opt_len -= sizeof(*tcp);

    __u32 zero = 0;
    struct seen *seen = bpf_map_lookup_elem(&last_seen, &zero);
    __u32 *limitp = bpf_map_lookup_elem(&mss_limit, &zero);
    if (!seen || !limitp) return XDP_ABORTED;
    const __u32 limit = *limitp;
    seen->mss = seen->tsval = seen->has_ts = seen->clamped = 0;

    // The cursor is an offset into the options, masked after each step as
    // verifier-friendly parsers keep offsets small: off + len <= opt_len
    // <= 40 is already checked, so the mask changes no value, but every
    // iteration's offset gets the same known bounds. What the walk finds
    // goes to the map value rather than live registers, so the states at
    // the loop head differ only by the offset.
    __u8 *opts = (void *)(tcp + 1);
    __u32 off = 0;
    for (int i = 0; i < MAX_OPT_STEPS; i++) {
        if (off >= opt_len) break;
        __u8 *p = opts + off;
        if ((void *)(p + 1) > data_end) break;
        __u8 kind = p[0];
        if (kind == TCPOPT_EOL) break;
        if (kind == TCPOPT_NOP) {
            off++;
            continue;
        }
        if ((void *)(p + 2) > data_end) break;
        __u8 len = p[1];
        if (len < 2 || off + len > opt_len) {
            bump(3);
            return XDP_DROP;
        }
        if (kind == TCPOPT_MSS && len == 4) {
            if ((void *)(p + 4) > data_end) break;
            __u16 *mss = (__u16 *)(p + 2);
            seen->mss = bpf_ntohs(*mss);
            if (limit && seen->mss > limit) {
                __u16 old = *mss;
                __u16 new = bpf_htons((__u16)limit);
                *mss = new;
                tcp->check = csum_replace16(tcp->check, old, new);
                seen->clamped = 1;
            }
        } else if (kind == TCPOPT_TIMESTAMP && len == 10) {
            if ((void *)(p + 10) > data_end) break;
            seen->tsval = ((__u32)p[2] << 24) | ((__u32)p[3] << 16) | ((__u32)p[4] << 8) | p[5];
            seen->has_ts = 1;
        }
        off = (off + len) & 0x3f;
    }
    bump(0);
    if (seen->mss) bump(1);
    if (seen->clamped) bump(2);
    if (seen->has_ts) {
        __u32 port = bpf_ntohs(tcp->source);
        __u32 tsval = seen->tsval;
        bpf_map_update_elem(&peer_tsval, &port, &tsval, BPF_ANY);
    }
    return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
