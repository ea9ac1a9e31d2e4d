#include "fib_table.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

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

FibTable::FibTable(FibEntries entries) : entries_(std::move(entries)) {
    for (const FibDevice& d : entries_.devices) devices_.emplace(d.ifindex, &d);
    for (const FibNeighbor& n : entries_.neighbors) neighbors_[neighbor_key(n.ifindex, n.addr)] = &n;
    std::vector<const FibRoute*> order;
    for (const FibRoute& r : entries_.routes) order.push_back(&r);
    std::stable_sort(order.begin(), order.end(), [](const FibRoute* a, const FibRoute* b) { return a->metric < b->metric; });
    for (const FibRoute* r : order) {
        // IPv4's local table lives inside main while there are no policy
        // rules (the kernel's fib_trie merges them): one longest-prefix match.
        const bool merged = r->prefix.family == kAfInet && r->table == kRtTableLocal;
        const uint32_t id = merged ? kRtTableMain : r->table;
        auto t = std::find_if(tables_.begin(), tables_.end(),
                              [&](const Table& x) { return x.family == r->prefix.family && x.id == id; });
        if (t == tables_.end()) t = tables_.insert(tables_.end(), Table{r->prefix.family, id, {}});
        auto level = std::find_if(t->levels.begin(), t->levels.end(), [&](const Level& l) { return l.len == r->prefix_len; });
        if (level == t->levels.end()) level = t->levels.insert(t->levels.end(), Level{r->prefix_len, {}});
        level->prefixes[masked(r->prefix, r->prefix_len)].push_back(r);
    }
    for (Table& t : tables_)
        std::sort(t.levels.begin(), t.levels.end(), [](const Level& a, const Level& b) { return a.len > b.len; });
}

const FibDevice* FibTable::device(uint32_t ifindex) const {
    auto it = devices_.find(ifindex);
    return it == devices_.end() ? nullptr : it->second;
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
            auto it = level.prefixes.find(masked(dst, level.len));
            if (it == level.prefixes.end()) continue;
            for (const FibRoute* r : it->second) {
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
    auto it = neighbors_.find(neighbor_key(ifindex, addr));
    return it == neighbors_.end() ? nullptr : it->second;
}

}  // namespace xdpdk::vm
