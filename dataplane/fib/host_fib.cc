// Raw rtnetlink rather than libmnl or libnl: a dump request, a receive loop
// and attribute walking over linux/rtnetlink.h are all this needs, and the
// attribute macros come with the kernel headers already installed.
#include "host_fib.h"

#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace xdpdk::fib {
namespace {

// NLMSG_OK with its comparisons spelled out: the macro compares the u32
// nlmsg_len with an int, which clang's -Wsign-compare refuses.
bool message_fits(const nlmsghdr* h, int len) {
    return len >= static_cast<int>(sizeof(nlmsghdr)) && h->nlmsg_len >= sizeof(nlmsghdr) &&
           h->nlmsg_len <= static_cast<unsigned>(len);
}

Error sys_error(const std::string& what, int e) { return make_error("--fib host", what + ": " + std::strerror(e)); }

// include/net/neighbour.h's NUD_VALID (not in the uapi header).
constexpr uint16_t kNudValid = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY;

class NetlinkSocket {
public:
    ~NetlinkSocket() {
        if (fd_ >= 0) close(fd_);
    }
    static Result<NetlinkSocket> open(uint32_t groups) {
        NetlinkSocket s;
        s.fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (s.fd_ < 0) return sys_error("rtnetlink socket", errno);
        sockaddr_nl addr{};
        addr.nl_family = AF_NETLINK;
        addr.nl_groups = groups;
        if (bind(s.fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return sys_error("rtnetlink bind", errno);
        return s;
    }
    NetlinkSocket() = default;
    NetlinkSocket(NetlinkSocket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    int release() {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }

    // Sends a dump request of `type` with header `body`, and calls `each` for
    // every message of the answer.
    template <class Body, class Each>
    Status dump(uint16_t type, const Body& body, Each&& each) {
        struct {
            nlmsghdr h;
            Body b;
        } req{};
        req.h.nlmsg_len = NLMSG_LENGTH(sizeof(Body));
        req.h.nlmsg_type = type;
        req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        req.h.nlmsg_seq = ++seq_;
        req.b = body;
        if (send(fd_, &req, req.h.nlmsg_len, 0) < 0) return sys_error("rtnetlink send", errno);
        std::vector<char> buf(1 << 16);
        for (;;) {
            const ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
            if (n < 0) {
                if (errno == EINTR) continue;
                return sys_error("rtnetlink receive", errno);
            }
            int len = static_cast<int>(n);
            for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); message_fits(h, len); h = NLMSG_NEXT(h, len)) {
                if (h->nlmsg_seq != seq_) continue;
                if (h->nlmsg_type == NLMSG_DONE) return {};
                if (h->nlmsg_type == NLMSG_ERROR) {
                    const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
                    return sys_error("rtnetlink dump", -e->error);
                }
                each(h);
            }
        }
    }

private:
    int fd_ = -1;
    uint32_t seq_ = 0;
};

// The attributes after a fixed header, by type (the last of each type wins).
std::map<uint16_t, const rtattr*> attrs(const nlmsghdr* h, size_t header) {
    std::map<uint16_t, const rtattr*> out;
    int len = static_cast<int>(h->nlmsg_len) - static_cast<int>(NLMSG_LENGTH(header));
    for (auto* a = reinterpret_cast<const rtattr*>(static_cast<const char*>(NLMSG_DATA(h)) + NLMSG_ALIGN(header));
         RTA_OK(a, len); a = RTA_NEXT(a, len))
        out[a->rta_type] = a;
    return out;
}

vm::FibAddr addr_of(uint8_t family, const rtattr* a) {
    vm::FibAddr out;
    const size_t size = family == AF_INET ? 4 : 16;
    if (a == nullptr || RTA_PAYLOAD(a) < size) return out;
    out.family = family;
    std::memcpy(out.bytes.data(), RTA_DATA(a), size);
    return out;
}

uint32_t u32_of(const rtattr* a) {
    uint32_t v = 0;
    if (a && RTA_PAYLOAD(a) >= 4) std::memcpy(&v, RTA_DATA(a), 4);
    return v;
}

vm::RouteType route_type(uint8_t rtn) {
    switch (rtn) {
        case RTN_UNICAST: return vm::RouteType::Unicast;
        case RTN_LOCAL: return vm::RouteType::Local;
        case RTN_BROADCAST: return vm::RouteType::Broadcast;
        case RTN_BLACKHOLE: return vm::RouteType::Blackhole;
        case RTN_UNREACHABLE: return vm::RouteType::Unreachable;
        case RTN_PROHIBIT: return vm::RouteType::Prohibit;
        default: return vm::RouteType::Other;
    }
}

bool read_route(const nlmsghdr* h, vm::FibRoute& r) {
    const auto* rtm = static_cast<const rtmsg*>(NLMSG_DATA(h));
    if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) return false;
    if (rtm->rtm_flags & RTM_F_CLONED) return false;
    auto a = attrs(h, sizeof(rtmsg));
    r.prefix = addr_of(rtm->rtm_family, a[RTA_DST]);
    r.prefix.family = rtm->rtm_family;
    r.prefix_len = rtm->rtm_dst_len;
    r.type = route_type(rtm->rtm_type);
    r.table = a[RTA_TABLE] ? u32_of(a[RTA_TABLE]) : rtm->rtm_table;
    r.oif = u32_of(a[RTA_OIF]);
    r.metric = u32_of(a[RTA_PRIORITY]);
    if (a[RTA_GATEWAY]) r.gateway = addr_of(rtm->rtm_family, a[RTA_GATEWAY]);
    if (const rtattr* via = a[RTA_VIA]; via && RTA_PAYLOAD(via) >= sizeof(rtvia)) {
        const auto* v = static_cast<const rtvia*>(RTA_DATA(via));
        const size_t size = v->rtvia_family == AF_INET ? 4 : 16;
        if (RTA_PAYLOAD(via) >= sizeof(rtvia) + size) {
            r.gateway.family = static_cast<uint8_t>(v->rtvia_family);
            std::memcpy(r.gateway.bytes.data(), v->rtvia_addr, size);
        }
    }
    if (a[RTA_PREFSRC]) r.prefsrc = addr_of(rtm->rtm_family, a[RTA_PREFSRC]);
    // Multipath: the first next hop (xdpdk does not spread over paths).
    if (const rtattr* mp = a[RTA_MULTIPATH]; mp && RTA_PAYLOAD(mp) >= sizeof(rtnexthop)) {
        const auto* nh = static_cast<const rtnexthop*>(RTA_DATA(mp));
        r.oif = static_cast<uint32_t>(nh->rtnh_ifindex);
        int len = static_cast<int>(nh->rtnh_len) - static_cast<int>(RTNH_LENGTH(0));
        for (auto* x = static_cast<const rtattr*>(RTNH_DATA(nh)); RTA_OK(x, len); x = RTA_NEXT(x, len))
            if (x->rta_type == RTA_GATEWAY) r.gateway = addr_of(rtm->rtm_family, x);
    }
    // The route MTU counts for forwarding only when locked (ip_mtu_from_fib_result).
    if (const rtattr* m = a[RTA_METRICS]) {
        uint32_t mtu = 0, locks = 0;
        int len = static_cast<int>(RTA_PAYLOAD(m));
        for (auto* x = static_cast<const rtattr*>(RTA_DATA(m)); RTA_OK(x, len); x = RTA_NEXT(x, len)) {
            if (x->rta_type == RTAX_MTU) mtu = u32_of(x);
            if (x->rta_type == RTAX_LOCK) locks = u32_of(x);
        }
        if (locks & (1u << RTAX_MTU)) r.mtu = mtu;
    }
    return true;
}

bool read_neighbor(const nlmsghdr* h, vm::FibNeighbor& n) {
    const auto* nd = static_cast<const ndmsg*>(NLMSG_DATA(h));
    if (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6) return false;
    if (!(nd->ndm_state & kNudValid)) return false;  // what bpf_fib_lookup's neighbour check wants
    auto a = attrs(h, sizeof(ndmsg));
    if (!a[NDA_DST] || !a[NDA_LLADDR] || RTA_PAYLOAD(a[NDA_LLADDR]) != 6) return false;
    n.ifindex = static_cast<uint32_t>(nd->ndm_ifindex);
    n.addr = addr_of(nd->ndm_family, a[NDA_DST]);
    std::memcpy(n.mac.data(), RTA_DATA(a[NDA_LLADDR]), 6);
    return n.addr.family != 0;
}

bool sysctl_on(const std::string& path) {
    std::ifstream in(path);
    int v = 0;
    return in >> v && v != 0;
}

void read_link(const nlmsghdr* h, std::vector<vm::FibDevice>& devices) {
    const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(h));
    auto a = attrs(h, sizeof(ifinfomsg));
    vm::FibDevice d;
    d.ifindex = static_cast<uint32_t>(ifi->ifi_index);
    if (a[IFLA_ADDRESS] && RTA_PAYLOAD(a[IFLA_ADDRESS]) == 6) std::memcpy(d.mac.data(), RTA_DATA(a[IFLA_ADDRESS]), 6);
    if (a[IFLA_MTU]) d.mtu = u32_of(a[IFLA_MTU]);
    if (a[IFLA_IFNAME]) {
        const std::string name(static_cast<const char*>(RTA_DATA(a[IFLA_IFNAME])));
        d.forwarding_ipv4 = sysctl_on("/proc/sys/net/ipv4/conf/" + name + "/forwarding");
        d.forwarding_ipv6 = sysctl_on("/proc/sys/net/ipv6/conf/" + name + "/forwarding");
    }
    devices.push_back(d);
}

