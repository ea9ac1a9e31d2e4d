// bpf_fib_lookup and bpf_check_mtu against the run's FIB (ExecContext::fib),
// with the kernel's semantics (net/core/filter.c: bpf_ipv4_fib_lookup,
// bpf_ipv6_fib_lookup, bpf_xdp_check_mtu): the same checks in the same
// order, so the same return code and the same fields written for a given
// table. Differences that follow from xdpdk's tables: no policy rules (the
// kernel's default rules: IPv4 looks in its merged local+main table, IPv6 in
// local then main), no multipath, no lightweight tunnels, and routes through
// a device the table does not have are not forwarded.
#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "fib.h"
#include "helper_impl.h"
#include "xdp.h"

namespace xdpdk::vm {
namespace {

uint64_t err(int e) { return static_cast<uint64_t>(-static_cast<int64_t>(e)); }

constexpr uint32_t kFibLookupMark = 1u << 5;  // BPF_FIB_LOOKUP_MARK (Linux 6.10); no rules here, so no effect
constexpr uint32_t kFibFlags = BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_OUTPUT | BPF_FIB_LOOKUP_SKIP_NEIGH |
                               BPF_FIB_LOOKUP_TBID | BPF_FIB_LOOKUP_SRC | kFibLookupMark;
constexpr uint32_t kIpMaxMtu = 0xFFFF, kIpv6MinMtu = 1280;
constexpr uint32_t kEthHardHeaderLen = 14;  // dev->hard_header_len of an Ethernet device
constexpr uint32_t kDefaultMtu = 1500;

const FibTable& table_of(const ExecContext* ex) {
    static const FibTable empty{FibEntries{}};
    return ex->fib ? ex->fib->current() : empty;
}

FibAddr addr_from(uint8_t family, const void* bytes) {
    FibAddr a;
    a.family = family;
    std::memcpy(a.bytes.data(), bytes, family == kAfInet ? 4 : 16);
    return a;
}

// The route the lookup forwards by, or a BPF_FIB_LKUP_RET_* code.
struct Found {
    const FibRoute* route = nullptr;
    int code = BPF_FIB_LKUP_RET_SUCCESS;
};

Found find_route(const FibTable& t, bpf_fib_lookup* p, uint8_t family, const FibAddr& dst, uint32_t flags) {
    const uint32_t oif = (flags & BPF_FIB_LOOKUP_OUTPUT) && family == kAfInet ? p->ifindex : 0;
    const FibRoute* r = nullptr;
    if (flags & BPF_FIB_LOOKUP_DIRECT) {
        uint32_t tbid = kRtTableMain;
        if (flags & BPF_FIB_LOOKUP_TBID) {
            tbid = p->tbid;
            p->tbid = 0;  // zeroed for the vlan output that shares it
        }
        // IPv4's local table is merged into main while no rules exist.
        if (family == kAfInet && tbid == kRtTableLocal) tbid = kRtTableMain;
        if (!t.has_table(family, tbid)) return {nullptr, BPF_FIB_LKUP_RET_NOT_FWDED};
        r = t.lookup(tbid, dst, oif);
    } else if (family == kAfInet) {
        r = t.lookup(kRtTableMain, dst, oif);
    } else {
        r = t.lookup(kRtTableLocal, dst, oif);
        if (r == nullptr) r = t.lookup(kRtTableMain, dst, oif);
    }
    if (r == nullptr) return {nullptr, BPF_FIB_LKUP_RET_NOT_FWDED};
    switch (r->type) {
        case RouteType::Unicast: return {r, BPF_FIB_LKUP_RET_SUCCESS};
        case RouteType::Blackhole: return {nullptr, BPF_FIB_LKUP_RET_BLACKHOLE};
        case RouteType::Unreachable: return {nullptr, BPF_FIB_LKUP_RET_UNREACHABLE};
        case RouteType::Prohibit: return {nullptr, BPF_FIB_LKUP_RET_PROHIBIT};
        default: return {nullptr, BPF_FIB_LKUP_RET_NOT_FWDED};
    }
}

// The source address a route gives (BPF_FIB_LOOKUP_SRC): its preferred
// source, else an address of the output device (of any device for IPv6, as
// source address selection would find one), if there is one.
const FibAddr* source_for(const FibTable& t, const FibRoute& r, const FibDevice& dev) {
    if (r.prefsrc.family != 0) return &r.prefsrc;
    auto usable = [&](const FibAddr& a) {
        return a.family == r.prefix.family && !(a.family == kAfInet6 && a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80);
    };
    for (const FibAddr& a : dev.addresses)
        if (usable(a)) return &a;
    if (r.prefix.family == kAfInet6)
        for (const FibDevice& d : t.entries().devices)
            for (const FibAddr& a : d.addresses)
                if (usable(a)) return &a;
    return nullptr;
}

// link-local, multicast and loopback IPv6 addresses are never forwarded
// (the kernel's rt6_need_strict).
bool ipv6_strict(const uint8_t* a) {
    static constexpr uint8_t kLoopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || std::memcmp(a, kLoopback, 16) == 0;
}

int fib_lookup(const FibTable& t, bpf_fib_lookup* p, uint32_t flags) {
    const uint8_t family = p->family;
    uint8_t* dst_bytes = family == kAfInet ? reinterpret_cast<uint8_t*>(&p->ipv4_dst) : reinterpret_cast<uint8_t*>(p->ipv6_dst);
    uint8_t* src_bytes = family == kAfInet ? reinterpret_cast<uint8_t*>(&p->ipv4_src) : reinterpret_cast<uint8_t*>(p->ipv6_src);
    if (family == kAfInet6 && (ipv6_strict(dst_bytes) || ipv6_strict(src_bytes))) return BPF_FIB_LKUP_RET_NOT_FWDED;
    const FibDevice* in = t.device(p->ifindex);
    if (in == nullptr) return -ENODEV;
    if (!(family == kAfInet ? in->forwarding_ipv4 : in->forwarding_ipv6)) return BPF_FIB_LKUP_RET_FWD_DISABLED;

    const FibAddr dst = addr_from(family, dst_bytes);
    const Found found = find_route(t, p, family, dst, flags);
    if (found.route == nullptr) return found.code;
    const FibRoute& r = *found.route;
    const FibDevice* out = t.device(r.oif);
    if (out == nullptr) return BPF_FIB_LKUP_RET_NOT_FWDED;

    uint32_t mtu = r.mtu;
    if (mtu == 0) mtu = family == kAfInet ? std::min(out->mtu, kIpMaxMtu) : std::max(out->mtu, kIpv6MinMtu);
    if (p->tot_len > mtu) {
        p->mtu_result = static_cast<uint16_t>(mtu);  // union with tot_len
        return BPF_FIB_LKUP_RET_FRAG_NEEDED;
    }
    p->rt_metric = r.metric;
    p->ifindex = r.oif;
    FibAddr next_hop = dst;
    if (r.gateway.family == kAfInet6 && family == kAfInet) {
        // An IPv4 route through an IPv6 next hop (RTA_VIA): the result is IPv6.
        p->family = kAfInet6;
        std::memcpy(p->ipv6_dst, r.gateway.bytes.data(), 16);
        next_hop = r.gateway;
    } else if (r.gateway.family != 0) {
        std::memcpy(dst_bytes, r.gateway.bytes.data(), r.gateway.size());
        next_hop = r.gateway;
    }
    if (flags & BPF_FIB_LOOKUP_SRC) {
        const FibAddr* src = source_for(t, r, *out);
        if (src == nullptr && family == kAfInet6) return BPF_FIB_LKUP_RET_NO_SRC_ADDR;
        if (src) std::memcpy(src_bytes, src->bytes.data(), src->size());
        else std::memset(src_bytes, 0, 4);
    }
    if (!(flags & BPF_FIB_LOOKUP_SKIP_NEIGH)) {
        const FibNeighbor* n = t.neighbor(r.oif, next_hop);
        if (n == nullptr) return BPF_FIB_LKUP_RET_NO_NEIGH;
        std::memcpy(p->dmac, n->mac.data(), 6);
        std::memcpy(p->smac, out->mac.data(), 6);
    }
    p->h_vlan_TCI = 0;
    p->h_vlan_proto = 0;
    p->mtu_result = static_cast<uint16_t>(mtu);
    return BPF_FIB_LKUP_RET_SUCCESS;
}

}  // namespace

XDPDK_HELPER(helper_fib_lookup) {
    (void)r5;
    auto* params = reinterpret_cast<bpf_fib_lookup*>(r2);
    const int32_t plen = static_cast<int32_t>(r3);
    const uint32_t flags = static_cast<uint32_t>(r4);
    (void)r1;
    if (plen < static_cast<int32_t>(sizeof(bpf_fib_lookup))) return err(EINVAL);
    if (flags & ~kFibFlags) return err(EINVAL);
    if (params->family != kAfInet && params->family != kAfInet6) return err(EAFNOSUPPORT);
    return static_cast<uint64_t>(static_cast<int64_t>(fib_lookup(table_of(ex), params, flags)));
}

XDPDK_HELPER(helper_check_mtu) {
    const XdpBuff& x = *reinterpret_cast<const XdpBuff*>(r1);
    const uint32_t ifindex = static_cast<uint32_t>(r2);
    auto* mtu_len = reinterpret_cast<uint32_t*>(r3);
    const int32_t len_diff = static_cast<int32_t>(r4);
    if (r5 != 0) return err(EINVAL);  // the XDP variant takes no flags (no BPF_MTU_CHK_SEGS)
    const FibDevice* dev = table_of(ex).device(ifindex != 0 ? ifindex : x.ingress_ifindex);
    // The ingress port always exists; without a FIB entry it has the default MTU.
    if (dev == nullptr && ifindex != 0) return err(ENODEV);
    const uint32_t mtu = dev ? dev->mtu : kDefaultMtu;
    // The kernel's int arithmetic, wrapping as it does.
    const int32_t dev_len = static_cast<int32_t>(mtu + kEthHardHeaderLen);
    uint32_t len = static_cast<uint32_t>(x.data_end - x.data);
    if (*mtu_len) len = *mtu_len + kEthHardHeaderLen;
    len += static_cast<uint32_t>(len_diff);
    *mtu_len = mtu;
    return static_cast<int32_t>(len) > dev_len ? BPF_MTU_CHK_RET_FRAG_NEEDED : BPF_MTU_CHK_RET_SUCCESS;
}

}  // namespace xdpdk::vm
