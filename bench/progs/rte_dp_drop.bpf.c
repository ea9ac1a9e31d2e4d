// SPDX-License-Identifier: GPL-2.0
// xdp_drop.bpf.c for testpmd's `bpf-load rx PORT QUEUE J FILE`: returning 0
// from an rx callback program drops (frees) the packet.
typedef unsigned char __u8;
typedef unsigned long long __u64;

__u64 rte_dp_drop(__u8 *pkt)
{
	(void)pkt;
	return 0;
}