void read_address(const nlmsghdr* h, std::vector<vm::FibDevice>& devices) {
    const auto* ifa = static_cast<const ifaddrmsg*>(NLMSG_DATA(h));
    if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return;
    auto a = attrs(h, sizeof(ifaddrmsg));
    const rtattr* local = a[IFA_LOCAL] ? a[IFA_LOCAL] : a[IFA_ADDRESS];
    if (!local) return;
    for (vm::FibDevice& d : devices)
        if (d.ifindex == ifa->ifa_index) d.addresses.push_back(addr_of(ifa->ifa_family, local));
}

Result<vm::FibEntries> dump_with(NetlinkSocket& s) {
    vm::FibEntries e;
    XDPDK_RETURN_IF_ERROR(s.dump(RTM_GETLINK, ifinfomsg{}, [&](const nlmsghdr* h) { read_link(h, e.devices); }));
    XDPDK_RETURN_IF_ERROR(s.dump(RTM_GETADDR, ifaddrmsg{}, [&](const nlmsghdr* h) { read_address(h, e.devices); }));
    for (const uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
        rtmsg rtm{};
        rtm.rtm_family = family;
        XDPDK_RETURN_IF_ERROR(s.dump(RTM_GETROUTE, rtm, [&](const nlmsghdr* h) {
            vm::FibRoute r;
            if (read_route(h, r)) e.routes.push_back(r);
        }));
        ndmsg nd{};
        nd.ndm_family = family;
        XDPDK_RETURN_IF_ERROR(s.dump(RTM_GETNEIGH, nd, [&](const nlmsghdr* h) {
            vm::FibNeighbor n;
            if (read_neighbor(h, n)) e.neighbors.push_back(n);
        }));
    }
    return e;
}

