// `xdpdk run` as users run it: the built binary (EAL initialises once per
// process, so every run is a subprocess) on net_pcap and net_ring vdevs
// without hugepages. What the ports send and what the summary counts must
// equal what `xdpdk replay` gives for the same object, setup and capture.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
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

#include "dataplane/replay/pcap_io.h"
#include "packet_builder.h"
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

// One program on port 0 of three pcap ports, one worker, against replay of
// the same object, setup and capture.
struct EquivalenceCase {
    std::string object;   // path
    std::string program;  // name
    std::string pcap;     // path
    std::vector<std::string> setup;  // --set/--maps-in, given to both
    std::vector<std::string> run_extra;
};

// The pcaps each port writes, the per-action counters and the maps afterwards
// equal replay's. Returns the run's summary.
json expect_equivalent_to_replay(const EquivalenceCase& c) {
    const std::string dir = temp_dir();
    const auto records = replay_records(c.object, c.program, c.pcap, c.setup, dir + "/replay-maps");
    EXPECT_FALSE(records.empty());
    const Expected want = expected_from(records);

    const ThreePorts ports = three_pcap_ports(dir, c.pcap);
    std::vector<std::string> app = {"--attach", "0=" + c.object + "@" + c.program, "--pass", "0=port:1", "--packets",
                                    std::to_string(records.size()), "--json", "--maps-out", dir + "/run-maps"};
    app.insert(app.end(), c.setup.begin(), c.setup.end());
    app.insert(app.end(), c.run_extra.begin(), c.run_extra.end());
    const CommandResult r = run_dp(ports.eal, app);
    const json summary = parse_summary(r);
    if (!summary.contains("ports")) {
        ADD_FAILURE() << r.out << r.err;
        return summary;
    }
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
    return summary;
}

TEST_P(SampleEquivalence, OutputsCountersAndMapsEqualReplay) {
    const SampleScenario& s = GetParam();
    for (const std::string& rel : equivalence_pcaps(s)) {
        SCOPED_TRACE(rel);
        const ScenarioSetup setup = write_setup(s, temp_dir(), 1);
        expect_equivalent_to_replay({prog_path(s.object), s.program, source_path(rel), setup.options, {}});
    }
}

INSTANTIATE_TEST_SUITE_P(Samples, SampleEquivalence, ::testing::ValuesIn(sample_scenarios(0)), scenario_name);

// tests/progs/verdicts.o on sample.pcap: every action, a return value that is
// no action (counted as XDP_ABORTED and apart), a shortened packet, a
// redirect to an ifindex no port has (dropped, counted as a redirect error),
// one to port 2 through a devmap entry, and global data.
// verdicts.o on sample.pcap through expect_equivalent_to_replay, its devmap
// entry 2 pointing at `ifindex`; the trace goes to dir/trace.log.
json run_verdicts(const std::string& dir, uint32_t devmap_ifindex) {
    write_file(dir + "/maps.json",
               R"({"ports": [{"key": "02000000", "ifindex": )" + std::to_string(devmap_ifindex) + "}]}");
    return expect_equivalent_to_replay({test_prog_path("verdicts"), "xdp_verdicts", source_path("pcaps/sample.pcap"),
                                        {"--maps-in", dir + "/maps.json"}, {"--trace", dir + "/trace.log"}});
}

// Maps sized by the loader: the same --map-size reaches the dataplane's
// object as replay's, so the 4-slot source table fills alike.
TEST(RunMapSizes, LoaderSizedMapsMatchReplay) {
    const json summary = expect_equivalent_to_replay(
        {test_prog_path("map_sized_by_loader"), "count_sources", source_path("pcaps/lb_traffic.pcap"),
         {"--map-size", "src_packets=4", "--map-size", "proto_packets=3"}, {}});
    ASSERT_TRUE(summary.contains("ports"));
    EXPECT_GT(port_of(summary, 0).at("actions").at("XDP_DROP").at("packets").get<uint64_t>(), 0u);
}

// Only the attached program is loaded: its object's other program, which the
// verifier refuses, does not stop the run (as with xdp-loader).
TEST(RunLoadOnly, TheAttachedProgramRunsBesideARefusedOne) {
    expect_equivalent_to_replay({test_prog_path("one_prog_refused"), "xdp_checked", source_path("pcaps/sample.pcap"),
                                 {}, {}});
}

