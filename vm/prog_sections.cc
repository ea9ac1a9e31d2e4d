#include "prog_sections.h"

namespace xdpdk::vm {
namespace {

struct OtherType {
    std::string_view prefix;  // the section's name, or its part before the first '/'
    std::string_view type;
};

// libbpf's section table (libbpf.c section_defs) reduced to what tells a
// section's program type apart from XDP.
constexpr OtherType kOtherTypes[] = {
    {"socket", "socket filter (BPF_PROG_TYPE_SOCKET_FILTER)"},
    {"sk_reuseport", "sk_reuseport (BPF_PROG_TYPE_SK_REUSEPORT)"},
    {"kprobe", "kprobe (BPF_PROG_TYPE_KPROBE)"},
    {"kretprobe", "kprobe (BPF_PROG_TYPE_KPROBE)"},
    {"uprobe", "uprobe (BPF_PROG_TYPE_KPROBE)"},
    {"uretprobe", "uprobe (BPF_PROG_TYPE_KPROBE)"},
    {"uprobe.s", "uprobe (BPF_PROG_TYPE_KPROBE)"},
    {"uretprobe.s", "uprobe (BPF_PROG_TYPE_KPROBE)"},
    {"kprobe.multi", "kprobe (BPF_PROG_TYPE_KPROBE)"},
    {"kretprobe.multi", "kprobe (BPF_PROG_TYPE_KPROBE)"},
    {"kprobe.session", "kprobe (BPF_PROG_TYPE_KPROBE)"},
    {"uprobe.multi", "uprobe (BPF_PROG_TYPE_KPROBE)"},
    {"uretprobe.multi", "uprobe (BPF_PROG_TYPE_KPROBE)"},
    {"uprobe.multi.s", "uprobe (BPF_PROG_TYPE_KPROBE)"},
    {"uretprobe.multi.s", "uprobe (BPF_PROG_TYPE_KPROBE)"},
    {"uprobe.session", "uprobe (BPF_PROG_TYPE_KPROBE)"},
    {"ksyscall", "kprobe (BPF_PROG_TYPE_KPROBE)"},
    {"kretsyscall", "kprobe (BPF_PROG_TYPE_KPROBE)"},
    {"usdt", "usdt (BPF_PROG_TYPE_KPROBE)"},
    {"usdt.s", "usdt (BPF_PROG_TYPE_KPROBE)"},
    {"tc", "tc classifier (BPF_PROG_TYPE_SCHED_CLS)"},
    {"tcx", "tc classifier (BPF_PROG_TYPE_SCHED_CLS)"},
    {"netkit", "netkit (BPF_PROG_TYPE_SCHED_CLS)"},
    {"classifier", "tc classifier (BPF_PROG_TYPE_SCHED_CLS)"},
    {"action", "tc action (BPF_PROG_TYPE_SCHED_ACT)"},
    {"tracepoint", "tracepoint (BPF_PROG_TYPE_TRACEPOINT)"},
    {"tp", "tracepoint (BPF_PROG_TYPE_TRACEPOINT)"},
    {"raw_tracepoint", "raw tracepoint (BPF_PROG_TYPE_RAW_TRACEPOINT)"},
    {"raw_tp", "raw tracepoint (BPF_PROG_TYPE_RAW_TRACEPOINT)"},
    {"raw_tracepoint.w", "raw tracepoint (BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE)"},
    {"raw_tp.w", "raw tracepoint (BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE)"},
    {"tp_btf", "tracing (BPF_PROG_TYPE_TRACING)"},
    {"fentry", "tracing (BPF_PROG_TYPE_TRACING)"},
    {"fmod_ret", "tracing (BPF_PROG_TYPE_TRACING)"},
    {"fexit", "tracing (BPF_PROG_TYPE_TRACING)"},
    {"fentry.s", "tracing (BPF_PROG_TYPE_TRACING)"},
    {"fmod_ret.s", "tracing (BPF_PROG_TYPE_TRACING)"},
    {"fexit.s", "tracing (BPF_PROG_TYPE_TRACING)"},
    {"iter", "iterator (BPF_PROG_TYPE_TRACING)"},
    {"iter.s", "iterator (BPF_PROG_TYPE_TRACING)"},
    {"freplace", "extension (BPF_PROG_TYPE_EXT)"},
    {"lsm", "LSM (BPF_PROG_TYPE_LSM)"},
    {"lsm.s", "LSM (BPF_PROG_TYPE_LSM)"},
    {"lsm_cgroup", "LSM (BPF_PROG_TYPE_LSM)"},
    {"struct_ops", "struct_ops (BPF_PROG_TYPE_STRUCT_OPS)"},
    {"struct_ops.s", "struct_ops (BPF_PROG_TYPE_STRUCT_OPS)"},
    {"syscall", "syscall (BPF_PROG_TYPE_SYSCALL)"},
    {"perf_event", "perf event (BPF_PROG_TYPE_PERF_EVENT)"},
    {"lwt_in", "lightweight tunnel (BPF_PROG_TYPE_LWT_IN)"},
    {"lwt_out", "lightweight tunnel (BPF_PROG_TYPE_LWT_OUT)"},
    {"lwt_xmit", "lightweight tunnel (BPF_PROG_TYPE_LWT_XMIT)"},
    {"lwt_seg6local", "lightweight tunnel (BPF_PROG_TYPE_LWT_SEG6LOCAL)"},
    {"sockops", "sock_ops (BPF_PROG_TYPE_SOCK_OPS)"},
    {"sk_skb", "sk_skb (BPF_PROG_TYPE_SK_SKB)"},
    {"sk_msg", "sk_msg (BPF_PROG_TYPE_SK_MSG)"},
    {"lirc_mode2", "lirc (BPF_PROG_TYPE_LIRC_MODE2)"},
    {"flow_dissector", "flow dissector (BPF_PROG_TYPE_FLOW_DISSECTOR)"},
    {"cgroup_skb", "cgroup skb (BPF_PROG_TYPE_CGROUP_SKB)"},
    {"cgroup", "cgroup (BPF_PROG_TYPE_CGROUP_*)"},
    {"sk_lookup", "sk_lookup (BPF_PROG_TYPE_SK_LOOKUP)"},
    {"netfilter", "netfilter (BPF_PROG_TYPE_NETFILTER)"},
};

bool has_prefix(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// `section` is `base` or `base/...`.
bool is_or_under(std::string_view section, std::string_view base) {
    return section == base || (has_prefix(section, base) && section.size() > base.size() && section[base.size()] == '/');
}

}  // namespace

SectionKind classify_section(std::string_view section) {
    SectionKind k;
    const std::string_view first = section.substr(0, section.find('/'));
    for (const OtherType& t : kOtherTypes)
        if (first == t.prefix) {
            k.other_type = t.type;
            return k;
        }
    k.xdp = true;
    k.frags = is_or_under(section, "xdp.frags");
    // libbpf's exact "xdp/devmap" and "xdp.frags/devmap", and the legacy
    // "xdp_devmap/..." prefix; the same for cpumap.
    if (section == "xdp/devmap" || section == "xdp.frags/devmap" || has_prefix(section, "xdp_devmap/"))
        k.attach = XdpAttach::Devmap;
    else if (section == "xdp/cpumap" || section == "xdp.frags/cpumap" || has_prefix(section, "xdp_cpumap/"))
        k.attach = XdpAttach::Cpumap;
    return k;
}

const char* xdp_attach_name(XdpAttach a) {
    switch (a) {
        case XdpAttach::Ingress: return "xdp";
        case XdpAttach::Devmap: return "xdp/devmap";
        case XdpAttach::Cpumap: return "xdp/cpumap";
    }
    return "xdp";
}

}  // namespace xdpdk::vm
