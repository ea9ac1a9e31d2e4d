// `xdpdk run` as users run it: the built binary (EAL initialises once per
// process, so every run is a subprocess) on net_pcap and net_ring vdevs
// without hugepages. What the ports send and what the summary counts must
// equal what `xdpdk replay` gives for the same object, setup and capture.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "sample_scenarios.h"
#include "test_support.h"
#include "vm/object.h"

using namespace xdpdk::test;
using nlohmann::json;

namespace xdpdk::test {
void PrintTo(const SampleScenario& s, std::ostream* os) { *os << s.name; }
}  // namespace xdpdk::test

namespace {

const char* const kActions[] = {"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"};

std::string hex(const Bytes& b) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (uint8_t c : b) s += {d[c >> 4], d[c & 15]};
    return s;
}

// Packet bytes of a capture, as hex strings, in order.
std::vector<std::string> capture_hex(const std::string& path) {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), errbuf);
    if (!p) {
        ADD_FAILURE() << path << ": " << errbuf;
        return {};
    }
    std::vector<std::string> out;
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1) out.push_back(hex(Bytes(d, d + h->caplen)));
    pcap_close(p);
    return out;
}

// EAL options every run gets: no hugepages, no PCI, a file prefix of its own
// so parallel tests never share runtime files.
std::vector<std::string> eal_base(const std::string& lcores = "0,1") {
    static int counter = 0;
    return {"--no-huge", "-m", "1024", "--no-pci",
            "--file-prefix=xdpdk-dp-" + std::to_string(getpid()) + "-" + std::to_string(counter++), "-l", lcores,
            "--log-level=error"};
}

CommandResult run_dp(const std::vector<std::string>& eal, const std::vector<std::string>& app) {
    std::vector<std::string> args = {xdpdk_binary(), "run"};
    args.insert(args.end(), eal.begin(), eal.end());
    args.push_back("--");
    args.insert(args.end(), app.begin(), app.end());
    return run_command(args);
}

json parse_summary(const CommandResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    try {
        return json::parse(r.out);
    } catch (const std::exception& e) {
        ADD_FAILURE() << "summary is not JSON: " << e.what() << "\n" << r.out << "\n" << r.err;
        return json::object();
    }
}

const json& port_of(const json& summary, int id) {
    for (const json& p : summary.at("ports"))
        if (p.at("port") == id) return p;
    static const json none = json::object();
    ADD_FAILURE() << "no port " << id << " in summary";
    return none;
}

void expect_pools_released(const json& summary) {
    ASSERT_FALSE(summary.at("mempools").empty());
    for (const json& pool : summary.at("mempools")) EXPECT_EQ(pool.at("in_use"), 0) << pool.dump();
}

// "xdpdk: ..." once on stderr (EAL's own lines aside), nothing on stdout,
// a failing exit code.
void expect_one_error(const CommandResult& r, const std::string& expected) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
    std::istringstream in(r.err);
    std::string line;
    std::vector<std::string> ours;
    while (std::getline(in, line))
        if (line.rfind("xdpdk: ", 0) == 0) ours.push_back(line);
    ASSERT_EQ(ours.size(), 1u) << r.err;
    EXPECT_NE(ours[0].find(expected), std::string::npos) << "stderr: " << r.err << "expected: " << expected;
}

// A sample scenario's map setup as --maps-in JSON (per-CPU values copied to
// every slot) and its globals as --set options.
struct ScenarioSetup {
    std::vector<std::string> options;  // --maps-in FILE, --set NAME=hex:..
};

ScenarioSetup write_setup(const SampleScenario& s, const std::string& dir, uint32_t ncpus) {
    ScenarioSetup setup;
    for (const auto& g : s.globals) setup.options.insert(setup.options.end(), {"--set", g.name + "=hex:" + hex(g.value)});
    if (s.entries.empty()) return setup;
    auto obj = xdpdk::vm::Object::open(prog_path(s.object));
    if (!obj) {
        ADD_FAILURE() << obj.error().str();
        return setup;
    }
    json maps = json::object();
    for (const auto& e : s.entries) {
        const xdpdk::vm::Map* map = (*obj)->find_map(e.map);
        if (!map) {
            ADD_FAILURE() << "no map " << e.map;
            continue;
        }
        json entry = {{"key", hex(e.key)}};
        if (map->percpu()) entry["values"] = std::vector<std::string>(ncpus, hex(e.value));
        else entry["value"] = hex(e.value);
        maps[e.map].push_back(entry);
    }
    const std::string path = dir + "/maps-in.json";
    write_file(path, maps.dump());
    setup.options.insert(setup.options.end(), {"--maps-in", path});
    return setup;
}

// Map dumps compared entry by entry; hash maps list their entries in an
// order of their own, so each map's entries are sorted first.
json sorted_maps(const std::string& path) {
    json maps = json::parse(read_file(path));
    for (auto& [name, entries] : maps.items())
        if (entries.is_array()) std::sort(entries.begin(), entries.end(), [](const json& a, const json& b) {
            return a.dump() < b.dump();
        });
    return maps;
}

