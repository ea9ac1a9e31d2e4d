/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of DPDK's struct rte_mbuf (22.11, 64-bit) that the librte_bpf
 * variants of the samples read. librte_bpf hands a program an rte_mbuf when
 * its argument is RTE_BPF_ARG_PTR_MBUF; its validator knows that buf_addr is
 * a pointer to buf_size bytes and that data_off is the headroom, and checks
 * every packet access against that size statically. bench/rte_benchmarks.cc
 * checks these offsets against the real struct at compile time.
 */
#ifndef XDPDK_BENCH_RTE_MBUF_VIEW_H
#define XDPDK_BENCH_RTE_MBUF_VIEW_H

#include <linux/types.h>

struct rte_mbuf_view {
	void *buf_addr;    /* 0 */
	__u64 buf_iova;    /* 8 */
	__u16 data_off;    /* 16 */
	__u16 refcnt;      /* 18 */
	__u16 nb_segs;     /* 20 */
	__u16 port;        /* 22 */
	__u64 ol_flags;    /* 24 */
	__u32 packet_type; /* 32 */
	__u32 pkt_len;     /* 36 */
	__u16 data_len;    /* 40 */
};

/* XDP verdicts: the variants return the same codes as the samples. */
#define XDP_ABORTED 0
#define XDP_DROP 1
#define XDP_PASS 2
#define XDP_TX 3

static __attribute__((always_inline)) inline unsigned char *mbuf_data(struct rte_mbuf_view *mb)
{
	return (unsigned char *)mb->buf_addr + mb->data_off;
}

#endif
