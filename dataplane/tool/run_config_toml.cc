#include "run_config_toml.h"

#include "fib_config.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "run_args.h"
#include "fib_config.h"
#include "toml_fields.h"

namespace xdpdk::cli {
namespace {

constexpr std::string_view kProgramName = "xdpdk";
constexpr size_t kMaxIfaceNameLength = 15;  // IFNAMSIZ - 1

// The files a run reads must exist when the run starts; saying so here names
// the key instead of leaving the loader to name only the path.
Status check_readable(const TomlFields& fields, std::string_view key, const std::string& path) {
    if (path.empty()) return fields.error(key, "empty path");
    if (::access(path.c_str(), R_OK) != 0)
        return fields.error(key, "cannot read '" + path + "': " + std::strerror(errno) +
                                     " (relative paths are relative to the current directory)");
    return {};
}

Status read_eal(const TomlFields& root, RunConfig& config) {
    std::vector<std::string> args;
    XDPDK_RETURN_IF_ERROR(root.read_string_array("eal", args));
    for (const std::string& arg : args) {
        if (arg == "--")
            return root.error("eal", "'--' ends the EAL arguments on the command line; in a file, "
                                     "application options are keys of their own");
    }
    config.eal_args.assign(1, std::string(kProgramName));
    config.eal_args.insert(config.eal_args.end(), args.begin(), args.end());
    return {};
}

Status read_engine(const TomlFields& root, RunConfig& config) {
    std::string name;
    XDPDK_RETURN_IF_ERROR(root.read_string("engine", name));
    if (!root.has("engine")) return {};
    auto engine = vm::parse_engine(name);
    if (!engine) return root.error("engine", engine.error().reason);
    config.engine = *engine;
    return {};
}

Status check_assignment(const TomlFields& root, const toml::node& node, const std::string& key,
                        const std::string& text) {
    const size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
        return root.error_at(node, key, "expected NAME=VALUE, got '" + text + "'");
    return {};
}

// A [set] or [map-size] key becomes the NAME of "NAME=VALUE", which is split
// at its first '=': a quoted key that is empty or holds '=' would name
// something else.
Status check_table_name(const TomlFields& root, const toml::node& value, const std::string& key,
                        const std::string& name, const char* what) {
    if (name.empty() || name.find('=') != std::string::npos)
        return root.error_at(value, key, std::string(what) + "'s name is not empty and has no '='");
    return {};
}

// `set = ["NAME=VALUE", ...]` as on the command line, or a table whose
// values are integers or strings (`"0x10"`, `"hex:0a0b"`).
Status read_sets(const TomlFields& root, RunConfig& config) {
    const toml::node* node = root.table().get("set");
    if (node == nullptr) return {};
    if (node->is_array()) {
        std::vector<std::string> sets;
        XDPDK_RETURN_IF_ERROR(root.read_string_array("set", sets));
        for (size_t i = 0; i < sets.size(); ++i)
            XDPDK_RETURN_IF_ERROR(
                check_assignment(root, *node->as_array()->get(i), "set[" + std::to_string(i) + "]", sets[i]));
        config.sets = std::move(sets);
        return {};
    }
    const auto* table = node->as_table();
    if (table == nullptr)
        return root.error("set", "expected an array of \"NAME=VALUE\" strings or a table, got " +
                                     std::string(toml_type_name(node->type())));
    for (auto&& [key, value] : *table) {
        const std::string name(key.str());
        XDPDK_RETURN_IF_ERROR(check_table_name(root, value, "set." + name, name, "a global"));
        if (const auto* i = value.as_integer()) {
            config.sets.push_back(name + "=" + std::to_string(i->get()));
        } else if (const auto* s = value.as_string()) {
            config.sets.push_back(name + "=" + s->get());
        } else {
            return root.error_at(value, "set." + name,
                                 "expected an integer or a string (\"0x..\", \"hex:..\"), got " +
                                     std::string(toml_type_name(value.type())));
        }
    }
    return {};
}

// `[map-size]`: map name = entries, as --map-size NAME=N.
Status read_map_sizes(const TomlFields& root, RunConfig& config) {
    const toml::node* node = root.table().get("map-size");
    if (node == nullptr) return {};
    const auto* table = node->as_table();
    if (table == nullptr)
        return root.error("map-size", "expected a table of map name = entries, got " +
                                          std::string(toml_type_name(node->type())));
    for (auto&& [key, value] : *table) {
        const std::string name(key.str());
        XDPDK_RETURN_IF_ERROR(check_table_name(root, value, "map-size." + name, name, "a map"));
        const auto* i = value.as_integer();
        if (i == nullptr || i->get() < 1 || i->get() > int64_t{UINT32_MAX})
            return root.error_at(value, "map-size." + name, "expected a number of entries from 1 to 4294967295");
        config.map_sizes.push_back(name + "=" + std::to_string(i->get()));
    }
    return {};
}

// xsk = ["MAP[SLOT]=port:N", ...], as --xsk takes them.
Status read_xsk(const TomlFields& root, RunConfig& config) {
    if (!root.has("xsk")) return {};
    std::vector<std::string> bindings;
    XDPDK_RETURN_IF_ERROR(root.read_string_array("xsk", bindings));
    for (size_t i = 0; i < bindings.size(); ++i) {
        auto spec = parse_xsk_spec(bindings[i]);
        if (!spec)
            return root.error_at(*root.table().get("xsk")->as_array()->get(i), "xsk[" + std::to_string(i) + "]",
                                 spec.error().reason);
        config.xsk.push_back(std::move(*spec));
    }
    return {};
}

Status read_root_values(const TomlFields& root, RunConfig& config) {
    XDPDK_RETURN_IF_ERROR(read_eal(root, config));
    XDPDK_RETURN_IF_ERROR(read_engine(root, config));
    XDPDK_RETURN_IF_ERROR(root.read_seconds("duration", config.duration_s));
    XDPDK_RETURN_IF_ERROR(root.read_unsigned("packets", 0, INT64_MAX, config.max_packets));
    XDPDK_RETURN_IF_ERROR(root.read_seconds("stats_interval", config.stats_interval_s));
    XDPDK_RETURN_IF_ERROR(root.read_bool("json", config.json));
    XDPDK_RETURN_IF_ERROR(root.read_bool("strict", config.strict_verifier));
    XDPDK_RETURN_IF_ERROR(root.read_string("btf", config.target_btf));
    XDPDK_RETURN_IF_ERROR(root.read_string("filter_action", config.filter_action));
    if (root.has("filter_action"))
        if (auto v = loader::parse_filter_action(config.filter_action); !v)
            return root.error("filter_action", v.error().reason);
    XDPDK_RETURN_IF_ERROR(root.read_string("maps_in", config.maps_in));
    if (root.has("maps_in")) XDPDK_RETURN_IF_ERROR(check_readable(root, "maps_in", config.maps_in));
    XDPDK_RETURN_IF_ERROR(root.read_string("maps_out", config.maps_out));
    if (root.has("maps_out") && config.maps_out.empty()) return root.error("maps_out", "empty path");
    XDPDK_RETURN_IF_ERROR(read_sets(root, config));
    XDPDK_RETURN_IF_ERROR(read_map_sizes(root, config));
    XDPDK_RETURN_IF_ERROR(read_xsk(root, config));
    XDPDK_RETURN_IF_ERROR(root.read_bool("stats", config.run_stats));
    XDPDK_RETURN_IF_ERROR(root.read_string("pin", config.pin_dir));
    XDPDK_RETURN_IF_ERROR(root.read_string("ctl", config.ctl_path));
    XDPDK_RETURN_IF_ERROR(root.read_string("trace", config.trace_path));
    if (root.has("trace") && config.trace_path.empty()) return root.error("trace", "empty path");
    XDPDK_RETURN_IF_ERROR(root.read_unsigned("rx_queues", 1, 1024, config.rx_queues));
    XDPDK_RETURN_IF_ERROR(root.read_unsigned("rx_desc", 1, UINT16_MAX, config.rx_desc));
    XDPDK_RETURN_IF_ERROR(root.read_unsigned("tx_desc", 1, UINT16_MAX, config.tx_desc));
    XDPDK_RETURN_IF_ERROR(root.read_unsigned("burst", 1, kMaxConfigBurst, config.burst));
    // 512 is DPDK's RTE_MEMPOOL_CACHE_MAX_SIZE.
    XDPDK_RETURN_IF_ERROR(root.read_unsigned("mbuf_cache", 0, 512, config.mbuf_cache));
    if (root.has("mbufs_per_pool")) {
        uint32_t mbufs = 0;
        XDPDK_RETURN_IF_ERROR(root.read_unsigned("mbufs_per_pool", 1, UINT32_MAX, mbufs));
        config.mbufs_per_pool = mbufs;
    }
    return {};
}

// "PROG.o[@NAME]"; the last '@' separates the program name, so a path may
// contain '@' when a name follows. "filter:EXPR" / "filter-ddd:FILE": a
// tcpdump filter.
Status read_attach(const TomlFields& port, uint16_t id, RunConfig& config) {
    std::string spec;
    XDPDK_RETURN_IF_ERROR(port.read_string("attach", spec));
    if (!port.has("attach")) return {};
    AttachSpec attach;
    attach.port = id;
    auto filter = loader::filter_from_word(spec, "attach");
    if (!filter) return port.error("attach", filter.error().reason);
    if (*filter) {
        if ((*filter)->kind == loader::FilterSource::Kind::ddd_file)
            XDPDK_RETURN_IF_ERROR(check_readable(port, "attach", (*filter)->ddd_path));
        attach.filter = std::move(*filter);
        config.attach.push_back(std::move(attach));
        return {};
    }
    const size_t at = spec.rfind('@');
    attach.object_path = spec.substr(0, at);
    if (at != std::string::npos) {
        attach.program_name = spec.substr(at + 1);
        if (attach.program_name.empty())
            return port.error("attach", "nothing after '@' in '" + spec + "': write PROG.o or PROG.o@NAME");
    }
    XDPDK_RETURN_IF_ERROR(check_readable(port, "attach", attach.object_path));
    config.attach.push_back(std::move(attach));
    return {};
}

Status check_tap_name(const TomlFields& port, std::string_view key, const std::string& name) {
    if (name.empty() || name.size() > kMaxIfaceNameLength)
        return port.error(key, "an interface name has 1 to " + std::to_string(kMaxIfaceNameLength) +
                                          " characters, got '" + name + "'");
    for (const char c : name) {
        if (c == '/' || c == ':' || c == ',' || c == '=' || std::isspace(static_cast<unsigned char>(c)))
            return port.error(key, "'" + name + "' is not a valid interface name (no '/', ':', ',', '=' or spaces)");
    }
    return {};
}

Status read_pass(const TomlFields& port, uint16_t id, RunConfig& config) {
    std::string spec;
    XDPDK_RETURN_IF_ERROR(port.read_string("pass", spec));
    if (!port.has("pass")) {
        if (port.has("tap_name")) return port.error("tap_name", "only meaningful with pass = \"tap\"");
        return {};
    }
    PassSpec pass;
    pass.port = id;
    if (spec == "drop") {
        pass.kind = PassSpec::Kind::Drop;
    } else if (spec == "tap" || spec.starts_with("tap:")) {
        // "tap:NAME" as on the command line, or "tap" and tap_name.
        pass.kind = PassSpec::Kind::Tap;
        if (spec.size() > 4) {
            if (port.has("tap_name"))
                return port.error("tap_name", "the interface is already named in pass = \"" + spec + "\"");
            pass.tap_name = spec.substr(4);
            XDPDK_RETURN_IF_ERROR(check_tap_name(port, "pass", pass.tap_name));
        }
    } else if (spec.starts_with("port:")) {
        const std::string number = spec.substr(5);
        char* end = nullptr;
        errno = 0;
        const unsigned long target = number.empty() ? 0 : std::strtoul(number.c_str(), &end, 10);
        if (number.empty() || !std::isdigit(static_cast<unsigned char>(number[0])) || *end != '\0' || errno != 0 ||
            target > UINT16_MAX)
            return port.error("pass", "'" + spec + "': N in port:N must be a port id from 0 to 65535");
        if (target == id)
            return port.error("pass", "'" + spec + "' is the receiving port itself: that is what XDP_TX does; "
                                      "name another port");
        pass.kind = PassSpec::Kind::Port;
        pass.target_port = static_cast<uint16_t>(target);
    } else {
        return port.error("pass", "expected \"tap\", \"tap:IFNAME\", \"port:N\" or \"drop\", got '" + spec + "'");
    }
    if (port.has("tap_name")) {
        if (pass.kind != PassSpec::Kind::Tap)
            return port.error("tap_name", "only meaningful with pass = \"tap\" (this port has pass = \"" + spec + "\")");
        XDPDK_RETURN_IF_ERROR(port.read_string("tap_name", pass.tap_name));
        XDPDK_RETURN_IF_ERROR(check_tap_name(port, "tap_name", pass.tap_name));
    }
    config.pass.push_back(std::move(pass));
    return {};
}

struct PortSeen {
    int64_t line;
    uint32_t ifindex;
};

Status read_port(const TomlFields& port, std::map<uint16_t, PortSeen>& seen, RunConfig& config) {
    XDPDK_RETURN_IF_ERROR(port.check_keys({"id", "attach", "pass", "tap_name", "ifindex"}));
    if (!port.has("id")) return port.error("", "missing key 'id' (the DPDK port id)");
    uint16_t id = 0;
    XDPDK_RETURN_IF_ERROR(port.read_unsigned("id", 0, UINT16_MAX, id));
    if (const auto it = seen.find(id); it != seen.end())
        return port.error("id", "port " + std::to_string(id) + " is already configured at line " +
                                    std::to_string(it->second.line) + "; use one [[port]] table per port");

    XDPDK_RETURN_IF_ERROR(read_attach(port, id, config));
    XDPDK_RETURN_IF_ERROR(read_pass(port, id, config));

    uint32_t ifindex = uint32_t{id} + 1;
    if (port.has("ifindex")) {
        XDPDK_RETURN_IF_ERROR(port.read_unsigned("ifindex", 1, UINT32_MAX, ifindex));
        config.ifindex.push_back(IfindexSpec{id, ifindex});
    }
    for (const auto& [other_id, other] : seen) {
        if (other.ifindex == ifindex)
            return port.error(port.has("ifindex") ? "ifindex" : "id",
                              "ifindex " + std::to_string(ifindex) + " is already port " + std::to_string(other_id) +
                                  "'s; bpf_redirect() needs one port per ifindex");
    }
    seen.emplace(id, PortSeen{static_cast<int64_t>(port.table().source().begin.line), ifindex});
    return {};
}

Status read_ports(const TomlFields& root, RunConfig& config) {
    const toml::node* node = root.table().get("port");
    if (node == nullptr) return {};
    const auto* ports = node->as_array();
    if (ports == nullptr || !ports->is_array_of_tables())
        return root.error("port", "expected an array of tables: write one [[port]] table per port, got " +
                                      std::string(toml_type_name(node->type())));
    std::map<uint16_t, PortSeen> seen;
    for (size_t i = 0; i < ports->size(); ++i) {
        const TomlFields port(*ports->get(i)->as_table(), root.file(), "port[" + std::to_string(i) + "]");
        XDPDK_RETURN_IF_ERROR(read_port(port, seen, config));
    }
    return {};
}

Result<RunConfig> read_run_config(const toml::table& table, const std::string& file) {
    const TomlFields root(table, file, "");
    XDPDK_RETURN_IF_ERROR(root.check_keys({"eal", "engine", "duration", "packets", "stats_interval", "json", "strict", "btf",
                                           "maps_in", "maps_out", "set", "map-size", "trace", "rx_queues", "rx_desc", "tx_desc", "burst",
                                           "mbuf_cache", "mbufs_per_pool", "port", "stats", "pin", "ctl", "xsk",
                                           "fib", "route", "neighbor", "interface", "filter_action"}));
    RunConfig config;
    config.eal_args.assign(1, std::string(kProgramName));
    XDPDK_RETURN_IF_ERROR(read_root_values(root, config));
    XDPDK_RETURN_IF_ERROR(read_ports(root, config));
    XDPDK_RETURN_IF_ERROR(root.read_string("fib", config.fib_source));
    XDPDK_RETURN_IF_ERROR(read_fib_tables(table, file, config.fib));
    return config;
}

}  // namespace

Result<RunConfig> parse_run_config_toml(std::string_view text, const std::string& file) {
    toml::table table;
    // toml++ reports syntax errors by exception; they stop here.
    try {
        table = toml::parse(text, file);
    } catch (const toml::parse_error& e) {
        std::string reason(e.description());
        if (!reason.empty()) reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
        return one_line(make_error(toml_location(file, e.source()), reason));
    }
    auto config = read_run_config(table, file);
    if (!config) return one_line(config.error());
    return config;
}

Result<RunConfig> load_run_config_toml(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(path, std::string("cannot open config file: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return make_error(path, std::string("cannot read config file: ") + std::strerror(errno));
    return parse_run_config_toml(text.str(), path);
}

}  // namespace xdpdk::cli
