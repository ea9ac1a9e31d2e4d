// SPDX-License-Identifier: GPL-2.0
// Flooding a frame to a group of ports, as an L2 flood or a mirroring
// program does: bpf_redirect_map with BPF_F_BROADCAST (a copy to every entry
// of the map) and BPF_F_EXCLUDE_INGRESS (but the port it came in on). The
// map, key and flags come from `flood_config`, so the tests (test_broadcast)
// can try each map type and flag against the kernel's verdicts and on the
// dataplane's ports.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct flood_config {
	__u64 flags;
	__u32 key;
	__u32 map; /* 0: devmap, 1: devmap_hash, 2: cpumap */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flood_config);
} flood_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} flood_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} flood_ports_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} flood_cpus SEC(".maps");

SEC("xdp")
int flood(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct flood_config *cfg = bpf_map_lookup_elem(&flood_config, &zero);

	(void)ctx;
	if (!cfg)
		return XDP_ABORTED;
	if (cfg->map == 1)
		return bpf_redirect_map(&flood_ports_hash, cfg->key, cfg->flags);
	if (cfg->map == 2)
		return bpf_redirect_map(&flood_cpus, cfg->key, cfg->flags);
	return bpf_redirect_map(&flood_ports, cfg->key, cfg->flags);
}

char LICENSE[] SEC("license") = "GPL";