TEST(RunVerdicts, UnknownActionsRedirectsAndRewritesMatchReplay) {
    const std::string dir = temp_dir();
    const json summary = run_verdicts(dir, 3);
    const json& port0 = port_of(summary, 0);
    // Every aborted packet is traced (fewer than the rate limit here), with
    // the value the program returned.
    const uint64_t aborted = port0.at("actions").at("XDP_ABORTED").at("packets");
    ASSERT_GT(aborted, 0u);
    ASSERT_LT(aborted, 50u);
    const std::string trace = read_file(dir + "/trace.log");
    size_t lines = 0, unknown_lines = 0;
    for (size_t at = trace.find("XDP_ABORTED"); at != std::string::npos; at = trace.find("XDP_ABORTED", at + 1)) ++lines;
    for (size_t at = trace.find("return value 7"); at != std::string::npos; at = trace.find("return value 7", at + 1))
        ++unknown_lines;
    EXPECT_EQ(lines, aborted) << trace;
    EXPECT_EQ(unknown_lines, port0.at("unknown_actions").get<uint64_t>()) << trace;
    EXPECT_GT(port0.at("unknown_actions").get<uint64_t>(), 0u);
    EXPECT_GT(port0.at("redirect_errors").get<uint64_t>(), 0u);
    EXPECT_GT(port_of(summary, 2).at("tx").at("packets").get<uint64_t>(), 0u);
}

// The devmap entry now points back at the receiving port (ifindex 1): its tx
// capture interleaves XDP_TX and redirected packets, and must keep the
// order they arrived in, as replay's does.
TEST(RunVerdicts, RedirectsToTheReceivingPortKeepOrderWithTx) {
    const json summary = run_verdicts(temp_dir(), 1);
    const json& port0 = port_of(summary, 0);
    EXPECT_GT(port0.at("actions").at("XDP_TX").at("packets").get<uint64_t>(), 0u);
    EXPECT_GT(port0.at("actions").at("XDP_REDIRECT").at("packets").get<uint64_t>(),
              port0.at("redirect_errors").get<uint64_t>());
}

// `count` frames of an unassigned ethertype, their sizes taken from `sizes`
// in turn, each with its own byte pattern.
void write_frames(const std::string& path, const std::vector<size_t>& sizes, size_t count) {
    auto w = xdpdk::cli::PcapWriter::open(path, DLT_EN10MB);
    ASSERT_TRUE(w) << w.error().str();
    for (size_t i = 0; i < count; ++i) {
        Bytes frame(sizes[i % sizes.size()]);
        for (size_t b = 0; b < frame.size(); ++b) frame[b] = static_cast<uint8_t>(b * 3 + i);
        frame[12] = 0x88, frame[13] = 0xb5;
        w.value()->write({1, static_cast<int64_t>(i)}, static_cast<uint32_t>(frame.size()), frame);
    }
}

// A worker runs a one-program JIT set in its fast loop, but hands some
// packets to the general path: a tail that cannot grow to the frame's end
// (3600 bytes in one segment), several segments (5000 bytes). With those
// mixed in, verdicts.o's xdp_sequence, which stamps each packet with the
// number of its run and takes every action, gives replay's outputs, order
// and maps.
TEST(RunVerdicts, PacketsOffTheFastLoopKeepTheirOrder) {
    const std::string dir = temp_dir();
    const std::string pcap = dir + "/mixed.pcap";
    write_frames(pcap, {60, 3600, 5000, 1500, 3520, 200}, 30);
    const json summary = expect_equivalent_to_replay({test_prog_path("verdicts"), "xdp_sequence", pcap, {}, {}});
    ASSERT_TRUE(summary.contains("ports"));
    const json& actions = port_of(summary, 0).at("actions");
    EXPECT_EQ(actions.at("XDP_TX").at("packets"), 6 + 3);  // run 4 of each 5 shrinks frames under 3000 bytes first
    EXPECT_EQ(actions.at("XDP_ABORTED").at("packets"), 6);
}

TEST(RunEngines, InterpreterGivesTheSameResults) {
    const json summary = expect_equivalent_to_replay({prog_path("tail_calls"), "xdp_pipeline_entry",
                                                      source_path("pcaps/edge_cases.pcap"), {}, {"--engine", "interp"}});
    EXPECT_EQ(summary.value("engine", ""), "interp");
}

