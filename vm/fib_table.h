// The routing and neighbour tables bpf_fib_lookup and bpf_check_mtu read: one
// immutable snapshot of devices (ifindex, MAC, MTU, forwarding, addresses),
// routes per address family and table, and neighbours per device. Whoever
// owns the tables (the dataplane, replay, a host mirror) builds a new
// snapshot and publishes it through a Fib (fib.h); programs never see a
// table change under them.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "error.h"
#include "flat_map.h"

namespace xdpdk::vm {

constexpr uint8_t kAfInet = 2, kAfInet6 = 10;
constexpr uint32_t kRtTableMain = 254, kRtTableLocal = 255;

// An IPv4 (first 4 bytes) or IPv6 address, in network order.
struct FibAddr {
    uint8_t family = 0;
    std::array<uint8_t, 16> bytes{};
    size_t size() const { return family == kAfInet ? 4 : 16; }
    bool operator==(const FibAddr&) const = default;
};

// "10.0.0.1" or "fe80::1"; an error names what is wrong.
Result<FibAddr> parse_fib_addr(std::string_view text);
// "10.0.0.0/24", "2001:db8::/32", or a bare address (a host route). Bits set
// past the prefix length are an error, as `ip route` refuses them.
Result<std::pair<FibAddr, uint8_t>> parse_fib_prefix(std::string_view text);
std::string fib_addr_str(const FibAddr& a);
// "02:00:00:00:00:01".
Result<std::array<uint8_t, 6>> parse_mac(std::string_view text);

// The kernel's route types (RTN_*) that the lookup tells apart; every other
// one (multicast, anycast, nat, throw, ...) is not forwarded.
enum class RouteType : uint8_t { Unicast, Local, Broadcast, Blackhole, Unreachable, Prohibit, Other };
Result<RouteType> parse_route_type(std::string_view text);
const char* route_type_name(RouteType t);

struct FibRoute {
    FibAddr prefix;  // bits past prefix_len are zero
    uint8_t prefix_len = 0;
    RouteType type = RouteType::Unicast;
    uint32_t table = kRtTableMain;
    uint32_t oif = 0;      // output device (unicast, local)
    FibAddr gateway;       // family 0: on-link, the destination is the next hop
    FibAddr prefsrc;       // family 0: none (the device's address is used)
    uint32_t metric = 0;   // priority; rt_metric in the result
    // A locked route MTU (`ip route ... mtu lock N`): the kernel's forwarding
    // path uses a route's MTU only when it is locked; 0: the device's.
    uint32_t mtu = 0;
};

struct FibNeighbor {
    uint32_t ifindex = 0;
    FibAddr addr;
    std::array<uint8_t, 6> mac{};
};

struct FibDevice {
    uint32_t ifindex = 0;
    std::array<uint8_t, 6> mac{};
    uint32_t mtu = 1500;
    bool forwarding_ipv4 = true, forwarding_ipv6 = true;
    std::vector<FibAddr> addresses;  // for BPF_FIB_LOOKUP_SRC
};

// What goes into a snapshot.
struct FibEntries {
    std::vector<FibDevice> devices;
    std::vector<FibRoute> routes;
    std::vector<FibNeighbor> neighbors;
};

class FibTable {
public:
    // Routes of one prefix are kept in metric order (lowest first), as the
    // kernel's fib aliases are.
    explicit FibTable(FibEntries entries);
    // The indexes point into entries_.
    FibTable(const FibTable&) = delete;
    FibTable& operator=(const FibTable&) = delete;

    const FibDevice* device(uint32_t ifindex) const;
    bool has_table(uint8_t family, uint32_t table) const;
    // The longest-prefix route of `table` for `dst`. `oif` != 0 skips
    // unicast routes through another device and goes on to shorter prefixes
    // (IPv4 output lookups, the kernel's fib_table_lookup oif check); routes
    // that reject (blackhole, unreachable, prohibit) match whatever the oif.
    const FibRoute* lookup(uint32_t table, const FibAddr& dst, uint32_t oif = 0) const;
    const FibNeighbor* neighbor(uint32_t ifindex, const FibAddr& addr) const;

    const FibEntries& entries() const { return entries_; }

private:
    using NeighborKey = std::array<uint8_t, 24>;  // ifindex, family, address
    static NeighborKey neighbor_key(uint32_t ifindex, const FibAddr& addr);
    // One (family, table): per prefix length present, longest first, the
    // masked prefixes of that length. A hash per length instead of a trie:
    // lookups cost one probe per distinct length (a handful in real tables)
    // and a snapshot is rebuilt whole, never edited in place.
    struct Level {
        uint8_t len;
        FlatMap<16, std::vector<const FibRoute*>> prefixes;
    };
    struct Table {
        uint8_t family;
        uint32_t id;
        std::vector<Level> levels;
    };

    FibEntries entries_;
    std::vector<Table> tables_;
    FlatMap<8, const FibDevice*> devices_;
    FlatMap<24, const FibNeighbor*> neighbors_;
};

}  // namespace xdpdk::vm
