#include "fib_config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "toml_fields.h"

namespace xdpdk::cli {
namespace {

// The array of tables `name`, or an error when the key holds something else.
Result<const toml::array*> tables_of(const TomlFields& root, std::string_view name) {
    const toml::node* node = root.table().get(name);
    if (node == nullptr) return static_cast<const toml::array*>(nullptr);
    const auto* arr = node->as_array();
    if (arr == nullptr || !arr->is_array_of_tables())
        return root.error(name, "expected an array of tables: write one [[" + std::string(name) + "]] table each, got " +
                                    std::string(toml_type_name(node->type())));
    return arr;
}

// Errors about the N-th [[route]] (or neighbor, interface): "FILE: route N: REASON".
class EntryErrors {
public:
    EntryErrors(const std::string& file, std::string what, size_t index) : file_(file), what_(std::move(what)), n_(index + 1) {}
    Error operator()(const std::string& reason) const {
        return make_error(file_, what_ + " " + std::to_string(n_) + ": " + reason);
    }

private:
    const std::string& file_;
    std::string what_;
    size_t n_;
};

Status read_dev_or_port(const TomlFields& t, const EntryErrors& bad, bool required, uint32_t& ifindex,
                        std::optional<uint16_t>& port) {
    if (t.has("dev") && t.has("port")) return bad("give dev (an ifindex) or port, not both");
    if (t.has("dev")) XDPDK_RETURN_IF_ERROR(t.read_unsigned("dev", 1, UINT32_MAX, ifindex));
    if (t.has("port")) {
        uint16_t p = 0;
        XDPDK_RETURN_IF_ERROR(t.read_unsigned("port", 0, UINT16_MAX, p));
        port = p;
    }
    if (required && !t.has("dev") && !t.has("port")) return bad("needs dev (an ifindex) or port");
    return {};
}

Result<vm::FibAddr> read_addr(const TomlFields& t, std::string_view key, const EntryErrors& bad, uint8_t family) {
    std::string text;
    XDPDK_RETURN_IF_ERROR(t.read_string(key, text));
    auto addr = vm::parse_fib_addr(text);
    if (!addr) return bad(std::string(key) + " '" + text + "' is not an IPv4 or IPv6 address");
    if (family != 0 && addr->family != family)
        return bad(std::string(key) + " '" + text + "' is not of the prefix's address family");
    return addr.value();
}

Status read_interface(const TomlFields& t, const EntryErrors& bad, vm::FibDevice& d) {
    XDPDK_RETURN_IF_ERROR(t.check_keys({"ifindex", "mac", "mtu", "addresses", "forwarding"}));
    if (!t.has("ifindex")) return bad("missing key 'ifindex'");
    XDPDK_RETURN_IF_ERROR(t.read_unsigned("ifindex", 1, UINT32_MAX, d.ifindex));
    if (t.has("mac")) {
        std::string mac;
        XDPDK_RETURN_IF_ERROR(t.read_string("mac", mac));
        auto m = vm::parse_mac(mac);
        if (!m) return bad("mac '" + mac + "' is not a MAC address (six hex bytes separated by ':')");
        d.mac = m.value();
    }
    XDPDK_RETURN_IF_ERROR(t.read_unsigned("mtu", 68, 65535, d.mtu));
    bool forwarding = true;
    XDPDK_RETURN_IF_ERROR(t.read_bool("forwarding", forwarding));
    d.forwarding_ipv4 = d.forwarding_ipv6 = forwarding;
    std::vector<std::string> addresses;
    XDPDK_RETURN_IF_ERROR(t.read_string_array("addresses", addresses));
    for (const std::string& a : addresses) {
        auto addr = vm::parse_fib_addr(a);
        if (!addr) return bad("address '" + a + "' is not an IPv4 or IPv6 address");
        d.addresses.push_back(addr.value());
    }
    return {};
}

Status read_route(const TomlFields& t, const EntryErrors& bad, vm::FibRoute& r, std::optional<uint16_t>& port) {
    XDPDK_RETURN_IF_ERROR(t.check_keys({"prefix", "via", "dev", "port", "type", "mtu", "metric", "table", "src"}));
    if (!t.has("prefix")) return bad("missing key 'prefix' (as \"10.0.0.0/24\")");
    std::string text;
    XDPDK_RETURN_IF_ERROR(t.read_string("prefix", text));
    auto prefix = vm::parse_fib_prefix(text);
    if (!prefix) return bad("bad prefix " + prefix.error().str());
    r.prefix = prefix->first;
    r.prefix_len = prefix->second;
    const uint8_t family = r.prefix.family;
    if (t.has("type")) {
        XDPDK_RETURN_IF_ERROR(t.read_string("type", text));
        auto type = vm::parse_route_type(text);
        if (!type) return bad(type.error().str());
        r.type = type.value();
    }
    const bool rejects = r.type == vm::RouteType::Blackhole || r.type == vm::RouteType::Unreachable ||
                         r.type == vm::RouteType::Prohibit;
    if (rejects && (t.has("via") || t.has("dev") || t.has("port")))
        return bad(std::string("a ") + vm::route_type_name(r.type) + " route has no next hop (no via, dev or port)");
    XDPDK_RETURN_IF_ERROR(read_dev_or_port(t, bad, !rejects, r.oif, port));
    if (t.has("via")) {
        XDPDK_ASSIGN_OR_RETURN(r.gateway, read_addr(t, "via", bad, 0));
        if (r.gateway.family == vm::kAfInet && family == vm::kAfInet6)
            return bad("an IPv6 route cannot go through an IPv4 gateway");
    }
    if (t.has("src")) {
        XDPDK_ASSIGN_OR_RETURN(r.prefsrc, read_addr(t, "src", bad, family));
    }
    XDPDK_RETURN_IF_ERROR(t.read_unsigned("mtu", 68, 65535, r.mtu));
    r.metric = family == vm::kAfInet6 ? 1024 : 0;
    XDPDK_RETURN_IF_ERROR(t.read_unsigned("metric", 0, UINT32_MAX, r.metric));
    XDPDK_RETURN_IF_ERROR(t.read_unsigned("table", 1, UINT32_MAX, r.table));
    return {};
}

Status read_neighbor(const TomlFields& t, const EntryErrors& bad, vm::FibNeighbor& n, std::optional<uint16_t>& port) {
    XDPDK_RETURN_IF_ERROR(t.check_keys({"ip", "mac", "dev", "port"}));
    if (!t.has("ip")) return bad("missing key 'ip'");
    if (!t.has("mac")) return bad("missing key 'mac'");
    XDPDK_ASSIGN_OR_RETURN(n.addr, read_addr(t, "ip", bad, 0));
    std::string mac;
    XDPDK_RETURN_IF_ERROR(t.read_string("mac", mac));
    auto m = vm::parse_mac(mac);
    if (!m) return bad("mac '" + mac + "' is not a MAC address (six hex bytes separated by ':')");
    n.mac = m.value();
    return read_dev_or_port(t, bad, true, n.ifindex, port);
}

}  // namespace

Status read_fib_tables(const toml::table& table, const std::string& file, FibConfig& out) {
    const TomlFields root(table, file, "");
    XDPDK_ASSIGN_OR_RETURN(const toml::array* interfaces, tables_of(root, "interface"));
    XDPDK_ASSIGN_OR_RETURN(const toml::array* routes, tables_of(root, "route"));
    XDPDK_ASSIGN_OR_RETURN(const toml::array* neighbors, tables_of(root, "neighbor"));
    for (size_t i = 0; interfaces && i < interfaces->size(); ++i) {
        const TomlFields t(*interfaces->get(i)->as_table(), file, "interface[" + std::to_string(i) + "]");
        vm::FibDevice d;
        XDPDK_RETURN_IF_ERROR(read_interface(t, EntryErrors(file, "interface", i), d));
        out.entries.devices.push_back(std::move(d));
    }
    for (size_t i = 0; routes && i < routes->size(); ++i) {
        const TomlFields t(*routes->get(i)->as_table(), file, "route[" + std::to_string(i) + "]");
        vm::FibRoute r;
        std::optional<uint16_t> port;
        XDPDK_RETURN_IF_ERROR(read_route(t, EntryErrors(file, "route", i), r, port));
        if (port) out.route_ports.emplace_back(out.entries.routes.size(), *port);
        out.entries.routes.push_back(r);
    }
    for (size_t i = 0; neighbors && i < neighbors->size(); ++i) {
        const TomlFields t(*neighbors->get(i)->as_table(), file, "neighbor[" + std::to_string(i) + "]");
        vm::FibNeighbor n;
        std::optional<uint16_t> port;
        XDPDK_RETURN_IF_ERROR(read_neighbor(t, EntryErrors(file, "neighbor", i), n, port));
        if (port) out.neighbor_ports.emplace_back(out.entries.neighbors.size(), *port);
        out.entries.neighbors.push_back(n);
    }
    return {};
}

Result<FibConfig> parse_fib_config(std::string_view text, const std::string& file) {
    toml::table table;
    // toml++ reports syntax errors by exception; they stop here.
    try {
        table = toml::parse(text, file);
    } catch (const toml::parse_error& e) {
        return one_line(make_error(toml_location(file, e.source()), std::string(e.description())));
    }
    const TomlFields root(table, file, "");
    if (Status st = root.check_keys({"interface", "route", "neighbor"}); !st) return one_line(st.error());
    FibConfig config;
    if (Status st = read_fib_tables(table, file, config); !st) return one_line(st.error());
    return config;
}

Result<FibConfig> load_fib_config(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(path, std::string("cannot open FIB file: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    return parse_fib_config(text.str(), path);
}

void resolve_ports(FibConfig& config, const std::function<uint32_t(uint16_t)>& ifindex_of_port) {
    for (const auto& [i, port] : config.route_ports) config.entries.routes[i].oif = ifindex_of_port(port);
    for (const auto& [i, port] : config.neighbor_ports) config.entries.neighbors[i].ifindex = ifindex_of_port(port);
    config.route_ports.clear();
    config.neighbor_ports.clear();
}

}  // namespace xdpdk::cli