constexpr uint32_t kGroups = RTMGRP_LINK | RTMGRP_NEIGH | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
                             RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;

}  // namespace

Result<vm::FibEntries> dump_host_fib() {
    XDPDK_ASSIGN_OR_RETURN(NetlinkSocket s, NetlinkSocket::open(0));
    return dump_with(s);
}

HostFibMirror::HostFibMirror(vm::Fib& fib, Adjust adjust, int events_fd)
    : fib_(fib), adjust_(std::move(adjust)), events_fd_(events_fd) {}

Result<std::unique_ptr<HostFibMirror>> HostFibMirror::start(vm::Fib& fib, Adjust adjust) {
    // Subscribed before the first dump, so no change between the two is missed.
    XDPDK_ASSIGN_OR_RETURN(NetlinkSocket events, NetlinkSocket::open(kGroups));
    std::unique_ptr<HostFibMirror> m(new HostFibMirror(fib, std::move(adjust), events.release()));
    XDPDK_RETURN_IF_ERROR(m->republish());
    m->thread_ = std::thread([p = m.get()] { p->follow(); });
    return m;
}

HostFibMirror::~HostFibMirror() {
    stop_.store(true, std::memory_order_relaxed);
    if (thread_.joinable()) thread_.join();
    close(events_fd_);
}

Status HostFibMirror::republish() {
    XDPDK_ASSIGN_OR_RETURN(vm::FibEntries e, dump_host_fib());
    if (adjust_) adjust_(e);
    fib_.publish(std::make_unique<vm::FibTable>(std::move(e)));
    published_.fetch_add(1, std::memory_order_acq_rel);
    return {};
}

void HostFibMirror::follow() {
    std::vector<char> buf(1 << 16);
    while (!stop_.load(std::memory_order_relaxed)) {
        pollfd p{events_fd_, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0) continue;
        // Drain the whole batch (and an overrun: ENOBUFS means some were
        // lost, which a full dump covers anyway), then dump once.
        while (recv(events_fd_, buf.data(), buf.size(), MSG_DONTWAIT) > 0 || errno == ENOBUFS) {
        }
        if (!republish()) continue;  // the next notification retries
    }
}

}  // namespace xdpdk::fib