// tests/progs/helper_adjust.o runs a script of adjust_head/meta/tail calls
// from a map: their results, the lengths the program saw and the packets
// that leave (data_off, data_len, pkt_len carried back into the mbuf)
// equal replay's. Bytes a grown head exposes are the buffer's old contents
// (in the kernel too), so packets compare from the old start on.
struct AdjustScript {
    const char* name;
    std::vector<std::pair<uint32_t, int32_t>> ops;  // kind (1 head, 2 meta, 3 tail), delta
    size_t exposed_head;                            // bytes of grown head in front of the packet
};

std::string le32(uint32_t v) { return hex({uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)}); }

class RunAdjust : public ::testing::TestWithParam<AdjustScript> {};

TEST_P(RunAdjust, PacketsLeaveAsTheProgramLeftThem) {
    const AdjustScript& script = GetParam();
    const std::string dir = temp_dir();
    std::string value;
    for (size_t i = 0; i < 4; ++i) {
        const auto op = i < script.ops.size() ? script.ops[i] : std::pair<uint32_t, int32_t>{0, 0};
        value += le32(op.first) + le32(static_cast<uint32_t>(op.second));
    }
    write_file(dir + "/maps.json", R"({"adjust_script": [{"key": "00000000", "value": ")" + value + R"("}]})");
    const std::vector<std::string> setup = {"--maps-in", dir + "/maps.json"};
    const std::string pcap = source_path("pcaps/edge_cases.pcap");
    const auto records = replay_records(test_prog_path("helper_adjust"), "adjust_probe", pcap, setup, dir + "/replay-maps");
    ASSERT_FALSE(records.empty());

    const ThreePorts ports = three_pcap_ports(dir, pcap);
    std::vector<std::string> app = {"--attach", "0=" + test_prog_path("helper_adjust"), "--pass", "0=port:1",
                                    "--packets", std::to_string(records.size()), "--json", "--maps-out",
                                    dir + "/run-maps"};
    app.insert(app.end(), setup.begin(), setup.end());
    const CommandResult r = run_dp(ports.eal, app);
    const json summary = parse_summary(r);
    ASSERT_TRUE(summary.contains("ports")) << r.err;
    expect_actions(port_of(summary, 0), expected_from(records));
    const auto got = capture_hex(ports.tx(1));
    ASSERT_EQ(got.size(), records.size());
    for (size_t i = 0; i < got.size(); ++i) {
        const std::string& want = records[i].data;
        ASSERT_EQ(got[i].size(), want.size()) << "packet " << i;
        const size_t from = std::min(want.size(), script.exposed_head * 2);
        EXPECT_EQ(got[i].substr(from), want.substr(from)) << "packet " << i;
    }
    expect_same_maps(dir + "/run-maps", dir + "/replay-maps");
    expect_pools_released(summary);
}

INSTANTIATE_TEST_SUITE_P(
    Scripts, RunAdjust,
    ::testing::Values(AdjustScript{"head_grown_past_the_mbuf_headroom", {{1, -200}, {3, 64}}, 200},
                      AdjustScript{"head_grown_to_the_limit", {{1, -216}, {3, 100}}, 216},
                      AdjustScript{"meta_then_head_then_shrunk_tail", {{2, -32}, {1, -16}, {3, -10}}, 16},
                      AdjustScript{"head_shrunk", {{1, 14}}, 0}),
    [](const ::testing::TestParamInfo<AdjustScript>& info) { return std::string(info.param.name); });

