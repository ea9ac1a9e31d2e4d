#include "run_args.h"

#include <charconv>
#include <cstdlib>
#include <map>
#include <set>

#include <CLI/CLI.hpp>

#include "dataplane/loader/spec_source.h"

namespace xdpdk::cli {
namespace {

constexpr uint32_t kMaxPortId = 31;  // RTE_MAX_ETHPORTS - 1 in the Debian build; checked again against ethdevs

template <class T>
bool parse_number(std::string_view text, T& out) {
    if (text.empty()) return false;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

Result<uint16_t> parse_port(std::string_view text, const std::string& subject) {
    uint32_t port = 0;
    if (!parse_number(text, port) || port > kMaxPortId)
        return make_error(subject, "port must be a port id from 0 to " + std::to_string(kMaxPortId) + ", not '" +
                                       std::string(text) + "'");
    return static_cast<uint16_t>(port);
}

// "PORT=REST" split at the first '='.
Result<std::pair<uint16_t, std::string_view>> split_port_rule(std::string_view text, const std::string& subject,
                                                              const char* shape) {
    const size_t eq = text.find('=');
    if (eq == std::string_view::npos || eq + 1 == text.size())
        return make_error(subject, std::string("expected ") + shape);
    XDPDK_ASSIGN_OR_RETURN(const uint16_t port, parse_port(text.substr(0, eq), subject));
    return std::pair{port, text.substr(eq + 1)};
}

// Numbers of the options: CLI11 would wrap "-3" into a huge unsigned value.
const CLI::Validator kNotNegative(
    [](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !(value >= 0)) return "must be a number >= 0, not '" + text + "'";
        return {};
    },
    "NUMBER>=0");

// Values of the list options before they are parsed into specs.
struct ListOptions {
    std::vector<std::string> attach, pass, ifindex, sets, map_sizes, xsk;
    std::string engine, filter_action;
};

void describe_options(CLI::App& app, RunConfig& c, ListOptions& lists) {
    app.add_option("--attach", lists.attach,
                   "PORT=PROG.o[@NAME] or PORT=filter:EXPR or PORT=filter-ddd:FILE: the XDP program a port runs "
                   "(one per port; a filter: a tcpdump expression or `tcpdump -ddd` output)")
        ->allow_extra_args(false);
    app.add_option("--filter-action", lists.filter_action,
                   "MATCH[,NOMATCH]: the verdicts of the attached filters' packets (pass, drop, tx, aborted; "
                   "default pass,drop)");
    app.add_option("--pass", lists.pass,
                   "PORT=tap[:IFNAME]|port:N|drop: where XDP_PASS packets go (default drop; tap: a host interface)")
        ->allow_extra_args(false);
    app.add_option("--ifindex", lists.ifindex, "PORT=IFINDEX: the port's ifindex for programs (default port + 1)")
        ->allow_extra_args(false);
    app.add_option("--xsk", lists.xsk,
                   "MAP[SLOT]=port:N: XSKMAP slot bound to port N (as an AF_XDP socket's application)")
        ->allow_extra_args(false);
    app.add_option("--set", lists.sets, "NAME=VALUE: set a global variable before load (integer or hex:BYTES)")
        ->allow_extra_args(false);
    app.add_option("--map-size", lists.map_sizes, "NAME=N: a map's max_entries, set before load")
        ->allow_extra_args(false);
    app.add_option("--fib", c.fib_source, "host|FILE: routes and neighbours for bpf_fib_lookup: mirrored from the "
                                          "host kernel (and followed), or [[route]]/[[neighbor]] tables of a TOML file");
    app.add_option("--maps-in", c.maps_in, "JSON map contents to set before the run");
    app.add_option("--maps-out", c.maps_out, "JSON dump of the attached objects' maps after the run");
    app.add_option("--engine", lists.engine, "jit (machine code, default) or interp");
    app.add_option("--duration", c.duration_s, "stop after S seconds (default: until SIGINT/SIGTERM)")
        ->check(kNotNegative);
    app.add_option("--packets", c.max_packets, "stop after N packets received on the attached ports")
        ->check(kNotNegative);
    app.add_option("--stats-interval", c.stats_interval_s, "seconds between live stats lines; 0: none")
        ->check(kNotNegative)
        ->capture_default_str();
    app.add_flag("--json", c.json, "final summary as JSON on standard output");
    app.add_flag("--strict", c.strict_verifier, "the unprivileged loader's verifier rules (default: root's, as Linux loads XDP)");
    app.add_option("--btf", c.target_btf,
                   "FILE: the BTF CO-RE relocations are resolved against: raw BTF (/sys/kernel/btf/vmlinux, or "
                   "'vmlinux') or an ELF file with .BTF (default: each object's own BTF)");
    app.add_option("--rx-queues", c.rx_queues, "rx queues per port (RSS spreads flows across them)")
        ->capture_default_str()
        ->check(kNotNegative);
    app.add_option("--rx-desc", c.rx_desc, "rx descriptors per queue")->capture_default_str()
        ->check(kNotNegative);
    app.add_option("--tx-desc", c.tx_desc, "tx descriptors per queue")->capture_default_str()
        ->check(kNotNegative);
    app.add_option("--burst", c.burst, "packets per rx burst")->capture_default_str()
        ->check(kNotNegative);
    app.add_option("--mbuf-cache", c.mbuf_cache, "per-lcore mempool cache")->capture_default_str()
        ->check(kNotNegative);
    app.add_option("--mbufs", c.mbufs_per_pool, "mbufs per pool (default: sized from ports, queues, descriptors)")
        ->check(kNotNegative);
    app.add_flag("--stats", c.run_stats, "count each program's runs and run time (`ctl prog show`), as "
                                         "kernel.bpf_stats_enabled does");
    app.add_option("--pin", c.pin_dir, "DIR: share maps by name across programs, ports and swaps, as pinning "
                                       "under /sys/fs/bpf does");
    app.add_option("--ctl", c.ctl_path, "PATH: the control socket for `xdpdk ctl` (default "
                                        "/run/xdpdk/<file-prefix>.sock)");
    app.add_flag("--no-ctl", [&c](int64_t) { c.ctl = false; }, "serve no control socket");
    app.add_option("--trace", c.trace_path, "file for XDP_ABORTED packets and bpf_printk lines (default stderr)");
    app.add_option("--events", c.events_path,
                   "file for the records programs write to ringbuf and perf_event_array maps, as JSON lines "
                   "(map, cpu, bytes), then each map's lost count; - for stdout");
}

std::string first_line(std::string text) {
    const size_t nl = text.find('\n');
    if (nl != std::string::npos) text.resize(nl);
    return text;
}

}  // namespace

Result<RunCommandLine> split_run_command_line(const std::vector<std::string>& args) {
    RunCommandLine line;
    size_t i = 0;
    if (!args.empty() && (args[0] == "--config" || args[0].rfind("--config=", 0) == 0)) {
        if (args[0] == "--config") {
            if (args.size() < 2 || args[1].empty()) return make_error("run --config", "needs a file name");
            line.config_path = args[1];
            i = 2;
        } else {
            line.config_path = args[0].substr(9);
            i = 1;
        }
        if (i < args.size() && args[i] != "--")
            return make_error("run --config", "EAL options come from the config file; application options go after "
                                              "'--', not '" + args[i] + "'");
    }
    for (; i < args.size() && args[i] != "--"; ++i) {
        if (args[i] == "--config" || args[i].rfind("--config=", 0) == 0)
            return make_error("run --config", "must come first: xdpdk run --config FILE [-- options]");
        line.eal_args.push_back(args[i]);
    }
    if (i < args.size()) ++i;  // the `--`
    for (; i < args.size(); ++i) {
        if (args[i] == "--help" || args[i] == "-h") line.app_help = true;
        line.app_args.push_back(args[i]);
    }
    return line;
}

Status parse_run_options(const std::vector<std::string>& app_args, RunConfig& config) {
    CLI::App app{"xdpdk run application options"};
    ListOptions lists;
    RunConfig parsed = config;
    describe_options(app, parsed, lists);
    try {
        std::vector<std::string> reversed(app_args.rbegin(), app_args.rend());
        app.parse(reversed);
    } catch (const CLI::ParseError& e) {
        return make_error("run", first_line(e.what()));
    }
    for (const auto& text : lists.attach) {
        XDPDK_ASSIGN_OR_RETURN(AttachSpec spec, parse_attach_spec(text));
        parsed.attach.push_back(std::move(spec));
    }
    for (const auto& text : lists.pass) {
        XDPDK_ASSIGN_OR_RETURN(PassSpec spec, parse_pass_spec(text));
        parsed.pass.push_back(std::move(spec));
    }
    for (const auto& text : lists.ifindex) {
        XDPDK_ASSIGN_OR_RETURN(IfindexSpec spec, parse_ifindex_spec(text));
        parsed.ifindex.push_back(spec);
    }
    for (const auto& text : lists.xsk) {
        XDPDK_ASSIGN_OR_RETURN(XskSpec spec, parse_xsk_spec(text));
        parsed.xsk.push_back(std::move(spec));
    }
    parsed.sets.insert(parsed.sets.end(), lists.sets.begin(), lists.sets.end());
    // A size on the command line overrides the file's size for that map.
    for (const std::string& arg : lists.map_sizes) {
        const std::string name = arg.substr(0, arg.find('='));
        std::erase_if(parsed.map_sizes, [&](const std::string& a) { return a.substr(0, a.find('=')) == name; });
    }
    parsed.map_sizes.insert(parsed.map_sizes.end(), lists.map_sizes.begin(), lists.map_sizes.end());
    if (!lists.filter_action.empty()) {
        XDPDK_RETURN_IF_ERROR(loader::parse_filter_action(lists.filter_action));
        parsed.filter_action = lists.filter_action;
    }
    if (!lists.engine.empty()) {
        auto engine = vm::parse_engine(lists.engine);
        if (!engine) return make_error("run --engine", engine.error().reason);
        parsed.engine = *engine;
    }
    config = std::move(parsed);
    return {};
}

std::string run_options_help() {
    CLI::App app{"xdpdk run [EAL options] -- [application options]", "xdpdk run --"};
    ListOptions lists;
    RunConfig scratch;
    describe_options(app, scratch, lists);
    return app.help();
}

Result<AttachSpec> parse_attach_spec(std::string_view text) {
    const std::string subject = "--attach '" + std::string(text) + "'";
    XDPDK_ASSIGN_OR_RETURN(auto rule, split_port_rule(text, subject, "PORT=PROG.o[@NAME]"));
    AttachSpec spec;
    spec.port = rule.first;
    std::string_view prog = rule.second;
    XDPDK_ASSIGN_OR_RETURN(auto filter, loader::filter_from_word(prog, subject));
    if (filter) {
        spec.filter = std::move(filter);
        return spec;
    }
    const size_t at = prog.rfind('@');
    if (at != std::string_view::npos) {
        spec.program_name = std::string(prog.substr(at + 1));
        prog = prog.substr(0, at);
        if (spec.program_name.empty()) return make_error(subject, "empty program name after '@'");
    }
    if (prog.empty()) return make_error(subject, "expected PORT=PROG.o[@NAME]");
    spec.object_path = std::string(prog);
    return spec;
}

Result<PassSpec> parse_pass_spec(std::string_view text) {
    const std::string subject = "--pass '" + std::string(text) + "'";
    XDPDK_ASSIGN_OR_RETURN(auto rule, split_port_rule(text, subject, "PORT=tap[:IFNAME]|port:N|drop"));
    PassSpec spec;
    spec.port = rule.first;
    const std::string_view dest = rule.second;
    if (dest == "drop") {
        spec.kind = PassSpec::Kind::Drop;
    } else if (dest == "tap" || dest.rfind("tap:", 0) == 0) {
        spec.kind = PassSpec::Kind::Tap;
        if (dest.size() > 4) spec.tap_name = std::string(dest.substr(4));
        if (spec.tap_name.size() > 15) return make_error(subject, "interface names have at most 15 characters");
    } else if (dest.rfind("port:", 0) == 0) {
        spec.kind = PassSpec::Kind::Port;
        XDPDK_ASSIGN_OR_RETURN(spec.target_port, parse_port(dest.substr(5), subject));
    } else {
        return make_error(subject, "destination must be tap, tap:IFNAME, port:N or drop");
    }
    return spec;
}

Result<IfindexSpec> parse_ifindex_spec(std::string_view text) {
    const std::string subject = "--ifindex '" + std::string(text) + "'";
    XDPDK_ASSIGN_OR_RETURN(auto rule, split_port_rule(text, subject, "PORT=IFINDEX"));
    IfindexSpec spec;
    spec.port = rule.first;
    if (!parse_number(rule.second, spec.ifindex) || spec.ifindex == 0)
        return make_error(subject, "ifindex must be a positive integer");
    return spec;
}

Result<XskSpec> parse_xsk_spec(std::string_view text) {
    const std::string subject = "--xsk '" + std::string(text) + "'";
    const Error usage = make_error(subject, "expected MAP[SLOT]=port:N");
    const size_t open = text.find('['), close = text.find(']'), eq = text.find('=');
    if (open == std::string_view::npos || open == 0 || close == std::string_view::npos || close < open ||
        eq != close + 1)
        return usage;
    XskSpec spec;
    spec.text = std::string(text);
    spec.map = std::string(text.substr(0, open));
    if (!parse_number(text.substr(open + 1, close - open - 1), spec.slot))
        return make_error(subject, "SLOT must be a number from 0 to 4294967295");
    const std::string_view dest = text.substr(eq + 1);
    if (dest.rfind("port:", 0) != 0) return usage;
    XDPDK_ASSIGN_OR_RETURN(spec.port, parse_port(dest.substr(5), subject));
    return spec;
}

Status check_filter_usage(const RunConfig& c) {
    const bool any_filter = std::any_of(c.attach.begin(), c.attach.end(), [](const AttachSpec& a) { return a.filter; });
    const bool only_filters =
        !c.attach.empty() && std::all_of(c.attach.begin(), c.attach.end(), [](const AttachSpec& a) { return a.filter; });
    if (!c.filter_action.empty() && !any_filter)
        return make_error("--filter-action", "applies to filters: attach one with --attach PORT=filter:EXPR");
    if (!only_filters) return {};
    // The loader's rules of a filter (spec_source.h), as the dataplane
    // would apply them to the first filter given run's options.
    const AttachSpec& first = c.attach.front();
    ProgramSpec spec;
    loader::set_filter(spec, *first.filter);
    spec.globals = c.sets;
    spec.map_sizes = c.map_sizes;
    spec.maps_json = c.maps_in;
    const std::string subject =
        "--attach port " + std::to_string(first.port) + " " + loader::ProgramSource{"", first.filter}.label();
    auto source = loader::program_source(spec, subject);
    if (!source) return source.error();
    return {};
}

Status validate_run_config(const RunConfig& c) {
    if (c.attach.empty()) return make_error("run", "no program attached: give --attach PORT=PROG.o[@NAME]");
    std::set<uint16_t> attached;
    for (const auto& a : c.attach) {
        if (!attached.insert(a.port).second)
            return make_error("--attach port " + std::to_string(a.port), "port is attached twice (one program per port)");
    }
    std::set<uint16_t> with_pass;
    for (const auto& p : c.pass) {
        if (!with_pass.insert(p.port).second)
            return make_error("--pass port " + std::to_string(p.port), "port has two pass destinations");
        if (p.kind == PassSpec::Kind::Port && p.target_port == p.port)
            return make_error("--pass port " + std::to_string(p.port),
                              "passing to the receiving port itself is XDP_TX; use port:N with another port");
    }
    std::map<uint16_t, uint32_t> ifindex_of;
    std::map<uint32_t, uint16_t> port_of;
    for (const auto& f : c.ifindex) {
        if (!ifindex_of.emplace(f.port, f.ifindex).second)
            return make_error("--ifindex port " + std::to_string(f.port), "port has two ifindexes");
        if (f.ifindex == 0) return make_error("--ifindex port " + std::to_string(f.port), "ifindex must be positive");
    }
    for (const auto& [port, ifindex] : ifindex_of) {
        if (!port_of.emplace(ifindex, port).second)
            return make_error("--ifindex " + std::to_string(ifindex),
                              "given to ports " + std::to_string(port_of[ifindex]) + " and " + std::to_string(port));
    }
    std::set<std::pair<std::string, uint32_t>> xsk_slots;
    for (const auto& x : c.xsk)
        if (!xsk_slots.emplace(x.map, x.slot).second)
            return make_error("--xsk '" + x.text + "'", "slot " + std::to_string(x.slot) + " of map '" + x.map +
                                                            "' is bound twice");
    if (c.duration_s < 0) return make_error("--duration", "must not be negative");
    if (c.stats_interval_s < 0) return make_error("--stats-interval", "must not be negative");
    if (c.rx_queues == 0) return make_error("--rx-queues", "must be at least 1");
    if (c.rx_desc == 0 || c.tx_desc == 0) return make_error("--rx-desc/--tx-desc", "must be at least 1");
    if (c.burst == 0 || c.burst > 512) return make_error("--burst", "must be from 1 to 512");
    if (c.mbufs_per_pool && *c.mbufs_per_pool == 0) return make_error("--mbufs", "must be at least 1");
    return {};
}

}  // namespace xdpdk::cli
