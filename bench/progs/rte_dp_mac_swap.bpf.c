// SPDX-License-Identifier: GPL-2.0
// mac_swap.bpf.c for testpmd's `bpf-load rx PORT QUEUE J FILE`: testpmd
// loads section .text and passes the packet data (not the mbuf) in r1; a
// non-zero return keeps the packet, which io forwarding then sends on.
typedef unsigned char __u8;
typedef unsigned long long __u64;

__u64 rte_dp_mac_swap(__u8 *pkt)
{
	__u8 tmp[6];

	__builtin_memcpy(tmp, pkt + 6, 6);
	__builtin_memcpy(pkt + 6, pkt, 6);
	__builtin_memcpy(pkt, tmp, 6);
	return 1;
}
