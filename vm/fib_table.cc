#include "fib_table.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>

namespace xdpdk::vm {
namespace {
// 'text' (built by appending: GCC 12 warns falsely on "'" + s + "'").
std::string quoted(std::string_view text) {
    std::string q;
    q.reserve(text.size() + 2);
    q += '\'';
    q.append(text);
    q += '\'';
    return q;
}
}  // namespace

Result<FibAddr> parse_fib_addr(std::string_view text) {
    const std::string s(text);
    FibAddr a;
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
        a.family = kAfInet;
        return a;
    }
    if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
        a.family = kAfInet6;
        return a;
    }
    return make_error(quoted(s), "not an IPv4 or IPv6 address");
}

Result<std::pair<FibAddr, uint8_t>> parse_fib_prefix(std::string_view text) {
    const size_t slash = text.find('/');
    XDPDK_ASSIGN_OR_RETURN(FibAddr addr, parse_fib_addr(text.substr(0, slash)));
    const unsigned max_len = addr.family == kAfInet ? 32 : 128;
    unsigned len = max_len;
    if (slash != std::string_view::npos) {
        const std::string_view digits = text.substr(slash + 1);
        len = 0;
        if (digits.empty() || digits.size() > 3) return make_error(quoted(text), "bad prefix length");
        for (char c : digits) {
            if (c < '0' || c > '9') return make_error(quoted(text), "bad prefix length");
            len = len * 10 + unsigned(c - '0');
        }
        if (len > max_len)
            return make_error(quoted(text),
                              "prefix length " + std::to_string(len) + " is longer than " + std::to_string(max_len));
    }
    for (unsigned bit = len; bit < max_len; ++bit)
        if (addr.bytes[bit / 8] & (0x80u >> (bit % 8)))
            return make_error(quoted(text),
                              "address has bits set past the prefix length (" + fib_addr_str(addr) + " is not a /" +
                                  std::to_string(len) + " network)");
    return std::make_pair(addr, static_cast<uint8_t>(len));
}

std::string fib_addr_str(const FibAddr& a) {
    char buf[INET6_ADDRSTRLEN] = "";
    if (a.family == kAfInet) inet_ntop(AF_INET, a.bytes.data(), buf, sizeof(buf));
    else if (a.family == kAfInet6) inet_ntop(AF_INET6, a.bytes.data(), buf, sizeof(buf));
    return buf;
}

Result<std::array<uint8_t, 6>> parse_mac(std::string_view text) {
    std::array<uint8_t, 6> mac{};
    unsigned v[6];
    char tail;
    const std::string s(text);
    if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
        return make_error(quoted(s), "not a MAC address (six hex bytes separated by ':')");
    for (int i = 0; i < 6; ++i) mac[i] = static_cast<uint8_t>(v[i]);
    return mac;
}

namespace {
constexpr std::pair<RouteType, const char*> kRouteTypeNames[] = {
    {RouteType::Unicast, "unicast"},         {RouteType::Local, "local"},
    {RouteType::Broadcast, "broadcast"},     {RouteType::Blackhole, "blackhole"},
    {RouteType::Unreachable, "unreachable"}, {RouteType::Prohibit, "prohibit"},
    {RouteType::Other, "other"},
};

std::array<uint8_t, 16> masked(const FibAddr& a, uint8_t len) {
    std::array<uint8_t, 16> m{};
    for (unsigned i = 0; i < 16 && i * 8 < len; ++i) {
        const unsigned bits = std::min(8u, len - i * 8u);
        m[i] = static_cast<uint8_t>(a.bytes[i] & (0xff00u >> bits));
    }
    return m;
}
}  // namespace

Result<RouteType> parse_route_type(std::string_view text) {
    for (const auto& [type, name] : kRouteTypeNames)
        if (text == name && type != RouteType::Other) return type;
    return make_error("type " + quoted(text),
                      "not a route type (unicast, local, broadcast, blackhole, unreachable or prohibit)");
}

const char* route_type_name(RouteType t) {
    for (const auto& [type, name] : kRouteTypeNames)
        if (type == t) return name;
    return "other";
}

