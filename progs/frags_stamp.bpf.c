// SPDX-License-Identifier: GPL-2.0
// Multi-buffer XDP (xdp.frags): a jumbo frame's bytes past the first buffer
// are reached with bpf_xdp_load_bytes / bpf_xdp_store_bytes, its length with
// bpf_xdp_get_buff_len, and its tail is trimmed or padded with
// bpf_xdp_adjust_tail, which on a multi-buffer frame works on the last frag.
//
// The frame's first payload byte (offset 14) picks the tail change; what
// every helper returned is written back into the frame at offset 16 (a
// struct stamp), so a test that compares output frames compares the helpers'
// results too. Frames of at least 60 bytes carry the whole stamp.
//
// Where the first buffer ends depends on the receiver (3520 bytes in the
// kernel's test run, a whole mbuf in DPDK); set stamp_linear_len to 0 to
// leave that out of the stamp and make the output independent of it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define LINEAR_MAX 3520 /* BPF_PROG_TEST_RUN's linear part: 4096 - 256 - 320 */
#define STAMP_OFF 16

const volatile __u8 stamp_linear_len = 1;

struct stamp {
	__u32 len_before;    /* bpf_xdp_get_buff_len on entry */
	__u32 linear_len;    /* data_end - data on entry */
	__s32 load_tail;     /* the last 16 bytes */
	__s32 load_cross;    /* 32 bytes across the end of the linear part */
	__s32 store_tail;    /* 8 bytes at the very end */
	__s32 store_cross;   /* 8 bytes across the end of the linear part */
	__s32 load_past_end; /* 8 bytes of which 4 are past the end: -EINVAL */
	__s32 load_far;      /* offset 0x10000: -EFAULT */
	__s32 adjust;        /* bpf_xdp_adjust_tail */
	__u32 len_after;     /* bpf_xdp_get_buff_len after it */
	__u32 sum;           /* of the bytes the loads read */
};

/* The tail change for each mode (byte 14 of the frame, modulo 8). */
static __always_inline int tail_delta(__u8 mode, __u32 len)
{
	switch (mode & 7) {
	case 0: return -100;              /* trim: may release a small last frag */
	case 1: return 64;                /* pad into the last buffer's tailroom */
	case 2: return -(int)(len - 14);  /* down to the Ethernet header */
	case 3: return -(int)(len - 13);  /* shorter than that: -EINVAL */
	case 4: return -(4096 + 100);     /* releases a whole frag on big frames */
	case 5: return 5000;              /* more than any tailroom: -EINVAL */
	case 6: return 0;
	default: return -2147483647 - 1;  /* INT_MIN */
	}
}

static __always_inline __u32 sum_bytes(const __u8 *b, int n)
{
	__u32 s = 0;

#pragma unroll
	for (int i = 0; i < 32; i++)
		if (i < n)
			s = s * 31 + b[i];
	return s;
}

SEC("xdp.frags")
int frags_stamp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct stamp st = {};
	__u8 tail[16], cross[32];
	__u8 mode;

	if (data + 15 > data_end)
		return XDP_PASS;
	mode = ((__u8 *)data)[14];

	st.len_before = bpf_xdp_get_buff_len(ctx);
	if (stamp_linear_len)
		st.linear_len = data_end - data;
	st.load_tail = bpf_xdp_load_bytes(ctx, st.len_before - sizeof(tail), tail, sizeof(tail));
	if (st.load_tail == 0)
		st.sum = sum_bytes(tail, sizeof(tail));
	st.load_cross = bpf_xdp_load_bytes(ctx, LINEAR_MAX - 10, cross, sizeof(cross));
	if (st.load_cross == 0)
		st.sum = st.sum * 7 + sum_bytes(cross, sizeof(cross));
	st.store_tail = bpf_xdp_store_bytes(ctx, st.len_before - 8, "TAILTAIL", 8);
	st.store_cross = bpf_xdp_store_bytes(ctx, LINEAR_MAX - 4, "CROSSING", 8);
	st.load_past_end = bpf_xdp_load_bytes(ctx, st.len_before - 4, cross, 8);
	st.load_far = bpf_xdp_load_bytes(ctx, 0x10000, cross, 4);

	st.adjust = bpf_xdp_adjust_tail(ctx, tail_delta(mode, st.len_before));
	st.len_after = bpf_xdp_get_buff_len(ctx);

	/* The frame may have become too short for the stamp. */
	if (bpf_xdp_store_bytes(ctx, STAMP_OFF, &st, sizeof(st)))
		return XDP_DROP;
	return XDP_TX;
}

/* Not frags-aware: it sees the first buffer only (data .. data_end), and
 * swaps the MAC addresses and stamps what it saw of the frame. */
SEC("xdp")
int frags_unaware(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u8 tmp[6];

	if (data + 20 > data_end)
		return XDP_PASS;
	__builtin_memcpy(tmp, p, 6);
	__builtin_memcpy(p, p + 6, 6);
	__builtin_memcpy(p + 6, tmp, 6);
	*(__u32 *)(p + STAMP_OFF) = (__u32)(data_end - data);
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
