// tcpdump filters through the built `xdpdk` wherever a program object goes:
// replay's per-packet verdicts against libpcap's own pcap_offline_filter on
// the same capture (both engines), --filter-action, --filter-ddd from the
// -ddd text of libpcap's compilation, prog dump/show, bench, `run --attach
// PORT=filter:EXPR` (command line and TOML) on net_pcap ports, a hot swap to
// a filter over the control socket, and the one-line errors with their exit
// codes.
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace xdpdk::test;
using nlohmann::json;

namespace {

std::string sample_pcap() { return source_path("pcaps/sample.pcap"); }

struct Packet {
    pcap_pkthdr header;
    std::vector<uint8_t> bytes;
};

std::vector<Packet> read_capture(const std::string& path) {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), errbuf);
    if (p == nullptr) {
        ADD_FAILURE() << path << ": " << errbuf;
        return {};
    }
    std::vector<Packet> out;
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1) out.push_back({*h, std::vector<uint8_t>(d, d + h->caplen)});
    pcap_close(p);
    return out;
}

// libpcap compiles the expression for the capture's link type as tcpdump
// does (optimised, netmask unknown).
struct Compiled {
    bpf_program prog{};
    std::string error;
    Compiled(const std::string& expression, int linktype) {
        pcap_t* dead = pcap_open_dead(linktype, 262144);
        if (pcap_compile(dead, &prog, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) error = pcap_geterr(dead);
        pcap_close(dead);
    }
    ~Compiled() { pcap_freecode(&prog); }
    Compiled(const Compiled&) = delete;
    Compiled& operator=(const Compiled&) = delete;
};

// The oracle: whether libpcap's interpreter accepts each packet.
std::vector<bool> libpcap_matches(const std::string& pcap, const std::string& expression) {
    const Compiled c(expression, DLT_EN10MB);
    EXPECT_EQ(c.error, "") << expression;
    std::vector<bool> out;
    for (const Packet& p : read_capture(pcap)) out.push_back(pcap_offline_filter(&c.prog, &p.header, p.bytes.data()) != 0);
    return out;
}

// `tcpdump -ddd EXPR`: the instruction count, then "code jt jf k" per line.
std::string ddd_text(const std::string& expression) {
    const Compiled c(expression, DLT_EN10MB);
    EXPECT_EQ(c.error, "") << expression;
    std::ostringstream out;
    out << c.prog.bf_len << "\n";
    for (u_int i = 0; i < c.prog.bf_len; ++i) {
        const bpf_insn& in = c.prog.bf_insns[i];
        out << in.code << " " << unsigned{in.jt} << " " << unsigned{in.jf} << " " << in.k << "\n";
    }
    return out.str();
}

CommandResult xdpdk(std::vector<std::string> args) {
    args.insert(args.begin(), xdpdk_binary());
    return run_command(args);
}

// Each packet's action from replay --jsonl (frames under 14 bytes run too).
std::vector<std::string> replay_actions(std::vector<std::string> args) {
    const std::string jsonl = temp_dir() + "/r.jsonl";
    args.insert(args.begin(), "replay");
    args.insert(args.end(), {"--jsonl", jsonl, "--run-runts"});
    const CommandResult r = xdpdk(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> actions;
    std::istringstream in(read_file(jsonl));
    for (std::string line; std::getline(in, line);) actions.push_back(json::parse(line).at("action"));
    return actions;
}

std::vector<std::string> expected_actions(const std::vector<bool>& matches, const std::string& match = "XDP_PASS",
                                          const std::string& no_match = "XDP_DROP") {
    std::vector<std::string> out;
    for (bool m : matches) out.push_back(m ? match : no_match);
    return out;
}

// What an error looks like: one line, "xdpdk: " first, nothing on stdout.
void expect_one_line_error(const CommandResult& r, int exit_code, const std::string& text) {
    EXPECT_EQ(r.exit_code, exit_code) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("xdpdk: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(text), std::string::npos) << r.err << "expected: " << text;
}

struct FilterCase {
    std::string expression;
    std::string pcap;
};

// Protocols, hosts, ports, VLAN, IPv6, indexed loads, len, broadcast and
// their combinations, over captures where each matches some packets and not
// others.
const FilterCase kReplayCases[] = {
    {"tcp", "pcaps/sample.pcap"},
    {"arp", "pcaps/sample.pcap"},
    {"host 10.0.0.2", "pcaps/sample.pcap"},
    {"tcp port 80", "pcaps/sample.pcap"},
    {"portrange 50-100", "pcaps/sample.pcap"},
    {"ip6 and icmp6", "pcaps/sample.pcap"},
    {"vlan and ip", "pcaps/sample.pcap"},
    {"tcp[tcpflags] & tcp-syn != 0", "pcaps/sample.pcap"},
    {"len > 500", "pcaps/sample.pcap"},
    {"net 198.51.100.0/24 or (udp and not port 53)", "pcaps/sample.pcap"},
    {"ether broadcast or ip6", "pcaps/sample.pcap"},
    {"udp port 4789", "pcaps/edge_cases.pcap"},
    {"ip[6:2] & 0x1fff != 0 or ip[0] & 0xf > 5", "pcaps/edge_cases.pcap"},
    {"vlan", "pcaps/edge_cases.pcap"},
    {"tcp dst port 443 and not ip6", "pcaps/edge_cases.pcap"},
};

TEST(FilterCli, ReplayVerdictsEqualLibpcapInBothEngines) {
    for (const FilterCase& c : kReplayCases) {
        const std::string pcap = source_path(c.pcap);
        const std::vector<bool> matches = libpcap_matches(pcap, c.expression);
        const auto matched = std::count(matches.begin(), matches.end(), true);
        // An expression that matches all or nothing would prove little.
        EXPECT_GT(matched, 0) << c.expression;
        EXPECT_LT(matched, static_cast<long>(matches.size())) << c.expression;
        for (const char* engine : {"jit", "interp"}) {
            const auto actions = replay_actions({"--filter", c.expression, pcap, "--engine", engine});
            EXPECT_EQ(actions, expected_actions(matches)) << c.expression << " on " << c.pcap << ", " << engine;
        }
    }
}

TEST(FilterCli, ReplaySummaryNamesTheFilter) {
    const CommandResult r = xdpdk({"replay", "--filter", "tcp port 80", sample_pcap()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("prog filter (filter:'tcp port 80'), engine jit, 100 packets"), std::string::npos) << r.out;
    // A newline in the expression (tcpdump takes it as a space) stays escaped: the header is one line.
    const CommandResult two_lines = xdpdk({"replay", "--filter", "tcp\nport 80", sample_pcap()});
    ASSERT_EQ(two_lines.exit_code, 0) << two_lines.err;
    EXPECT_NE(two_lines.out.find("prog filter (filter:'tcp\\nport 80'), engine jit"), std::string::npos)
        << two_lines.out;
}

TEST(FilterCli, FilterActionChoosesTheVerdicts) {
    const std::vector<bool> matches = libpcap_matches(sample_pcap(), "udp");
    EXPECT_EQ(replay_actions({"--filter", "udp", sample_pcap(), "--filter-action", "tx,drop"}),
              expected_actions(matches, "XDP_TX", "XDP_DROP"));
    EXPECT_EQ(replay_actions({"--filter", "udp", sample_pcap(), "--filter-action", "drop,pass"}),
              expected_actions(matches, "XDP_DROP", "XDP_PASS"));
    // NOMATCH defaults to drop; names as xdp_action_name spells them work too.
    EXPECT_EQ(replay_actions({"--filter", "udp", sample_pcap(), "--filter-action", "XDP_ABORTED"}),
              expected_actions(matches, "XDP_ABORTED", "XDP_DROP"));
    // tx out of --out's tx.pcap: exactly the matching packets, in order.
    const std::string out = temp_dir();
    const CommandResult r =
        xdpdk({"replay", "--filter", "udp", sample_pcap(), "--filter-action", "tx", "--out", out});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto input = read_capture(sample_pcap());
    std::vector<std::vector<uint8_t>> want;
    for (size_t i = 0; i < input.size(); ++i)
        if (matches[i]) want.push_back(input[i].bytes);
    std::vector<std::vector<uint8_t>> got;
    for (const Packet& p : read_capture(out + "/tx.pcap")) got.push_back(p.bytes);
    EXPECT_EQ(got, want);
}

TEST(FilterCli, DddFileRunsAsTheExpression) {
    const std::string expression = "tcp[tcpflags] & tcp-syn != 0 or udp dst port 53";
    const std::string file = temp_dir() + "/syn.ddd";
    write_file(file, ddd_text(expression));
    const std::vector<bool> matches = libpcap_matches(sample_pcap(), expression);
    for (const char* engine : {"jit", "interp"})
        EXPECT_EQ(replay_actions({"--filter-ddd", file, sample_pcap(), "--engine", engine}), expected_actions(matches))
            << engine;
    // The same cBPF gives the same translation.
    const CommandResult from_file = xdpdk({"prog", "dump", "xlated", "--filter-ddd", file});
    const CommandResult from_expr = xdpdk({"prog", "dump", "xlated", "--filter", expression});
    ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
    ASSERT_EQ(from_expr.exit_code, 0) << from_expr.err;
    EXPECT_EQ(from_file.out, from_expr.out);
}

TEST(FilterCli, ProgDumpAndShowTheTranslation) {
    const CommandResult xlated = xdpdk({"prog", "dump", "xlated", "--filter", "tcp port 80"});
    ASSERT_EQ(xlated.exit_code, 0) << xlated.err;
    EXPECT_EQ(xlated.out.rfind("prog 'filter' (section xdp", 0), 0u) << xlated.out;
    EXPECT_NE(xlated.out.find("exit"), std::string::npos) << xlated.out;
    const Compiled classic("tcp port 80", DLT_EN10MB);
    const auto lines = std::count(xlated.out.begin(), xlated.out.end(), '\n') - 1;
    EXPECT_GE(lines, static_cast<long>(classic.prog.bf_len)) << "every cBPF instruction becomes eBPF:\n" << xlated.out;
    // Verdicts are constants the translation returns.
    const CommandResult tx = xdpdk({"prog", "dump", "xlated", "--filter", "tcp port 80", "--filter-action", "tx"});
    ASSERT_EQ(tx.exit_code, 0) << tx.err;
    EXPECT_NE(tx.out, xlated.out);

    const CommandResult jited = xdpdk({"prog", "dump", "jited", "--filter", "tcp port 80"});
    ASSERT_EQ(jited.exit_code, 0) << jited.err;
    EXPECT_NE(jited.out.find("ret"), std::string::npos) << jited.out;

    const CommandResult shown = xdpdk({"prog", "show", "--filter", "tcp port 80", "-j"});
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    const json progs = json::parse(shown.out);
    ASSERT_EQ(progs.size(), 1u) << shown.out;
    EXPECT_EQ(progs[0].at("name"), "filter");
    EXPECT_EQ(progs[0].at("filter"), "filter:'tcp port 80'");
    EXPECT_EQ(progs[0].at("loaded"), true) << shown.out;
    EXPECT_EQ(progs[0].at("map_names"), json::array());
    const CommandResult text = xdpdk({"prog", "show", "--filter", "tcp port 80"});
    EXPECT_EQ(text.out.rfind("filter: xdp", 0), 0u) << text.out;
    EXPECT_NE(text.out.find("  filter:'tcp port 80'\n"), std::string::npos) << text.out;

    const CommandResult verified = xdpdk({"prog", "verify", "--filter", "vlan and udp"});
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
}

TEST(FilterCli, BenchCountsTheFilterVerdicts) {
    const std::vector<bool> matches = libpcap_matches(sample_pcap(), "tcp");
    const auto matched = static_cast<uint64_t>(std::count(matches.begin(), matches.end(), true));
    const CommandResult r = xdpdk({"bench", "--filter", "tcp", "--pcap", sample_pcap(), "--duration", "0.05",
                                   "--engines", "jit,interp,kernel", "--json", "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json j = json::parse(r.out);
    EXPECT_EQ(j.at("object"), "filter:'tcp'");
    EXPECT_EQ(j.at("prog"), "filter");
    for (const json& e : j.at("engines")) {
        if (e.at("status") != "ok") {
            EXPECT_EQ(e.at("engine"), "kernel") << e.dump();
            continue;
        }
        // The kernel runs as many distinct packets as its time allows, with
        // repeat: only the filter's two verdicts, in other proportions.
        if (e.at("engine") == "kernel") {
            EXPECT_EQ(e.at("verdicts").at("XDP_PASS").get<uint64_t>() + e.at("verdicts").at("XDP_DROP").get<uint64_t>(),
                      e.at("packets").get<uint64_t>())
                << e.dump();
            continue;
        }
        // Whole passes over the capture: the verdicts split as libpcap's matches.
        const uint64_t runs = e.at("packets");
        ASSERT_EQ(runs % matches.size(), 0u) << e.dump();
        const uint64_t passes = runs / matches.size();
        EXPECT_EQ(e.at("verdicts").at("XDP_PASS"), passes * matched) << e.dump();
        EXPECT_EQ(e.at("verdicts").at("XDP_DROP"), passes * (matches.size() - matched)) << e.dump();
    }
}

TEST(FilterCli, BenchTableNamesTheFilter) {
    const CommandResult r = xdpdk({"bench", "--filter", "udp port 53", "--pcap", sample_pcap(), "--duration", "0.02",
                                   "--engines", "jit", "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("prog filter (filter:'udp port 53'): 100 packets", 0), 0u) << r.out;
}

TEST(FilterCli, ExpressionThatDoesNotCompile) {
    const Compiled libpcap("tcp prt 80", DLT_EN10MB);
    ASSERT_NE(libpcap.error, "");
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"replay", "--filter", "tcp prt 80", sample_pcap()},
          {"bench", "--filter", "tcp prt 80", "--pcap", sample_pcap()},
          {"prog", "dump", "xlated", "--filter", "tcp prt 80"},
          {"prog", "show", "--filter", "tcp prt 80"}}) {
        const CommandResult r = xdpdk(args);
        expect_one_line_error(r, 1, "filter 'tcp prt 80': " + libpcap.error);
        EXPECT_EQ(r.err, "xdpdk: filter 'tcp prt 80': " + libpcap.error + "\n") << args[0];
    }
}

TEST(FilterCli, BadDddFiles) {
    const std::string dir = temp_dir();
    const std::string missing = dir + "/missing.ddd";
    expect_one_line_error(xdpdk({"replay", "--filter-ddd", missing, sample_pcap()}), 1, missing);
    const std::string garbage = dir + "/garbage.ddd";
    write_file(garbage, "this is not\ncBPF at all\n");
    expect_one_line_error(xdpdk({"replay", "--filter-ddd", garbage, sample_pcap()}), 1, garbage);
    const std::string short_file = dir + "/short.ddd";
    write_file(short_file, "4\n40 0 0 12\n6 0 0 262144\n");
    expect_one_line_error(xdpdk({"prog", "dump", "xlated", "--filter-ddd", short_file}), 1, short_file);
}

TEST(FilterCli, UsageErrorsExitTwo) {
    const std::string obj = test_prog_path("verdicts");
    expect_one_line_error(xdpdk({"replay", obj, sample_pcap(), "--filter", "tcp"}), 2, "--filter");
    expect_one_line_error(xdpdk({"replay", "--filter", "tcp", sample_pcap(), "--set", "x=1"}), 2, "--set");
    expect_one_line_error(xdpdk({"replay", "--filter", "tcp", sample_pcap(), "--map-size", "m=4"}), 2, "--map-size");
    expect_one_line_error(xdpdk({"replay", "--filter", "tcp", sample_pcap(), "--maps-in", "m.json"}), 2, "--maps-in");
    expect_one_line_error(xdpdk({"replay", "--filter", "tcp", sample_pcap(), "--prog", "other"}), 2, "--prog");
    expect_one_line_error(xdpdk({"replay", obj, sample_pcap(), "--filter-action", "tx"}), 2, "--filter-action");
    expect_one_line_error(xdpdk({"replay", "--filter", "tcp", sample_pcap(), "--filter-action", "jump"}), 2,
                          "unknown verdict 'jump'");
    expect_one_line_error(xdpdk({"replay", "--filter", "tcp", sample_pcap(), "--filter-action", "tx,drop,pass"}), 2,
                          "MATCH[,NOMATCH]");
    expect_one_line_error(xdpdk({"replay", "--filter", "tcp"}), 2, "PCAP");
    // Named for what is wrong, not as a missing capture or an object file.
    expect_one_line_error(xdpdk({"replay", sample_pcap(), "--filter-action", "tx"}), 2,
                          "--filter-action: applies to a filter");
    expect_one_line_error(xdpdk({"replay", "--filter", "tcp", sample_pcap(), "extra"}), 2,
                          "the one word left is the capture; got '" + sample_pcap() + "' and 'extra'");
    expect_one_line_error(xdpdk({"bench", obj, "--filter", "tcp", "--pcap", sample_pcap()}), 2, "--filter");
    expect_one_line_error(xdpdk({"prog", "dump", "xlated", obj, "--filter", "tcp"}), 2, "--filter");
    expect_one_line_error(xdpdk({"prog", "show", "--filter", "tcp", "--set", "x=1"}), 2, "--set");
    // CLI11's own refusals (both filter forms, an unknown option) exit 2 as well.
    const CommandResult both = xdpdk({"replay", "--filter", "tcp", "--filter-ddd", "f.ddd", sample_pcap()});
    EXPECT_EQ(both.exit_code, 2) << both.err;
    EXPECT_EQ(xdpdk({"replay", sample_pcap(), "--no-such-option"}).exit_code, 2);
}

// ---- xdpdk run and ctl (DPDK ports, as root) ----

std::vector<std::string> eal_args(const std::string& tag) {
    static int counter = 0;
    return {"--no-huge", "-m", "1024", "--no-pci",
            "--file-prefix=xdpdk-filter-" + tag + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++),
            "-l", "0,1", "--log-level=error"};
}

const json& port0(const json& summary) {
    for (const json& p : summary.at("ports"))
        if (p.at("port") == 0) return p;
    ADD_FAILURE() << "no port 0: " << summary.dump();
    return summary;
}

uint64_t action_packets(const json& port, const char* action) {
    return port.at("actions").at(action).at("packets").get<uint64_t>();
}

class FilterRun : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root for the pcap vdevs and /run";
    }
};

// The summary's verdicts and port 0's transmitted packets are libpcap's matches.
void expect_run_matches(const CommandResult& r, const std::string& tx_pcap, const std::string& expression) {
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const json summary = json::parse(r.out, nullptr, false);
    ASSERT_FALSE(summary.is_discarded()) << r.out << r.err;
    const std::vector<bool> matches = libpcap_matches(sample_pcap(), expression);
    const auto matched = static_cast<uint64_t>(std::count(matches.begin(), matches.end(), true));
    const json& port = port0(summary);
    EXPECT_EQ(port.at("program").at("name"), "filter") << port.dump();
    EXPECT_EQ(port.at("program").at("object"), "filter:'" + expression + "'") << port.dump();
    EXPECT_EQ(action_packets(port, "XDP_TX"), matched) << port.dump();
    EXPECT_EQ(action_packets(port, "XDP_DROP"), matches.size() - matched) << port.dump();
    const auto input = read_capture(sample_pcap());
    std::vector<std::vector<uint8_t>> want, got;
    for (size_t i = 0; i < input.size(); ++i)
        if (matches[i]) want.push_back(input[i].bytes);
    for (const Packet& p : read_capture(tx_pcap)) got.push_back(p.bytes);
    EXPECT_EQ(got, want);
}

TEST_F(FilterRun, AttachFilterOnAPcapPort) {
    const std::string dir = temp_dir();
    const std::string expression = "tcp port 80 or arp";
    std::vector<std::string> args = {xdpdk_binary(), "run"};
    for (const std::string& a : eal_args("run")) args.push_back(a);
    args.insert(args.end(), {"--vdev=net_pcap0,rx_pcap=" + sample_pcap() + ",tx_pcap=" + dir + "/tx.pcap", "--",
                             "--attach", "0=filter:" + expression, "--filter-action", "tx,drop", "--packets", "100",
                             "--json", "--no-ctl", "--stats-interval", "0", "--duration", "60"});
    expect_run_matches(run_command(args), dir + "/tx.pcap", expression);
}

TEST_F(FilterRun, AttachFilterFromTomlConfig) {
    const std::string dir = temp_dir();
    const std::string expression = "udp or icmp";
    json eal = json::array();
    for (const std::string& a : eal_args("toml")) eal.push_back(a);
    eal.push_back("--vdev=net_pcap0,rx_pcap=" + sample_pcap() + ",tx_pcap=" + dir + "/tx.pcap");
    std::string toml = "eal = " + eal.dump() + "\nfilter_action = \"tx,drop\"\npackets = 100\njson = true\n"
                       "stats_interval = 0\nduration = 60\n\n[[port]]\nid = 0\nattach = \"filter:" + expression + "\"\n";
    write_file(dir + "/run.toml", toml);
    expect_run_matches(run_command({xdpdk_binary(), "run", "--config", dir + "/run.toml", "--", "--no-ctl"}),
                       dir + "/tx.pcap", expression);
}

TEST_F(FilterRun, RunUsageErrors) {
    const std::vector<std::string> eal = eal_args("usage");
    auto run = [&](std::vector<std::string> app) {
        std::vector<std::string> args = {xdpdk_binary(), "run"};
        args.insert(args.end(), eal.begin(), eal.end());
        args.push_back("--vdev=net_null0");
        args.push_back("--");
        args.insert(args.end(), app.begin(), app.end());
        return run_command(args);
    };
    expect_one_line_error(run({"--attach", "0=filter:tcp", "--set", "x=1"}), 2, "--set");
    expect_one_line_error(run({"--attach", "0=" + test_prog_path("verdicts"), "--filter-action", "tx"}), 2,
                          "--filter-action");
    expect_one_line_error(run({"--attach", "0=filter:tcp prt 80", "--no-ctl", "--duration", "1"}), 1,
                          "filter 'tcp prt 80': ");
}

TEST_F(FilterRun, CtlSwapsToAFilterOnALiveDataplane) {
    const std::string dir = temp_dir();
    const std::string socket = dir + "/ctl.sock";
    std::vector<std::string> args = {xdpdk_binary(), "run"};
    for (const std::string& a : eal_args("ctl")) args.push_back(a);
    args.insert(args.end(), {"--vdev=net_pcap0,rx_pcap=" + sample_pcap() + ",infinite_rx=1", "--", "--attach",
                             "0=" + test_prog_path("swap_v1"), "--set", "drop_all=1", "--ctl", socket,
                             "--stats-interval", "0", "--json", "--duration", "60"});
    BackgroundCommand run(args, dir);
    for (int i = 0; i < 200 && access(socket.c_str(), F_OK) != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_EQ(access(socket.c_str(), F_OK), 0) << run.stderr_so_far();
    auto ctl = [&](std::vector<std::string> words) {
        words.insert(words.begin(), {xdpdk_binary(), "ctl", "--socket", socket});
        return run_command(words);
    };
    auto stats = [&]() { return json::parse(ctl({"-j", "stats"}).out); };
    EXPECT_EQ(action_packets(port0(stats()), "XDP_PASS"), 0u) << "drop_all drops everything";

    const CommandResult swapped = ctl({"-j", "prog", "swap", "0", "filter:tcp", "--filter-action", "pass,drop"});
    ASSERT_EQ(swapped.exit_code, 0) << swapped.err;
    const json s = json::parse(swapped.out);
    EXPECT_EQ(s.at("prog").at("name"), "filter");
    EXPECT_EQ(s.at("prog").at("object"), "filter:'tcp'");
    EXPECT_EQ(s.at("kept_globals"), json::array()) << "a filter has no globals to keep";
    const json listed = json::parse(ctl({"-j", "prog", "list"}).out);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].at("object"), "filter:'tcp'");
    // Packets pass now: the filter runs on the port.
    uint64_t passed = 0;
    for (int i = 0; i < 100 && passed == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        passed = action_packets(port0(stats()), "XDP_PASS");
    }
    EXPECT_GT(passed, 0u);
    const CommandResult xlated = ctl({"prog", "dump", "xlated", "0"});
    EXPECT_EQ(xlated.exit_code, 0) << xlated.err;
    EXPECT_EQ(xlated.out, xdpdk({"prog", "dump", "xlated", "--filter", "tcp"}).out)
        << "the running program is the offline translation";

    // A -ddd file (the client makes its path absolute), then refusals that
    // leave the running filter as it is.
    write_file(dir + "/udp.ddd", ddd_text("udp"));
    const CommandResult ddd = run_command({xdpdk_binary(), "ctl", "--socket", socket, "-j", "prog", "swap", "0",
                                           "filter-ddd:" + dir + "/udp.ddd"});
    ASSERT_EQ(ddd.exit_code, 0) << ddd.err;
    EXPECT_EQ(json::parse(ddd.out).at("prog").at("object"), "filter-ddd:'" + dir + "/udp.ddd'");
    // Quotes (as a config would keep them) come off before the path is made absolute.
    const CommandResult quoted = run_command({xdpdk_binary(), "ctl", "--socket", socket, "-j", "prog", "swap", "0",
                                              "filter-ddd:'" + dir + "/udp.ddd'"});
    ASSERT_EQ(quoted.exit_code, 0) << quoted.err;
    EXPECT_EQ(json::parse(quoted.out).at("prog").at("object"), "filter-ddd:'" + dir + "/udp.ddd'");
    // An empty -ddd path is no filter that passes everything.
    expect_one_line_error(ctl({"prog", "swap", "0", "filter-ddd:"}), 1, "expected filter-ddd:FILE, with a file");
    expect_one_line_error(ctl({"prog", "swap", "0", "filter-ddd:''"}), 1, "expected filter-ddd:FILE, with a file");
    expect_one_line_error(ctl({"prog", "swap", "0", "filter:tcp prt 80"}), 1, "filter 'tcp prt 80': ");
    expect_one_line_error(ctl({"prog", "swap", "0", "filter:tcp", "filter-action", "sideways"}), 2,
                          "unknown verdict 'sideways'");
    expect_one_line_error(ctl({"prog", "swap", "0", "filter:tcp", "set", "x=1"}), 1, "a filter has no global");
    EXPECT_EQ(json::parse(ctl({"-j", "prog", "list"}).out)[0].at("object"), "filter-ddd:'" + dir + "/udp.ddd'");

    run.signal(SIGINT);
    const CommandResult done = run.wait();
    EXPECT_EQ(done.exit_code, 0) << done.err;
}

}  // namespace