// A frame that fills its one segment to within the tail reserve (3600
// bytes: 128 + 3600 + 320 > the 3968-byte buffer) gets a frame that ends
// right after it, as every runtime's frame must leave room for the reserve:
// the worker's fast loop hands it to the general path for that, and
// shrinking its tail then works as for any other frame. Replay is no oracle
// here (its linear part holds at most 3520 bytes), so the lengths are
// checked directly: every frame leaves 4 bytes shorter.
TEST(RunAdjustTail, OfAFrameThatFillsItsSegmentShrinks) {
    const std::string dir = temp_dir();
    const std::string pcap = dir + "/full.pcap";
    const std::vector<size_t> sizes = {60, 3600, 200, 3520};
    write_frames(pcap, sizes, sizes.size());
    write_file(dir + "/maps.json", R"({"adjust_script": [{"key": "00000000", "value": ")" + le32(3) +
                                       le32(static_cast<uint32_t>(-4)) + std::string(48, '0') + R"("}]})");
    const ThreePorts ports = three_pcap_ports(dir, pcap);
    const CommandResult r = run_dp(ports.eal, {"--attach", "0=" + test_prog_path("helper_adjust"), "--pass",
                                               "0=port:1", "--packets", std::to_string(sizes.size()), "--json",
                                               "--maps-in", dir + "/maps.json"});
    const json summary = parse_summary(r);
    ASSERT_TRUE(summary.contains("ports")) << r.err;
    const auto got = capture_hex(ports.tx(1));
    ASSERT_EQ(got.size(), sizes.size());
    for (size_t i = 0; i < sizes.size(); ++i) EXPECT_EQ(got[i].size() / 2, sizes[i] - 4) << "frame " << i;
    expect_pools_released(summary);
}

