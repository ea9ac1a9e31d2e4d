// A CO-RE relocation in an object without maps (test_core_reloc), so that
// stripping its .BTF leaves an object that still opens: the verdict is the
// size of struct core_pkt as the target lays it out.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct core_pkt {
    __u32 a;
    __u32 b;
} __attribute__((preserve_access_index));

SEC("xdp")
int core_nomaps(struct xdp_md *ctx)
{
    return bpf_core_type_size(struct core_pkt) == 8 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
