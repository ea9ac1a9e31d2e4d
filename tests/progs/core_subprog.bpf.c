// A CO-RE field read in a subprogram two programs call (test_core_reloc):
// relocated once in .text, before it is appended to each caller.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct core_point {
    int x;
    int y;
} __attribute__((preserve_access_index));

struct core_rec {
    __u32 id;
    struct core_point pt;
} __attribute__((preserve_access_index));

struct core_mem {
    __u8 bytes[128];
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct core_mem);
} core_mem SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __s64);
} core_sub_out SEC(".maps");

static __attribute__((noinline)) int read_y(struct core_rec *r)
{
    return r->pt.y;
}

static __always_inline int record(__u32 slot, __s64 value)
{
    bpf_map_update_elem(&core_sub_out, &slot, &value, BPF_ANY);
    return XDP_PASS;
}

SEC("xdp")
int core_sub_a(struct xdp_md *ctx)
{
    __u32 zero = 0;
    struct core_rec *r = bpf_map_lookup_elem(&core_mem, &zero);

    if (!r)
        return XDP_ABORTED;
    return record(0, read_y(r));
}

SEC("xdp")
int core_sub_b(struct xdp_md *ctx)
{
    __u32 zero = 0;
    struct core_rec *r = bpf_map_lookup_elem(&core_mem, &zero);

    if (!r)
        return XDP_ABORTED;
    return record(1, (__s64)read_y(r) + r->id);
}

char _license[] SEC("license") = "GPL";