// net_ring: port 0 (pcap) passes to port 1, a ring whose transmit side is
// its own receive side; port 1's program passes on to port 2 (pcap). The
// output is replay of the second program over replay of the first one's
// passed packets.
TEST(RunRing, PacketsCrossARingPortBetweenTwoPrograms) {
    const std::string dir = temp_dir();
    const std::string pcap = source_path("pcaps/sample.pcap");
    const auto first = replay_records(prog_path("pkt_counter"), "xdp_count_protocols", pcap, {}, dir + "/m1");
    ASSERT_FALSE(first.empty());
    std::vector<std::string> passed;
    for (const auto& r : first)
        if (r.action == "XDP_PASS") passed.push_back(r.data);
    ASSERT_FALSE(passed.empty());
    // The passed packets as a capture, for the second replay.
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t* dumper = pcap_dump_open(dead, (dir + "/passed.pcap").c_str());
    ASSERT_NE(dumper, nullptr);
    for (const std::string& h : passed) {
        Bytes b;
        for (size_t i = 0; i < h.size(); i += 2) b.push_back(static_cast<uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
        pcap_pkthdr hdr{};
        hdr.caplen = hdr.len = static_cast<uint32_t>(b.size());
        pcap_dump(reinterpret_cast<u_char*>(dumper), &hdr, b.data());
    }
    pcap_dump_close(dumper);
    pcap_close(dead);
    const std::vector<std::string> setup = {"--set", "blocked_proto=17"};
    const auto second = replay_records(prog_path("global_config"), "xdp_configured", dir + "/passed.pcap", setup,
                                       dir + "/m2");
    std::vector<std::string> want;
    for (const auto& r : second)
        if (r.action == "XDP_PASS") want.push_back(r.data);

    auto eal = eal_base();
    eal.push_back("--vdev=net_pcap0,rx_pcap=" + pcap);
    eal.push_back("--vdev=net_ring0");
    eal.push_back("--vdev=net_pcap1,tx_pcap=" + dir + "/out.pcap");
    const CommandResult r = run_dp(eal, {"--attach", "0=" + prog_path("pkt_counter"), "--pass", "0=port:1",
                                         "--attach", "1=" + prog_path("global_config"), "--pass", "1=port:2",
                                         "--set", "blocked_proto=17", "--packets",
                                         std::to_string(first.size() + passed.size()), "--json"});
    const json summary = parse_summary(r);
    ASSERT_TRUE(summary.contains("ports")) << r.err;
    EXPECT_EQ(port_of(summary, 1).at("name"), "net_ring0");
    EXPECT_EQ(port_of(summary, 1).at("rx").at("packets"), passed.size());
    EXPECT_EQ(port_of(summary, 1).at("actions").at("XDP_PASS").at("packets"), want.size());
    EXPECT_EQ(capture_hex(dir + "/out.pcap"), want);
    expect_pools_released(summary);
}

// One worker, two ports with different programs: what one program leaves in
// the worker's run state must not reach its next run. Port 0 runs
// verdicts.o's xdp_jump (a tail call to xdp_stage2, which returns XDP_TX;
// XDP_DROP when the tail call fails), so every run leaves a tail-call count
// behind; port 1 runs mac_swap, which leaves nothing (so the worker need not
// reset before it). Both receive the same capture, their bursts
// alternating. Port 0 transmits every packet, as in replay; with a count
// carried over from earlier runs, its 34th tail call would fail and drop.
TEST(RunWorkers, RunStateOfOnePortsProgramDoesNotReachTheNextRun) {
    const std::string dir = temp_dir();
    const std::string pcap = source_path("pcaps/sample.pcap");
    const std::string maps = dir + "/jump.json";
    write_file(maps, R"({"jump": [{"key": "00000000", "prog": "xdp_stage2"}]})");
    const std::string object = test_prog_path("verdicts");
    const auto records = replay_records(object, "xdp_jump", pcap, {"--maps-in", maps}, dir + "/replay-maps");
    ASSERT_GT(records.size(), 64u);  // several bursts of 32 on each port
    const Expected want = expected_from(records);
    ASSERT_EQ(want.actions.at("XDP_TX").first, records.size());

    auto eal = eal_base();
    eal.push_back("--vdev=net_pcap0,rx_pcap=" + pcap + ",tx_pcap=" + dir + "/tx0.pcap");
    eal.push_back("--vdev=net_pcap1,rx_pcap=" + pcap + ",tx_pcap=" + dir + "/tx1.pcap");
    const CommandResult r = run_dp(eal, {"--attach", "0=" + object + "@xdp_jump", "--attach",
                                         "1=" + prog_path("mac_swap"), "--maps-in", maps, "--packets",
                                         std::to_string(2 * records.size()), "--json"});
    const json summary = parse_summary(r);
    ASSERT_TRUE(summary.contains("ports")) << r.out << r.err;
    EXPECT_EQ(port_of(summary, 0).at("rx").at("packets"), records.size());
    EXPECT_EQ(port_of(summary, 1).at("rx").at("packets"), records.size());
    EXPECT_GT(port_of(summary, 1).at("actions").at("XDP_TX").at("packets").get<uint64_t>(), 0u);
    expect_actions(port_of(summary, 0), want);
    EXPECT_TRUE(capture_hex(dir + "/tx0.pcap") == want.out[0]) << "port 0 transmitted other packets than replay";
    expect_pools_released(summary);
}

// The fast loop starts from a clean run state, whatever ran before it on
// the worker. One worker, three ports: port 0 runs verdicts.o's
// xdp_verdicts on IPv6 UDP frames, each a bpf_redirect to ifindex 3 (port
// 2), so every run leaves a redirect target behind; port 1 runs
// xdp_bare_redirect (XDP_REDIRECT without a target) in the fast loop, its
// bursts right after port 0's. Port 1's packets are all redirect errors;
// none follows port 0's target.
TEST(RunWorkers, FastLoopDoesNotInheritTheLastRunsRedirectTarget) {
    const std::string dir = temp_dir();
    std::vector<std::vector<uint8_t>> frames;
    for (uint16_t i = 0; i < 40; ++i) {
        xdpdk::test::PacketSpec s;
        s.l3 = xdpdk::test::L3::Ipv6;
        s.l4 = 17;
        s.sport = static_cast<uint16_t>(40000 + i);
        s.frame_len = 80;
        frames.push_back(xdpdk::test::build_packet(s));
    }
    const std::string pcap = dir + "/udp6.pcap";
    ASSERT_EQ(xdpdk::test::write_pcap(pcap, frames), "");
    const std::string object = test_prog_path("verdicts");
    auto eal = eal_base();
    eal.push_back("--vdev=net_pcap0,rx_pcap=" + pcap);
    eal.push_back("--vdev=net_pcap1,rx_pcap=" + pcap);
    eal.push_back("--vdev=net_pcap2,tx_pcap=" + dir + "/tx2.pcap");
    const CommandResult r = run_dp(eal, {"--attach", "0=" + object + "@xdp_verdicts", "--attach",
                                         "1=" + object + "@xdp_bare_redirect", "--set", "redirect_ifindex=3",
                                         "--packets", std::to_string(2 * frames.size()), "--json"});
    const json summary = parse_summary(r);
    ASSERT_TRUE(summary.contains("ports")) << r.out << r.err;
    const json& redirecting = port_of(summary, 0);
    EXPECT_EQ(redirecting.at("actions").at("XDP_REDIRECT").at("packets"), frames.size());
    EXPECT_EQ(redirecting.at("redirect_errors"), 0);
    const json& bare = port_of(summary, 1);
    EXPECT_EQ(bare.at("actions").at("XDP_REDIRECT").at("packets"), frames.size());
    EXPECT_EQ(bare.at("redirect_errors"), frames.size());
    EXPECT_EQ(capture_hex(dir + "/tx2.pcap").size(), frames.size());
    expect_pools_released(summary);
}

// Two workers, two rx queues (net_pcap: one capture per queue). Each worker
// polls one queue and runs as its own CPU: the per-CPU counters of
// pkt_counter hold, slot by slot, what replay counts for that queue's capture.
TEST(RunWorkers, QueuesSpreadAcrossWorkersAndPerCpuSlotsAreTheirs) {
    const std::string dir = temp_dir();
    const std::string a = source_path("pcaps/sample.pcap"), b = source_path("pcaps/fw_traffic.pcap");
    const auto ra = replay_records(prog_path("pkt_counter"), "xdp_count_protocols", a, {}, dir + "/ma");
    const auto rb = replay_records(prog_path("pkt_counter"), "xdp_count_protocols", b, {}, dir + "/mb");
    ASSERT_FALSE(ra.empty());
    ASSERT_FALSE(rb.empty());

    // Two worker lcores on however many CPUs there are: lcore 2 shares CPU 1.
    auto eal = eal_base("0,1");
    eal.erase(std::find(eal.begin(), eal.end(), "-l"), eal.end() - 1);  // drop "-l 0,1", keep the log level
    eal.insert(eal.end() - 1, {"--lcores", "0@0,1@1,2@1"});
    eal.push_back("--vdev=net_pcap0,rx_pcap=" + a + ",rx_pcap=" + b + ",tx_pcap=" + dir + "/tx0.pcap");
    eal.push_back("--vdev=net_pcap1,tx_pcap=" + dir + "/pass.pcap");
    const CommandResult r = run_dp(eal, {"--attach", "0=" + prog_path("pkt_counter"), "--pass", "0=port:1",
                                         "--rx-queues", "2", "--packets", std::to_string(ra.size() + rb.size()),
                                         "--json", "--maps-out", dir + "/run-maps"});
    const json summary = parse_summary(r);
    ASSERT_TRUE(summary.contains("ports")) << r.err;
    ASSERT_EQ(summary.at("workers").size(), 2u);
    const json& port0 = port_of(summary, 0);
    EXPECT_EQ(port0.at("rx_queues"), 2);
    ASSERT_EQ(port0.at("workers").size(), 2u);
    // Worker slot 0 polls queue 0 (capture a), slot 1 queue 1 (capture b).
    EXPECT_EQ(summary.at("workers")[0].at("queues"), json::parse(R"([{"port":0,"queue":0}])"));
    EXPECT_EQ(summary.at("workers")[1].at("queues"), json::parse(R"([{"port":0,"queue":1}])"));
    EXPECT_EQ(port0.at("workers")[0].at("rx").at("packets"), ra.size());
    EXPECT_EQ(port0.at("workers")[1].at("rx").at("packets"), rb.size());

    // proto_stats: slot s of every entry equals slot 0 of the replay of the
    // capture worker s read.
    const json run_maps = json::parse(read_file(dir + "/run-maps"));
    const json maps_a = json::parse(read_file(dir + "/ma")), maps_b = json::parse(read_file(dir + "/mb"));
    ASSERT_EQ(run_maps.at("proto_stats").size(), maps_a.at("proto_stats").size());
    bool second_slot_used = false;
    for (size_t i = 0; i < run_maps.at("proto_stats").size(); ++i) {
        const json& e = run_maps["proto_stats"][i];
        ASSERT_EQ(e.at("values").size(), 2u);
        EXPECT_EQ(e["values"][0], maps_a["proto_stats"][i].at("values")[0]) << e.dump();
        EXPECT_EQ(e["values"][1], maps_b["proto_stats"][i].at("values")[0]) << e.dump();
        second_slot_used |= e["values"][1] != e["values"][0];
    }
    EXPECT_TRUE(second_slot_used);

    // Both workers pass into port 1's single tx queue (shared under a lock):
    // everything arrives, in some interleaving.
    std::vector<std::string> want;
    for (const auto* records : {&ra, &rb})
        for (const auto& rec : *records)
            if (rec.action == "XDP_PASS") want.push_back(rec.data);
    auto got = capture_hex(dir + "/pass.pcap");
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
    expect_pools_released(summary);
}

// ---- stopping: --duration, signals; telemetry while running ----

// A run in the background, its output in files.
// `xdpdk run` left running while the test looks at it.
class BackgroundRun : public BackgroundCommand {
public:
    BackgroundRun(const std::vector<std::string>& eal, const std::vector<std::string>& app, const std::string& dir)
        : BackgroundCommand(run_args(eal, app), dir) {}

private:
    static std::vector<std::string> run_args(const std::vector<std::string>& eal, const std::vector<std::string>& app) {
        std::vector<std::string> args = {xdpdk_binary(), "run"};
        args.insert(args.end(), eal.begin(), eal.end());
        args.push_back("--");
        args.insert(args.end(), app.begin(), app.end());
        return args;
    }
};

std::string file_prefix_of(const std::vector<std::string>& eal) {
    for (const auto& a : eal)
        if (a.rfind("--file-prefix=", 0) == 0) return a.substr(14);
    return "";
}

// One request on DPDK's telemetry socket (what dpdk-telemetry.py does).
json telemetry_query(const std::string& socket_path, const std::string& command) {
    const int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        return json();
    }
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof buf);  // the greeting
    json reply;
    if (n > 0 && write(fd, command.data(), command.size()) == static_cast<ssize_t>(command.size())) {
        n = read(fd, buf, sizeof buf);
        if (n > 0) reply = json::parse(std::string(buf, static_cast<size_t>(n)), nullptr, false);
    }
    close(fd);
    return reply;
}

