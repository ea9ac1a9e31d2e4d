// What an ELF program section makes of the functions in it, by libbpf's and
// libxdp's conventions. libxdp's loaders (xdp-loader, xdp_program__open_file)
// set the program type themselves, so a section of any name holds XDP
// programs unless its name is one libbpf gives another program type
// (kprobe/..., tc, socket, ...); those stay listed but are never loaded.
#pragma once

#include <string_view>

namespace xdpdk::vm {

// Where the kernel would run an XDP program (its expected_attach_type).
enum class XdpAttach : uint8_t {
    Ingress,  // BPF_XDP: the device's receive path
    Devmap,   // BPF_XDP_DEVMAP: a devmap entry's program; reads ctx->egress_ifindex
    Cpumap,   // BPF_XDP_CPUMAP: a cpumap entry's program
};

struct SectionKind {
    bool xdp = false;
    bool frags = false;  // xdp.frags...: the program takes multi-buffer frames
    XdpAttach attach = XdpAttach::Ingress;
    // Not XDP: the program type libbpf gives the section, as people know it
    // ("kprobe (BPF_PROG_TYPE_KPROBE)").
    std::string_view other_type;
};

SectionKind classify_section(std::string_view section);

const char* xdp_attach_name(XdpAttach a);  // "xdp", "xdp/devmap", "xdp/cpumap"

}  // namespace xdpdk::vm
