// A CO-RE load of a field some targets lack, not guarded by
// bpf_core_field_exists: where the target lacks it, the poisoned load is
// reached and the program is refused (test_core_reloc).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct core_rec {
    __u32 id;
    __u32 gone;
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

SEC("xdp")
int core_unguarded(struct xdp_md *ctx)
{
    __u32 zero = 0;
    struct core_rec *r = bpf_map_lookup_elem(&core_mem, &zero);

    if (!r)
        return XDP_ABORTED;
    return r->gone ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
