// Walks IPv6 extension headers the way xdp-tools' parsing_helpers.h
// (skip_ip6hdrext) does: a bounded loop of up to 8 headers (hop-by-hop,
// routing, destination options, fragment, AH), each checked against
// data_end before it is read. Counts packets per final next header and
// per number of extension headers; drops non-first fragments and packets
// whose chain does not end within the bound. A loop the verifier must
// iterate (clang keeps it rolled): the state at the loop head differs by
// the header offset on each iteration.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define MAX_EXT_HDRS 8

struct opt_hdr {
    __u8 nexthdr;
    __u8 hdrlen;  // 8-byte units after the first 8 (AH: 4-byte units after the first 8, minus 2)
};

struct frag_hdr {
    __u8 nexthdr;
    __u8 reserved;
    __be16 frag_off;
    __be32 identification;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 256);
    __type(key, __u32);    // the upper-layer protocol the chain ends in
    __type(value, __u64);  // packets
} final_proto SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, MAX_EXT_HDRS + 1);
    __type(key, __u32);    // extension headers walked
    __type(value, __u64);  // packets
} chain_len SEC(".maps");

static __always_inline void count(void *map, __u32 key) {
    __u64 *v = bpf_map_lookup_elem(map, &key);
    if (v) __sync_fetch_and_add(v, 1);
}

SEC("xdp")
int xdp_ipv6_ext_walk(struct xdp_md *ctx) {
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > data_end) return XDP_PASS;
    if (eth->h_proto != bpf_htons(ETH_P_IPV6)) return XDP_PASS;
    struct ipv6hdr *ip6 = (void *)(eth + 1);
    if ((void *)(ip6 + 1) > data_end) return XDP_DROP;

    void *cur = ip6 + 1;
    __u8 next = ip6->nexthdr;
    __u32 walked = 0;
    for (int i = 0; i < MAX_EXT_HDRS; i++) {
        switch (next) {
            case IPPROTO_HOPOPTS:
            case IPPROTO_ROUTING:
            case IPPROTO_DSTOPTS: {
                struct opt_hdr *h = cur;
                if ((void *)(h + 1) > data_end) return XDP_DROP;
                next = h->nexthdr;
                cur += (h->hdrlen + 1) * 8;
                break;
            }
            case IPPROTO_AH: {
                struct opt_hdr *h = cur;
                if ((void *)(h + 1) > data_end) return XDP_DROP;
                next = h->nexthdr;
                cur += (h->hdrlen + 2) * 4;
                break;
            }
            case IPPROTO_FRAGMENT: {
                struct frag_hdr *f = cur;
                if ((void *)(f + 1) > data_end) return XDP_DROP;
                if (f->frag_off & bpf_htons(0xfff8)) return XDP_DROP;  // not the first fragment
                next = f->nexthdr;
                cur = f + 1;
                break;
            }
            default:
                goto done;
        }
        walked++;
    }
    // The chain did not end within the bound.
    if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_DSTOPTS ||
        next == IPPROTO_AH || next == IPPROTO_FRAGMENT)
        return XDP_DROP;
done:
    count(&final_proto, next);
    count(&chain_len, walked);
    // The first byte of the upper-layer header must be in the packet.
    if (cur + 1 > data_end) return XDP_DROP;
    return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