std::vector<std::string> endless_port(const std::string& dir) {
    auto eal = eal_base();
    eal.push_back("--vdev=net_pcap0,rx_pcap=" + source_path("pcaps/sample.pcap") + ",infinite_rx=1,tx_pcap=" + dir +
                  "/tx.pcap");
    return eal;
}

TEST(RunStop, DurationEndsTheRunAndEveryMbufComesBack) {
    const std::string dir = temp_dir();
    const CommandResult r =
        run_dp(endless_port(dir), {"--attach", "0=" + prog_path("xdp_drop"), "--duration", "0.5", "--json"});
    const json summary = parse_summary(r);
    ASSERT_TRUE(summary.contains("ports")) << r.err;
    EXPECT_EQ(summary.at("stopped_by"), "--duration");
    EXPECT_GE(summary.at("seconds").get<double>(), 0.5);
    const json& port0 = port_of(summary, 0);
    const uint64_t rx = port0.at("rx").at("packets");
    EXPECT_GT(rx, 100u);  // the capture replays endlessly
    EXPECT_EQ(port0.at("actions").at("XDP_DROP").at("packets"), rx);
    EXPECT_EQ(port0.at("nic").at("rx_packets"), rx);
    expect_pools_released(summary);
}

TEST(RunStop, SigtermStopsCleanlyAndTelemetryServesTheFiguresMeanwhile) {
    const std::string dir = temp_dir();
    const auto eal = endless_port(dir);
    BackgroundRun run(eal, {"--attach", "0=" + prog_path("mac_swap"), "--json", "--stats-interval", "0.2"}, dir);
    const std::string socket_path = "/var/run/dpdk/" + file_prefix_of(eal) + "/dpdk_telemetry.v2";
    json all, one;
    for (int i = 0; i < 100; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        all = telemetry_query(socket_path, "/xdpdk/stats");
        if (all.is_object() && all.contains("/xdpdk/stats") && all["/xdpdk/stats"].is_object() &&
            all["/xdpdk/stats"].value("rx_packets", json::array()).size() == 1 &&
            all["/xdpdk/stats"]["rx_packets"][0].get<uint64_t>() > 0)
            break;
    }
    one = telemetry_query(socket_path, "/xdpdk/stats,0");
    // A live line (every 0.2 s) before the signal.
    for (int i = 0; i < 100 && read_file(dir + "/stderr").find("port 0 net_pcap0") == std::string::npos; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    run.signal(SIGTERM);
    const CommandResult r = run.wait();
    ASSERT_TRUE(all.is_object() && all.contains("/xdpdk/stats")) << all.dump() << r.err;
    const json& stats = all["/xdpdk/stats"];
    EXPECT_EQ(stats.at("ports"), json::array({0}));
    EXPECT_GT(stats.at("rx_packets")[0].get<uint64_t>(), 0u);
    EXPECT_EQ(stats.at("tx_action_packets")[0], stats.at("rx_packets")[0]);  // mac_swap sends everything back
    // The reply is keyed by the command without its parameter.
    ASSERT_TRUE(one.is_object() && one.contains("/xdpdk/stats")) << one.dump();
    EXPECT_EQ(one["/xdpdk/stats"].at("name"), "net_pcap0");
    EXPECT_EQ(one["/xdpdk/stats"].at("program"), "xdp_mac_swap");
    EXPECT_EQ(one["/xdpdk/stats"].at("rx_packets_per_worker").size(), 1u);
    EXPECT_GE(one["/xdpdk/stats"].at("rx_packets").get<uint64_t>(), stats.at("rx_packets")[0].get<uint64_t>());

    const json summary = parse_summary(r);
    ASSERT_TRUE(summary.contains("ports")) << r.err;
    EXPECT_EQ(summary.at("stopped_by"), "signal");
    const json& port0 = port_of(summary, 0);
    EXPECT_GE(port0.at("rx").at("packets").get<uint64_t>(), stats.at("rx_packets")[0].get<uint64_t>());
    EXPECT_EQ(port0.at("tx").at("packets").get<uint64_t>() + port0.at("tx").at("drops").get<uint64_t>(),
              port0.at("actions").at("XDP_TX").at("packets").get<uint64_t>());
    expect_pools_released(summary);
    // Live lines went to stderr (stdout holds the JSON).
    EXPECT_NE(r.err.find("port 0 net_pcap0"), std::string::npos) << r.err;
}

TEST(RunSummary, TextSummaryNamesTheProgramAndCounts) {
    const std::string dir = temp_dir();
    auto eal = eal_base();
    eal.push_back("--vdev=net_pcap0,rx_pcap=" + source_path("pcaps/sample.pcap"));
    const CommandResult r = run_dp(eal, {"--attach", "0=" + prog_path("xdp_drop"), "--packets", "100"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("100 packets received"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("xdp_drop_all (section xdp)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("XDP_DROP                100"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("0 in use"), std::string::npos) << r.out;
}

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

TEST_F(RunErrors, UnsizedMapNamesTheOption) {
    expect_one_error(run_dp(one_port(), {"--attach", "0=" + test_prog_path("map_sized_by_loader")}),
                     "map 'proto_packets': max_entries is 0: the program's loader sets its size before load; give "
                     "one with --map-size proto_packets=N");
    expect_one_error(run_dp(one_port(), {"--attach", drop(), "--map-size", "nope=4"}),
                     "--map-size nope=4: the object has no map 'nope'");
}

TEST_F(RunErrors, DevmapAndCpumapProgramsAreNotAttachedToAPort) {
    expect_one_error(run_dp(one_port(), {"--attach", "0=" + test_prog_path("xdp_named_sections") + "@xdp_devmap_egress"}),
                     "prog 'xdp_devmap_egress' (section 'xdp/devmap') is an xdp/devmap program: it runs from a map "
                     "entry and cannot be attached to a port");
    expect_one_error(run_dp(one_port(), {"--attach", "0=" + test_prog_path("xdp_named_sections") + "@xdp_cpumap_pass"}),
                     "is an xdp/cpumap program");
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

// 1,000,000 mbufs of 4 KiB do not fit in -m 1024: the pool's name, its
// NUMA node and what to change, before any port starts.
TEST_F(RunErrors, PoolLargerThanTheMemory) {
    expect_one_error(run_dp(one_port(), {"--attach", drop(), "--mbufs", "1000000"}),
                     "mbuf pool xdpdk_mbufs_s0: cannot create 1000000 mbufs on socket 0");
    EXPECT_TRUE(read_file(tx()).size() <= 24) << "packets were sent before the error";
}

TEST_F(RunErrors, NoTrafficBeforeTheError) {
    // Programs load after EAL but before any port starts: mac_swap would
    // send every packet back, yet the port's tx capture stays empty.
    expect_one_error(run_dp(one_port(), {"--attach", "0=" + prog_path("mac_swap") + "@nope"}), "nope");
    EXPECT_TRUE(capture_hex(tx()).empty());
}

}  // namespace