FibTable::NeighborKey FibTable::neighbor_key(uint32_t ifindex, const FibAddr& addr) {
    NeighborKey k{};
    std::memcpy(k.data(), &ifindex, 4);
    k[4] = addr.family;
    std::memcpy(k.data() + 8, addr.bytes.data(), 16);
    return k;
}

namespace {
std::array<uint8_t, 8> device_key(uint32_t ifindex) {
    std::array<uint8_t, 8> k{};
    std::memcpy(k.data(), &ifindex, 4);
    return k;
}
}  // namespace

FibTable::FibTable(FibEntries entries) : entries_(std::move(entries)) {
    std::vector<std::pair<std::array<uint8_t, 8>, const FibDevice*>> devices;
    for (const FibDevice& d : entries_.devices) devices.emplace_back(device_key(d.ifindex), &d);
    devices_ = FlatMap<8, const FibDevice*>(std::move(devices));
    // The last entry for a neighbour wins, as a later RTM_NEWNEIGH would.
    std::vector<std::pair<NeighborKey, const FibNeighbor*>> neighbors;
    for (auto n = entries_.neighbors.rbegin(); n != entries_.neighbors.rend(); ++n)
        neighbors.emplace_back(neighbor_key(n->ifindex, n->addr), &*n);
    neighbors_ = FlatMap<24, const FibNeighbor*>(std::move(neighbors));

    std::vector<const FibRoute*> order;
    for (const FibRoute& r : entries_.routes) order.push_back(&r);
    std::stable_sort(order.begin(), order.end(), [](const FibRoute* a, const FibRoute* b) { return a->metric < b->metric; });
    // (family, table) -> length -> prefix -> routes, then frozen into FlatMaps.
    struct Building {
        uint8_t family;
        uint32_t id;
        std::map<uint8_t, std::map<std::array<uint8_t, 16>, std::vector<const FibRoute*>>, std::greater<>> levels;
    };
    std::vector<Building> building;
    for (const FibRoute* r : order) {
        // IPv4's local table lives inside main while there are no policy
        // rules (the kernel's fib_trie merges them): one longest-prefix match.
        const bool merged = r->prefix.family == kAfInet && r->table == kRtTableLocal;
        const uint32_t id = merged ? kRtTableMain : r->table;
        auto t = std::find_if(building.begin(), building.end(),
                              [&](const Building& x) { return x.family == r->prefix.family && x.id == id; });
        if (t == building.end()) t = building.insert(building.end(), Building{r->prefix.family, id, {}});
        t->levels[r->prefix_len][masked(r->prefix, r->prefix_len)].push_back(r);
    }
    for (Building& b : building) {
        Table t{b.family, b.id, {}};
        for (auto& [len, prefixes] : b.levels) {
            std::vector<std::pair<std::array<uint8_t, 16>, std::vector<const FibRoute*>>> items(prefixes.begin(),
                                                                                                prefixes.end());
            t.levels.push_back(Level{len, FlatMap<16, std::vector<const FibRoute*>>(std::move(items))});
        }
        tables_.push_back(std::move(t));
    }
}

const FibDevice* FibTable::device(uint32_t ifindex) const {
    const FibDevice* const* d = devices_.find(device_key(ifindex));
    return d ? *d : nullptr;
}

bool FibTable::has_table(uint8_t family, uint32_t table) const {
    for (const Table& t : tables_)
        if (t.family == family && t.id == table) return true;
    return false;
}

const FibRoute* FibTable::lookup(uint32_t table, const FibAddr& dst, uint32_t oif) const {
    for (const Table& t : tables_) {
        if (t.family != dst.family || t.id != table) continue;
        for (const Level& level : t.levels) {
            const auto* routes = level.prefixes.find(masked(dst, level.len));
            if (routes == nullptr) continue;
            for (const FibRoute* r : *routes) {
                const bool rejects = r->type == RouteType::Blackhole || r->type == RouteType::Unreachable ||
                                     r->type == RouteType::Prohibit;
                if (oif == 0 || rejects || r->oif == oif) return r;
            }
        }
        return nullptr;
    }
    return nullptr;
}

const FibNeighbor* FibTable::neighbor(uint32_t ifindex, const FibAddr& addr) const {
    const FibNeighbor* const* n = neighbors_.find(neighbor_key(ifindex, addr));
    return n ? *n : nullptr;
}

}  // namespace xdpdk::vm
