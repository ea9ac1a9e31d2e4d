// SPDX-License-Identifier: GPL-2.0
// Callbacks as XDP programs write them: bpf_loop walking a TCP header's
// options with a context struct (clamping the MSS option in place, as MSS
// clampers do), and bpf_for_each_map_elem summing counters over every map
// type that has it, deleting idle entries of a hash from inside the walk.
// Knobs in `cfg` choose the loop bound, the flags and where the walks stop,
// so the helpers' error returns are reached too; every return value lands in
// `results`.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define MSS_CLAMP 1400

/* TCP option kinds and lengths (RFC 9293, RFC 7323, RFC 2018). */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WINDOW 3
#define TCPOPT_SACK_PERM 4
#define TCPOLEN_MSS 4
#define TCPOLEN_WINDOW 3

struct bpf_map;

struct cfg {
	__u32 nr_loops;    /* bpf_loop's bound for the option walk */
	__u32 loop_flags;  /* passed as bpf_loop's flags */
	__u32 stop_after;  /* for_each callbacks stop after this many elements (0: never) */
	__u32 each_flags;  /* passed as bpf_for_each_map_elem's flags */
};

struct counter {
	__u64 packets;
	__u64 bytes;
};

struct results {
	__s64 loop_ret;
	__u32 opts_seen;
	__u16 mss_before;
	__u8 wscale;
	__u8 sack_ok;
	__s64 each_ret[6];   /* hash, array, percpu hash, percpu array, lru hash, lru percpu hash */
	__u64 each_packets[6];
	__u64 each_bytes[6];
	__u64 deleted;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cfg);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct results);
} results SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct counter);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct counter);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, struct counter);
} cpu_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct counter);
} cpu_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, struct counter);
} recent SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, struct counter);
} cpu_recent SEC(".maps");

/* ---- bpf_loop over the TCP options ---- */

struct opt_walk {
	void *opts;      /* first option byte */
	void *data_end;
	__u32 off;       /* next option, from opts */
	__u32 len;       /* bytes of options */
	__u32 seen;
	__u16 mss;
	__u8 wscale;
	__u8 sack_ok;
};

static long walk_option(__u32 index, struct opt_walk *w)
{
	__u32 off = w->off;
	__u8 *opt, kind, len;

	if (off >= w->len)
		return 1;
	opt = w->opts + (off & 63);
	if ((void *)(opt + 1) > w->data_end)
		return 1;
	kind = opt[0];
	if (kind == TCPOPT_EOL)
		return 1;
	w->seen++;
	if (kind == TCPOPT_NOP) {
		w->off = off + 1;
		return 0;
	}
	if ((void *)(opt + 2) > w->data_end)
		return 1;
	len = opt[1];
	if (len < 2)
		return 1;
	if (kind == TCPOPT_MSS && len == TCPOLEN_MSS) {
		__u16 *mss = (__u16 *)(opt + 2);

		if ((void *)(mss + 1) > w->data_end)
			return 1;
		w->mss = bpf_ntohs(*mss);
		if (w->mss > MSS_CLAMP)
			*mss = bpf_htons(MSS_CLAMP);
	} else if (kind == TCPOPT_WINDOW && len == TCPOLEN_WINDOW) {
		if ((void *)(opt + 3) > w->data_end)
			return 1;
		w->wscale = opt[2];
	} else if (kind == TCPOPT_SACK_PERM) {
		w->sack_ok = 1;
	}
	w->off = off + len;
	return 0;
}

/* ---- bpf_for_each_map_elem over counters ---- */

struct sum {
	__u64 packets;
	__u64 bytes;
	__u64 visited;
	__u64 deleted;
	__u32 stop_after;
};

static long add_counter(struct bpf_map *map, __u32 *key, struct counter *c, struct sum *s)
{
	s->packets += c->packets;
	s->bytes += c->bytes;
	s->visited++;
	if (s->stop_after && s->visited >= s->stop_after)
		return 1;
	return 0;
}

/* Sums, and deletes the idle entries (no packets) while walking. */
static long add_or_expire(struct bpf_map *map, __u32 *key, struct counter *c, struct sum *s)
{
	if (c->packets == 0) {
		if (bpf_map_delete_elem(map, key) == 0)
			s->deleted++;
		return 0;
	}
	return add_counter(map, key, c, s);
}

#define SUM_OVER(i, map, cb)                                                     \
	do {                                                                     \
		struct sum s = { .stop_after = c->stop_after };                  \
		r->each_ret[i] = bpf_for_each_map_elem(&map, cb, &s, c->each_flags); \
		r->each_packets[i] = s.packets;                                  \
		r->each_bytes[i] = s.bytes;                                      \
		r->deleted += s.deleted;                                         \
	} while (0)

SEC("xdp")
int callbacks_probe(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct tcphdr *tcp;
	__u32 zero = 0;
	struct cfg *c = bpf_map_lookup_elem(&cfg, &zero);
	struct results *r = bpf_map_lookup_elem(&results, &zero);

	if (!c || !r)
		return XDP_ABORTED;

	SUM_OVER(0, flows, add_or_expire);
	SUM_OVER(1, ports, add_counter);
	SUM_OVER(2, cpu_flows, add_counter);
	SUM_OVER(3, cpu_ports, add_counter);
	SUM_OVER(4, recent, add_or_expire);
	SUM_OVER(5, cpu_recent, add_counter);

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->ihl != 5 || ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	tcp = (void *)(ip + 1);
	if ((void *)(tcp + 1) > data_end)
		return XDP_PASS;

	struct opt_walk w = {
		.opts = tcp + 1,
		.data_end = data_end,
		.len = tcp->doff * 4 - sizeof(*tcp),
	};
	r->loop_ret = bpf_loop(c->nr_loops, walk_option, &w, c->loop_flags);
	r->opts_seen = w.seen;
	r->mss_before = w.mss;
	r->wscale = w.wscale;
	r->sack_ok = w.sack_ok;
	return w.mss > MSS_CLAMP ? XDP_TX : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
