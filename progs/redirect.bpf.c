// SPDX-License-Identifier: GPL-2.0
// A port-to-port patch panel: every frame received on a port is redirected to
// the port paired with it in a devmap (keyed by ingress ifindex). Ports
// without a pair fall back to the kernel stack through bpf_redirect_map's
// flags. LLDP frames are diverted to a monitoring port with bpf_redirect, when
// one is configured.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_PORTS 64
#define ETH_P_LLDP_ 0x88CC

struct redirect_config {
	__u32 monitor_ifindex; /* 0: LLDP follows the normal path */
};

struct port_counter {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, MAX_PORTS);
	__type(key, __u32);
	__type(value, __u32);
} tx_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct redirect_config);
} redirect_cfg SEC(".maps");

/* Frames seen per ingress port. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_PORTS);
	__type(key, __u32);
	__type(value, struct port_counter);
} rx_stats SEC(".maps");

SEC("xdp")
int xdp_redirect_ports(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 ingress = ctx->ingress_ifindex;
	struct ethhdr *eth = data;
	struct port_counter *counter;
	struct redirect_config *cfg;
	__u32 zero = 0;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;

	counter = bpf_map_lookup_elem(&rx_stats, &ingress);
	if (counter) {
		counter->packets++;
		counter->bytes += data_end - data;
	}

	if (eth->h_proto == bpf_htons(ETH_P_LLDP_)) {
		cfg = bpf_map_lookup_elem(&redirect_cfg, &zero);
		if (cfg && cfg->monitor_ifindex)
			return bpf_redirect(cfg->monitor_ifindex, 0);
	}

	/* No pair for this port: hand the frame to the stack instead. */
	return bpf_redirect_map(&tx_port, ingress, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
