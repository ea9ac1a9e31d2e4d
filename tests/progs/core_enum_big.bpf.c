// An unsigned 32-bit enumerator past INT32_MAX read with
// bpf_core_enum_value (test_core_reloc): clang 14 loads it zero-extended
// (`r1 = 2147483648 ll`) while libbpf reads a BTF enum32 value as __s32.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

enum core_big { CORE_BIG = 0x80000000u };

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} core_big_out SEC(".maps");

SEC("xdp")
int core_enum_big(struct xdp_md *ctx)
{
    __u32 zero = 0;
    __u64 *out = bpf_map_lookup_elem(&core_big_out, &zero);

    if (!out)
        return XDP_ABORTED;
    *out = bpf_core_enum_value(enum core_big, CORE_BIG);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
