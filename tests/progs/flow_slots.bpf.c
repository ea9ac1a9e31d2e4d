// Counts UDP datagrams to port 9 (discard) per source port in a per-CPU hash,
// so a test can see which worker (CPU slot) each flow reached: with RSS every
// flow stays on one queue, and different flows spread over the queues.
// Everything is dropped.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(max_entries, 1024);
    __type(key, __u32);    // UDP source port, host order
    __type(value, __u64);  // datagrams
} flow_packets SEC(".maps");

SEC("xdp")
int xdp_flow_slots(struct xdp_md *ctx) {
    void *data = (void *)(long)ctx->data;
    void *data_end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = (void *)(eth + 1);
    struct udphdr *udp = (void *)(ip + 1);
    if ((void *)(udp + 1) > data_end) return XDP_DROP;
    if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 || ip->protocol != IPPROTO_UDP) return XDP_DROP;
    if (udp->dest != bpf_htons(9)) return XDP_DROP;
    __u32 flow = bpf_ntohs(udp->source);
    __u64 *count = bpf_map_lookup_elem(&flow_packets, &flow);
    if (count) {
        *count += 1;
    } else {
        __u64 one = 1;
        bpf_map_update_elem(&flow_packets, &flow, &one, BPF_NOEXIST);
    }
    return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
