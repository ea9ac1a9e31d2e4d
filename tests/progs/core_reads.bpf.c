// CO-RE reads of a record whose layout the target BTF decides
// (test_core_reloc): plain field loads, a field that grew from u32 to u64,
// bitfields read with BPF_CORE_READ_BITFIELD, an array element, and the
// exists/size/enum/type-id queries of bpf_core_read.h. Each result goes to
// its own slot of core_out.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct core_point {
    int x;
    int y;
} __attribute__((preserve_access_index));

struct core_rec {
    __u32 id;
    struct core_point pt;
    unsigned int lo : 3;
    int sval : 5;
    __u32 count;
    __u32 gone;  // the target lacks it
    int arr[4];
} __attribute__((preserve_access_index));

struct core_absent {
    int z;
};

// A local flavor of the target's struct core_flag.
struct core_flag___new {
    __u16 bits;
} __attribute__((preserve_access_index));

enum core_color { CORE_RED, CORE_GREEN, CORE_BLUE };

struct core_mem {
    __u8 bytes[128];
};

struct core_results {
    __u64 v[17];
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct core_mem);
} core_mem SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct core_results);
} core_out SEC(".maps");

SEC("xdp")
int core_reads(struct xdp_md *ctx)
{
    __u32 zero = 0;
    struct core_rec *r = bpf_map_lookup_elem(&core_mem, &zero);
    struct core_results *out = bpf_map_lookup_elem(&core_out, &zero);

    if (!r || !out)
        return XDP_ABORTED;
    out->v[0] = r->id;
    out->v[1] = r->pt.y;
    out->v[2] = r->count;
    out->v[3] = BPF_CORE_READ_BITFIELD(r, lo);
    out->v[4] = BPF_CORE_READ_BITFIELD(r, sval);
    out->v[5] = bpf_core_field_exists(r->gone);
    // Guarded: where the target lacks the field, the poisoned load is dead.
    if (bpf_core_field_exists(r->gone))
        out->v[6] = r->gone;
    else
        out->v[6] = 0xdead;
    out->v[7] = bpf_core_field_size(r->count);
    out->v[8] = bpf_core_type_exists(struct core_absent);
    out->v[9] = bpf_core_type_size(struct core_rec);
    out->v[10] = bpf_core_enum_value_exists(enum core_color, CORE_GREEN);
    out->v[11] = bpf_core_enum_value(enum core_color, CORE_BLUE);
    out->v[12] = bpf_core_type_id_kernel(struct core_rec);
    out->v[13] = r->arr[2];
    out->v[14] = bpf_core_type_id_local(struct core_rec);
    out->v[15] = bpf_core_field_offset(struct core_flag___new, bits);
    // Guarded: where the target lacks CORE_GREEN, the poisoned ldimm64 is dead.
    if (bpf_core_enum_value_exists(enum core_color, CORE_GREEN))
        out->v[16] = bpf_core_enum_value(enum core_color, CORE_GREEN);
    else
        out->v[16] = 0xbeef;
    return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