void expect_same_maps(const std::string& got_path, const std::string& want_path) {
    const json got = sorted_maps(got_path), want = sorted_maps(want_path);
    for (const auto& [name, entries] : want.items()) {
        ASSERT_TRUE(got.contains(name)) << "map " << name << " missing from " << got_path;
        EXPECT_TRUE(got[name] == entries) << "map " << name << " differs: " << got_path << " vs " << want_path;
    }
    EXPECT_EQ(got.size(), want.size());
}

struct ReplayRecord {
    std::string action;
    uint64_t retval = 0;
    std::string data;
    int64_t redirect_ifindex = -1;
};

std::vector<ReplayRecord> replay_records(const std::string& object, const std::string& program,
                                         const std::string& pcap, const std::vector<std::string>& setup,
                                         const std::string& maps_out) {
    const std::string jsonl = maps_out + ".jsonl";
    std::vector<std::string> args = {xdpdk_binary(), "replay", object, pcap, "--prog", program,
                                     "--jsonl",      jsonl,    "--maps-out", maps_out};
    args.insert(args.end(), setup.begin(), setup.end());
    const CommandResult r = run_command(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<ReplayRecord> records;
    std::istringstream in(read_file(jsonl));
    std::string line;
    while (std::getline(in, line)) {
        const json j = json::parse(line);
        ReplayRecord rec{j.at("action"), j.at("retval"), j.at("data"), -1};
        if (j.contains("redirect")) rec.redirect_ifindex = j["redirect"].at("ifindex");
        records.push_back(rec);
    }
    return records;
}

// Three pcap ports: 0 receives the capture and transmits XDP_TX, 1 gets
// XDP_PASS (--pass 0=port:1), 2 is one more redirect target. Ifindexes are
// the defaults, port + 1.
struct ThreePorts {
    std::string dir;
    std::vector<std::string> eal;
    std::string tx(int port) const { return dir + "/tx" + std::to_string(port) + ".pcap"; }
};

ThreePorts three_pcap_ports(const std::string& dir, const std::string& rx_pcap, const std::string& lcores = "0,1") {
    ThreePorts p{dir, eal_base(lcores)};
    p.eal.push_back("--vdev=net_pcap0,rx_pcap=" + rx_pcap + ",tx_pcap=" + p.tx(0));
    p.eal.push_back("--vdev=net_pcap1,tx_pcap=" + p.tx(1));
    p.eal.push_back("--vdev=net_pcap2,tx_pcap=" + p.tx(2));
    return p;
}

// Where each replayed packet leaves the dataplane, and the counts.
struct Expected {
    std::vector<std::string> out[3];
    std::map<std::string, std::pair<uint64_t, uint64_t>> actions;
    uint64_t unknown = 0, redirect_errors = 0;
};

Expected expected_from(const std::vector<ReplayRecord>& records) {
    Expected e;
    for (const char* a : kActions) e.actions[a] = {0, 0};
    for (const auto& r : records) {
        auto& [packets, bytes] = e.actions[r.action];
        ++packets;
        bytes += r.data.size() / 2;
        if (r.retval > 4) ++e.unknown;
        if (r.action == "XDP_TX") e.out[0].push_back(r.data);
        if (r.action == "XDP_PASS") e.out[1].push_back(r.data);
        if (r.action == "XDP_REDIRECT") {
            if (r.redirect_ifindex >= 1 && r.redirect_ifindex <= 3) e.out[r.redirect_ifindex - 1].push_back(r.data);
            else ++e.redirect_errors;
        }
    }
    return e;
}

void expect_actions(const json& port, const Expected& e) {
    for (const char* a : kActions) {
        EXPECT_EQ(port.at("actions").at(a).at("packets"), e.actions.at(a).first) << a;
        EXPECT_EQ(port.at("actions").at(a).at("bytes"), e.actions.at(a).second) << a;
    }
    EXPECT_EQ(port.at("unknown_actions"), e.unknown);
    EXPECT_EQ(port.at("redirect_errors"), e.redirect_errors);
}

std::string scenario_name(const ::testing::TestParamInfo<SampleScenario>& info) { return info.param.name; }

class SampleEquivalence : public ::testing::TestWithParam<SampleScenario> {};

// Two captures per scenario keep the suite short: edge_cases (frames from
// 14 bytes to the 3520-byte XDP maximum, bad headers) and the scenario's own
// traffic, else sample.pcap.
std::vector<std::string> equivalence_pcaps(const SampleScenario& s) {
    std::vector<std::string> chosen = {"pcaps/edge_cases.pcap"};
    std::string own = "pcaps/sample.pcap";
    if (s.object == "firewall") own = "pcaps/fw_traffic.pcap";
    if (s.object == "load_balancer") own = "pcaps/lb_traffic.pcap";
    for (const std::string& rel : s.pcaps)
        if (rel == own) chosen.push_back(rel);
    return chosen;
}

// One worker: the pcaps each port writes, the per-action counters and the
// maps afterwards equal replay's.
TEST_P(SampleEquivalence, OutputsCountersAndMapsEqualReplay) {
    const SampleScenario& s = GetParam();
    for (const std::string& rel : equivalence_pcaps(s)) {
        SCOPED_TRACE(rel);
        const std::string dir = temp_dir();
        const std::string pcap = source_path(rel);
        const ScenarioSetup setup = write_setup(s, dir, 1);
        const auto records = replay_records(prog_path(s.object), s.program, pcap, setup.options, dir + "/replay-maps");
        ASSERT_FALSE(records.empty());
        const Expected want = expected_from(records);

        const ThreePorts ports = three_pcap_ports(dir, pcap);
        std::vector<std::string> app = {"--attach", "0=" + prog_path(s.object) + "@" + s.program, "--pass", "0=port:1",
                                        "--packets", std::to_string(records.size()), "--json", "--maps-out",
                                        dir + "/run-maps"};
        app.insert(app.end(), setup.options.begin(), setup.options.end());
        const CommandResult r = run_dp(ports.eal, app);
        const json summary = parse_summary(r);
        ASSERT_TRUE(summary.contains("ports")) << r.out << r.err;
        EXPECT_EQ(summary.at("stopped_by"), "--packets");
        const json& port0 = port_of(summary, 0);
        EXPECT_EQ(port0.at("rx").at("packets"), records.size());
        expect_actions(port0, want);
        for (int port = 0; port < 3; ++port) {
            EXPECT_EQ(capture_hex(ports.tx(port)), want.out[port]) << "port " << port;
            EXPECT_EQ(port_of(summary, port).at("tx").at("packets"), want.out[port].size());
            EXPECT_EQ(port_of(summary, port).at("tx").at("drops"), 0);
        }
        expect_same_maps(dir + "/run-maps", dir + "/replay-maps");
        expect_pools_released(summary);
    }
}

INSTANTIATE_TEST_SUITE_P(Samples, SampleEquivalence, ::testing::ValuesIn(sample_scenarios(0)), scenario_name);

// ---- configuration errors: one clear line, non-zero exit, no traffic ----

class RunErrors : public ::testing::Test {
protected:
    void SetUp() override { dir_ = temp_dir(); }
    std::vector<std::string> one_port(const std::string& lcores = "0,1") {
        auto eal = eal_base(lcores);
        eal.push_back("--vdev=net_pcap0,rx_pcap=" + source_path("pcaps/sample.pcap") + ",tx_pcap=" + tx());
        return eal;
    }
    std::string tx() const { return dir_ + "/tx.pcap"; }
    std::string drop() const { return "0=" + prog_path("xdp_drop"); }
    std::string dir_;
};

TEST_F(RunErrors, UnknownPort) {
    expect_one_error(run_dp(one_port(), {"--attach", "3=" + prog_path("xdp_drop")}),
                     "--attach 3: no port 3 (ports: 0 (net_pcap0)");
}

TEST_F(RunErrors, PassToUnknownPort) {
    expect_one_error(run_dp(one_port(), {"--attach", drop(), "--pass", "0=port:7"}), "--pass 0: no port 7");
}

TEST_F(RunErrors, MissingObject) {
    expect_one_error(run_dp(one_port(), {"--attach", "0=" + dir_ + "/missing.o"}), dir_ + "/missing.o");
}

TEST_F(RunErrors, UnknownProgramName) {
    expect_one_error(run_dp(one_port(), {"--attach", drop() + "@no_such_prog"}), "no_such_prog");
}

TEST_F(RunErrors, NoWorkerLcore) {
    expect_one_error(run_dp(one_port("0"), {"--attach", drop()}), "no worker lcore");
}

TEST_F(RunErrors, LcoreThatDoesNotExist) {
    expect_one_error(run_dp(one_port("0,97"), {"--attach", drop()}), "EAL: cannot initialise");
}

TEST_F(RunErrors, PortAttachedTwice) {
    expect_one_error(run_dp(one_port(), {"--attach", drop(), "--attach", "0=" + prog_path("xdp_pass")}),
                     "--attach port 0: port is attached twice");
}

TEST_F(RunErrors, BadOptionValues) {
    expect_one_error(run_dp(one_port(), {"--attach", "zero=" + prog_path("xdp_drop")}), "port must be a port id");
    expect_one_error(run_dp(one_port(), {"--attach", drop(), "--pass", "0=stack"}),
                     "destination must be tap, tap:IFNAME, port:N or drop");
    expect_one_error(run_dp(one_port(), {"--attach", drop(), "--engine", "fast"}), "--engine");
    expect_one_error(run_dp(one_port(), {"--attach", drop(), "--bogus"}), "--bogus");
    expect_one_error(run_dp(one_port(), {}), "no program attached");
}

TEST_F(RunErrors, NoTrafficBeforeTheError) {
    // Programs load after EAL but before any port starts: mac_swap would
    // send every packet back, yet the port's tx capture stays empty.
    expect_one_error(run_dp(one_port(), {"--attach", "0=" + prog_path("mac_swap") + "@nope"}), "nope");
    EXPECT_TRUE(capture_hex(tx()).empty());
}

}  // namespace
