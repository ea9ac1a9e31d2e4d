// libFuzzer target: arbitrary bytes as the TOML file of `xdpdk run --config`
// (dataplane/tool/run_config_toml.h), parsed as run parses it, without DPDK.
//
// Besides crashes, sanitizer reports and leaks, the target stops when:
//   - a refusal is not one line, or does not name the file;
//   - an accepted config breaks what the reader promises: ports configured
//     once, one ifindex per port, a pass rule never to its own port, values
//     in their ranges, finite non-negative times, tap names the kernel
//     takes; every `set` and `map-size` is NAME=VALUE that splits back into
//     the name the file gave (map sizes as --map-size parses them); FIB
//     routes whose prefix has no bits past its length.
#include <unistd.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "dataplane/loader/map_size_option.h"
#include "dataplane/tool/run_config_toml.h"
#include "fuzz/fuzz_check.h"

using namespace xdpdk;
using namespace xdpdk::cli;

namespace {

constexpr const char* kFile = "fuzz.toml";

void expect(bool ok, const char* what, const std::string& detail = "") {
    if (!ok) fuzz::fail(what, detail);
}

void check_ports(const RunConfig& c) {
    std::set<uint16_t> attached, passed, with_ifindex;
    for (const AttachSpec& a : c.attach) {
        expect(attached.insert(a.port).second, "a port attached twice", std::to_string(a.port));
        expect(a.filter ? a.object_path.empty() && a.program_name.empty() : !a.object_path.empty(),
               "an attach with neither or both of an object and a filter", a.object_path);
    }
    for (const PassSpec& p : c.pass) {
        expect(passed.insert(p.port).second, "a port with two pass rules", std::to_string(p.port));
        expect(p.kind != PassSpec::Kind::Port || p.target_port != p.port, "pass to the receiving port itself");
        if (p.kind == PassSpec::Kind::Tap && !p.tap_name.empty()) {
            expect(p.tap_name.size() <= 15, "tap name longer than IFNAMSIZ - 1", p.tap_name);
            expect(p.tap_name.find_first_of("/:,= \t\n\r\v\f") == std::string::npos, "tap name with a separator",
                   p.tap_name);
        }
        if (p.kind != PassSpec::Kind::Tap) expect(p.tap_name.empty(), "a tap name on a pass rule that is no tap");
    }
    std::set<uint32_t> ifindexes;
    for (const IfindexSpec& f : c.ifindex) {
        expect(with_ifindex.insert(f.port).second, "a port with two ifindexes", std::to_string(f.port));
        expect(f.ifindex != 0, "ifindex 0");
        expect(ifindexes.insert(f.ifindex).second, "an ifindex given twice", std::to_string(f.ifindex));
    }
}

void check_values(const RunConfig& c) {
    expect(!c.eal_args.empty() && c.eal_args[0] == "xdpdk", "EAL arguments without the program name");
    for (size_t i = 1; i < c.eal_args.size(); ++i) expect(c.eal_args[i] != "--", "'--' among the EAL arguments");
    expect(std::isfinite(c.duration_s) && c.duration_s >= 0, "duration", std::to_string(c.duration_s));
    expect(std::isfinite(c.stats_interval_s) && c.stats_interval_s >= 0, "stats_interval",
           std::to_string(c.stats_interval_s));
    expect(c.rx_queues >= 1 && c.rx_queues <= 1024, "rx_queues", std::to_string(c.rx_queues));
    expect(c.rx_desc >= 1 && c.tx_desc >= 1, "rx_desc/tx_desc");
    expect(c.burst >= 1 && c.burst <= kMaxConfigBurst, "burst", std::to_string(c.burst));
    expect(c.mbuf_cache <= 512, "mbuf_cache", std::to_string(c.mbuf_cache));
    expect(!c.mbufs_per_pool || *c.mbufs_per_pool >= 1, "mbufs_per_pool 0");
}

// The file's own [set] / [map-size] tables, when they are tables: each key
// must come back out of "NAME=VALUE" as the same name.
void check_assignments(const RunConfig& c, const toml::table& root) {
    for (const std::string& s : c.sets) {
        const size_t eq = s.find('=');
        expect(eq != std::string::npos && eq > 0, "set without NAME=", s);
    }
    if (const auto* table = root.get_as<toml::table>("set")) {
        expect(table->size() == c.sets.size(), "[set] entries lost or added");
        size_t i = 0;
        for (auto&& [key, _] : *table) {
            const std::string& s = c.sets[i++];
            expect(s.substr(0, s.find('=')) == key.str(), "[set] key reads back as another name",
                   std::string(key.str()) + " -> " + s);
        }
    }
    auto sizes = loader::parse_map_sizes(c.map_sizes);
    if (!sizes) fuzz::fail("accepted map-size refused by --map-size's parser", sizes.error().str());
    if (const auto* table = root.get_as<toml::table>("map-size")) {
        expect(table->size() == sizes->size(), "[map-size] entries lost or added");
        size_t i = 0;
        for (auto&& [key, value] : *table) {
            const auto& [name, entries] = (*sizes)[i++];
            expect(name == key.str(), "[map-size] key reads back as another name",
                   std::string(key.str()) + " -> " + name);
            expect(entries == value.value_or(int64_t{0}), "[map-size] size reads back different", name);
        }
    }
}

void check_fib(const RunConfig& c) {
    for (const vm::FibRoute& r : c.fib.entries.routes) {
        const size_t bits = r.prefix.size() * 8;
        expect(r.prefix.family != 0 && r.prefix_len <= bits, "route prefix length", std::to_string(r.prefix_len));
        for (size_t b = r.prefix_len; b < bits; ++b)
            expect(!(r.prefix.bytes[b / 8] & (0x80 >> (b % 8))), "route prefix with bits past its length");
    }
    for (const auto& [i, port] : c.fib.route_ports) expect(i < c.fib.entries.routes.size(), "route port index");
    for (const auto& [i, port] : c.fib.neighbor_ports)
        expect(i < c.fib.entries.neighbors.size(), "neighbor port index");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (chdir(XDPDK_FUZZ_SOURCE_ROOT) != 0) fuzz::fail("cannot enter the source tree", XDPDK_FUZZ_SOURCE_ROOT);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto config = parse_run_config_toml(text, kFile);
    // XDPDK_FUZZ_VERBOSE=1: say why a config was refused (seed checks).
    static const bool verbose = std::getenv("XDPDK_FUZZ_VERBOSE") != nullptr;
    if (!config) {
        if (verbose) std::fprintf(stderr, "  %s\n", config.error().str().c_str());
        fuzz::check_one_line_error(config.error());
        if (!config.error().subject.starts_with(kFile)) fuzz::fail("refusal does not name the file", config.error().str());
        return 0;
    }
    check_ports(*config);
    check_values(*config);
    check_fib(*config);
    // The same text parsed again, for the tables the config came from.
    toml::table root;
    try {
        root = toml::parse(text, std::string_view(kFile));
    } catch (const toml::parse_error& e) {
        fuzz::fail("accepted text does not parse again", std::string(e.description()));
    }
    check_assignments(*config, root);
    return 0;
}
