// SPDX-License-Identifier: GPL-2.0
// Maps declared the way real programs declare them, for test_map_format:
// `bpftool map dump` of the kernel's copies is the oracle for xdpdk's
// formatting of its own. Struct values with an enum, a char array, a nested
// struct, an array field, bitfields, a union and a bool; per-CPU maps; a hash
// with a struct key; a map sized by __uint only (no BTF); global data with
// a pointer.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum color { RED = 0, GREEN = 1, BLUE = 7, NEGATIVE = -3 };

typedef __u32 ifindex_t;

struct inner {
	__u16 port;
	__u8 flags;
	__u8 pad;
};

struct rec {
	__u32 id;
	enum color color;
	char name[12];
	struct inner in;
	__u32 ports[3];
	__u8 low : 3, high : 5;
	__s8 delta;
	_Bool up;
	char tag;
	ifindex_t ifindex;
	union {
		__u32 as_u32;
		__u8 as_bytes[4];
	} u;
	__s64 balance;
	unsigned __int128 wide;
};

struct flow_key {
	__u32 addr;
	__u16 port;
	__u8 proto;
	__u8 pad;
};

struct counters {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct rec);
	__uint(max_entries, 3);
} records SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct flow_key);
	__type(value, struct counters);
	__uint(max_entries, 16);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct counters);
	__uint(max_entries, 2);
} pcpu_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 8);
} pcpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 20);
	__uint(max_entries, 2);
} raw_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 6);
	__uint(max_entries, 1);
} raw_pcpu SEC(".maps");

// A value type without a key type: the kernel refuses the BTF for a hash,
// so libbpf creates it without.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(key_size, sizeof(__u32));
	__type(value, struct inner);
	__uint(max_entries, 4);
} keyless_hash SEC(".maps");

// A queue: no keys. bpftool's dump finds no elements (get_next_key fails);
// its lookup, without a key, peeks. libbpf gives the kernel no BTF for it.
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__type(value, struct inner);
	__uint(max_entries, 4);
} pending SEC(".maps");

__u64 bss_counter;
char bss_char;
__u32 bss_slots[2];
__u64 *bss_ptr;
struct inner data_inner = { .port = 8080, .flags = 3 };
__u32 data_value = 100;
const volatile __u32 ro_knob = 7;
const volatile char ro_name[8] = "knob";

SEC("xdp")
int xdp_map_format(struct xdp_md *ctx)
{
	__u32 idx = 0;
	struct rec *r = bpf_map_lookup_elem(&records, &idx);
	struct counters *c = bpf_map_lookup_elem(&pcpu_stats, &idx);

	if (r)
		r->id += ro_knob;
	if (c)
		c->packets++;
	bss_counter += data_value + data_inner.port;
	bss_char = ro_name[0];
	bss_slots[1]++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
