// The bundled configs/ run end to end through `xdpdk run --config`: the pcap
// demo gives what `xdpdk replay` gives, the null benchmark transmits what it
// receives, the tap exception path delivers PASS packets to a host interface,
// the veth/af_packet setup carries pings between two namespaces, RSS (an
// af_packet fanout group) keeps each flow on one worker, and config
// mistakes stop the run with one message before any traffic.
//
// Each test rewrites the bundled file only where it must: paths to this build
// and a temporary directory, a unique --file-prefix and unique interface
// names, so that tests running side by side do not collide.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

extern char** environ;

namespace xdpdk::test {
namespace {

using Bytes = std::vector<uint8_t>;
using Json = nlohmann::json;

std::string build_dir() {
    const char* dir = std::getenv("XDPDK_BUILD_DIR");
    return dir != nullptr ? dir : "build";
}

// A name unique to this process and call, short enough for an interface.
std::string unique_name(const std::string& stem) {
    static int counter = 0;
    return stem + std::to_string(getpid() % 100000) + std::to_string(counter++);
}

// Concatenation by appending: `"x" + std::string` trips GCC 12's -Wrestrict.
std::string cat(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (std::string_view p : parts) out += p;
    return out;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

// The bundled config with its repository-relative paths pointed at this
// source tree and build, out/ at `out_dir`, and a fresh --file-prefix.
std::string localized_config(const std::string& name, const std::string& out_dir) {
    std::string text = read_file(source_path("configs/" + name));
    EXPECT_FALSE(text.empty()) << "configs/" << name;
    replace_all(text, "\"build/progs/", cat({"\"", build_dir(), "/progs/"}));
    replace_all(text, "\"configs/", cat({"\"", source_dir(), "/configs/"}));
    replace_all(text, "=pcaps/", cat({"=", source_dir(), "/pcaps/"}));
    replace_all(text, "=out/", cat({"=", out_dir, "/"}));
    replace_all(text, "\"out/", cat({"\"", out_dir, "/"}));
    const size_t prefix = text.find("--file-prefix=");
    EXPECT_NE(prefix, std::string::npos) << "configs/" << name << " has no --file-prefix";
    if (prefix != std::string::npos) {
        const size_t end = text.find('"', prefix);
        text.replace(prefix, end - prefix, "--file-prefix=" + unique_name("xdpdk-cfgtest-"));
    }
    return text;
}

std::string write_config(const std::string& dir, const std::string& text) {
    const std::string path = dir + "/run.toml";
    write_file(path, text);
    return path;
}

CommandResult run_config(const std::string& config_path, std::vector<std::string> options = {}) {
    std::vector<std::string> args = {xdpdk_binary(), "run", "--config", config_path};
    if (!options.empty()) {
        args.push_back("--");
        args.insert(args.end(), options.begin(), options.end());
    }
    return run_command(args);
}

Json parse_summary(const CommandResult& r) {
    Json j = Json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON on stdout:\n" << r.out << "\nstderr:\n" << r.err;
    return j;
}

const Json* find_port(const Json& summary, int id) {
    if (!summary.contains("ports")) return nullptr;
    for (const Json& p : summary["ports"])
        if (p["port"] == id) return &p;
    return nullptr;
}

uint64_t action_packets(const Json& port, const char* action) {
    return port["actions"][action]["packets"].get<uint64_t>();
}

std::vector<Bytes> read_pcap_frames(const std::string& path) {
    std::vector<Bytes> frames;
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    EXPECT_NE(p, nullptr) << path << ": " << err;
    if (p == nullptr) return frames;
    pcap_pkthdr* h;
    const u_char* data;
    while (pcap_next_ex(p, &h, &data) == 1) frames.emplace_back(data, data + h->caplen);
    pcap_close(p);
    return frames;
}

// What `xdpdk replay` makes of a capture: its pass.pcap and tx.pcap.
struct ReplayOutput {
    std::vector<Bytes> pass, tx;
};

ReplayOutput replay(const std::string& object, const std::string& pcap, const std::vector<std::string>& extra) {
    const std::string out = temp_dir();
    std::vector<std::string> args = {xdpdk_binary(), "replay", object, pcap, "--out", out};
    args.insert(args.end(), extra.begin(), extra.end());
    const CommandResult r = run_command(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return {read_pcap_frames(out + "/pass.pcap"), read_pcap_frames(out + "/tx.pcap")};
}

bool sh(const std::string& command) { return std::system(command.c_str()) == 0; }

// A process running in the background, stopped with SIGTERM (xdpdk's clean
// stop) when the test is done with it.
class Background {
public:
    explicit Background(const std::vector<std::string>& args, const std::string& out_path, const std::string& err_path) {
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
        posix_spawn_file_actions_destroy(&actions);
    }
    ~Background() { (void)stop(); }
    bool started() const { return pid_ > 0; }
    bool running() {
        if (pid_ <= 0) return false;
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == 0) return true;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        pid_ = -1;
        return false;
    }
    // SIGTERM, then the exit code (waits up to 20 s, then SIGKILL).
    int stop() {
        if (!running()) return exit_code_;
        kill(pid_, SIGTERM);
        for (int i = 0; i < 200 && running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (running()) {
            kill(pid_, SIGKILL);
            int status = 0;
            waitpid(pid_, &status, 0);
            pid_ = -1;
            exit_code_ = 137;
        }
        return exit_code_;
    }

private:
    pid_t pid_ = -1;
    int exit_code_ = -1;
};

uint64_t read_counter(const std::string& path) {
    std::ifstream in(path);
    uint64_t v = 0;
    in >> v;
    return v;
}

// ---- the bundled configs ----

TEST(DataplaneConfigs, PcapDemoWritesWhatReplayWrites) {
    const std::string out = temp_dir();
    const std::string config = write_config(out, localized_config("pcap-demo.toml", out));
    const CommandResult r = run_config(config, {"--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Json summary = parse_summary(r);
    const Json* port0 = find_port(summary, 0);
    ASSERT_NE(port0, nullptr) << r.out;

    const ReplayOutput expected = replay(prog_path("load_balancer"), source_path("pcaps/lb_traffic.pcap"),
                                         {"--maps-in", source_path("configs/lb-maps.json")});
    const auto tx = read_pcap_frames(out + "/tx.pcap");
    const auto pass = read_pcap_frames(out + "/pass.pcap");
    EXPECT_EQ((*port0)["rx"]["packets"].get<uint64_t>(), read_pcap_frames(source_path("pcaps/lb_traffic.pcap")).size());
    EXPECT_EQ(action_packets(*port0, "XDP_TX"), expected.tx.size());
    EXPECT_EQ(action_packets(*port0, "XDP_PASS"), expected.pass.size());
    // The capture has VIP and non-VIP traffic, so both files have packets.
    EXPECT_GT(expected.tx.size(), 0u);
    EXPECT_GT(expected.pass.size(), 0u);
    EXPECT_EQ(tx, expected.tx);
    EXPECT_EQ(pass, expected.pass);
}

TEST(DataplaneConfigs, NullBenchTransmitsEveryFrame) {
    const std::string out = temp_dir();
    const std::string config = write_config(out, localized_config("null-bench.toml", out));
    const CommandResult r = run_config(config, {"--duration", "0.5", "--stats-interval", "0", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Json summary = parse_summary(r);
    const Json* port0 = find_port(summary, 0);
    ASSERT_NE(port0, nullptr) << r.out;
    const uint64_t rx = (*port0)["rx"]["packets"].get<uint64_t>();
    EXPECT_GT(rx, 1000u);
    EXPECT_EQ(action_packets(*port0, "XDP_TX"), rx);
    EXPECT_EQ((*port0)["tx"]["packets"].get<uint64_t>() + (*port0)["tx"]["drops"].get<uint64_t>(), rx);
    for (const Json& pool : summary["mempools"]) EXPECT_EQ(pool["in_use"], 0) << pool.dump();
}

// The exception interface is created beforehand as a persistent
// multi-queue tap, so it outlives xdpdk and can be captured on from before
// the first packet: net_tap attaches to an existing interface of that name.
TEST(DataplaneConfigs, TapExceptionDeliversPassPacketsToTheHost) {
    const std::string tap = unique_name("xdtap");
    if (!sh("ip tuntap add dev " + tap + " mode tap multi_queue 2>/dev/null"))
        GTEST_SKIP() << "cannot create a tap interface (needs CAP_NET_ADMIN)";
    struct RemoveTap {
        std::string name;
        ~RemoveTap() { (void)sh("ip link del " + name + " 2>/dev/null"); }
    } remove{tap};
    (void)sh("sysctl -qw net.ipv6.conf." + tap + ".disable_ipv6=1 2>/dev/null");
    ASSERT_TRUE(sh("ip link set " + tap + " up"));

    char err[PCAP_ERRBUF_SIZE];
    pcap_t* capture = pcap_open_live(tap.c_str(), 65535, 1, 10, err);
    ASSERT_NE(capture, nullptr) << err;
    ASSERT_EQ(pcap_setdirection(capture, PCAP_D_IN), 0) << pcap_geterr(capture);
    ASSERT_EQ(pcap_setnonblock(capture, 1, err), 0) << err;
    const uint64_t rx_before = read_counter("/sys/class/net/" + tap + "/statistics/rx_packets");

    const std::string out = temp_dir();
    std::string text = localized_config("tap-exception.toml", out);
    replace_all(text, "\"xdpdk-exc0\"", "\"" + tap + "\"");
    const CommandResult r = run_config(write_config(out, text), {"--duration", "1", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Json summary = parse_summary(r);
    const Json* port0 = find_port(summary, 0);
    ASSERT_NE(port0, nullptr) << r.out;

    const ReplayOutput expected = replay(prog_path("firewall"), source_path("pcaps/sample.pcap"), {});
    ASSERT_GT(expected.pass.size(), 0u);
    EXPECT_EQ(action_packets(*port0, "XDP_PASS"), expected.pass.size());
    EXPECT_EQ(read_counter("/sys/class/net/" + tap + "/statistics/rx_packets") - rx_before, expected.pass.size());

    std::vector<Bytes> seen;
    pcap_dispatch(
        capture, -1,
        [](u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
            reinterpret_cast<std::vector<Bytes>*>(user)->emplace_back(bytes, bytes + h->caplen);
        },
        reinterpret_cast<u_char*>(&seen));
    pcap_close(capture);
    EXPECT_EQ(seen, expected.pass);
}

// scripts/netns-veth.sh's two namespaces under `prefix`, removed again when
// this goes out of scope.
class VethNamespaces {
public:
    explicit VethNamespaces(const std::string& prefix)
        : script_("XDPDK_NETNS_PREFIX=" + prefix + " " + source_path("scripts/netns-veth.sh")) {
        up_ = sh(script_ + " up >/dev/null 2>&1");
    }
    ~VethNamespaces() { (void)sh(script_ + " down >/dev/null 2>&1"); }
    VethNamespaces(const VethNamespaces&) = delete;
    VethNamespaces& operator=(const VethNamespaces&) = delete;
    bool up() const { return up_; }

private:
    std::string script_;
    bool up_ = false;
};

// Namespaces a and b reach each other only through xdpdk's two ports on the
// veth ends (net_af_packet, or net_af_xdp: AF_XDP sockets): a UDP echo
// (tests/tools/udp_echo.py; ARP first) gets no answer before xdpdk runs and
// every answer while it does.
class VethConfigs : public ::testing::TestWithParam<const char*> {};

TEST_P(VethConfigs, CarryTrafficBetweenNamespaces) {
    const std::string prefix = unique_name("xv");
    const VethNamespaces namespaces(prefix);
    if (!namespaces.up()) GTEST_SKIP() << "cannot create network namespaces and veth pairs (needs root and iproute2)";

    const std::string out = temp_dir();
    const std::string echo = source_path("tests/tools/udp_echo.py");
    Background server({"/usr/bin/env", "ip", "netns", "exec", prefix + "-b", "python3", echo, "server", "10.77.0.2",
                       "7777"},
                      out + "/server.out", out + "/server.err");
    ASSERT_TRUE(server.started());
    auto echo_from_a = [&](int count) {
        return sh("ip netns exec " + prefix + "-a python3 " + echo + " client 10.77.0.2 7777 " +
                  std::to_string(count) + " 2>/dev/null");
    };
    ASSERT_FALSE(echo_from_a(1)) << "namespaces are connected without xdpdk";

    std::string text = localized_config(GetParam(), out);
    replace_all(text, "iface=xdpdk-va", "iface=" + prefix + "-va");
    replace_all(text, "iface=xdpdk-vb", "iface=" + prefix + "-vb");
    const std::string config = write_config(out, text);
    Background xdpdk({xdpdk_binary(), "run", "--config", config, "--", "--duration", "30", "--stats-interval", "0",
                      "--json"},
                     out + "/stdout", out + "/stderr");
    ASSERT_TRUE(xdpdk.started());
    bool reached = false;
    for (int i = 0; i < 20 && !reached && xdpdk.running(); ++i) reached = echo_from_a(1);
    EXPECT_TRUE(reached) << read_file(out + "/stderr") << read_file(out + "/server.err");
    if (reached) {
        EXPECT_TRUE(echo_from_a(5)) << "echoes were lost";
    }
    EXPECT_EQ(xdpdk.stop(), 0) << read_file(out + "/stderr");
    (void)server.stop();

    const Json summary = Json::parse(read_file(out + "/stdout"), nullptr, false);
    ASSERT_FALSE(summary.is_discarded()) << read_file(out + "/stdout") << read_file(out + "/stderr");
    // Our SIGTERM stopped it, not the 30 s limit.
    EXPECT_NE(summary["stopped_by"], "--duration");
    for (int id : {0, 1}) {
        const Json* port = find_port(summary, id);
        ASSERT_NE(port, nullptr);
        // Six datagrams each way, at least.
        EXPECT_GE(action_packets(*port, "XDP_REDIRECT"), 6u) << port->dump();
        EXPECT_EQ((*port)["redirect_errors"], 0) << port->dump();
    }
}

INSTANTIATE_TEST_SUITE_P(DataplaneConfigs, VethConfigs, ::testing::Values("veth-af-packet.toml", "veth-af-xdp.toml"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                             return std::string(info.param).find("xdp") != std::string::npos ? "AfXdp" : "AfPacket";
                         });

// Little-endian hex (as --maps-out writes keys and values) to a number.
uint64_t hex_le(const std::string& hex) {
    uint64_t v = 0;
    for (size_t i = hex.size(); i >= 2; i -= 2) v = (v << 8) | std::stoul(hex.substr(i - 2, 2), nullptr, 16);
    return v;
}

// RSS on a real device: net_af_packet with two queue pairs reads the veth
// through a PACKET_FANOUT_HASH group, so the kernel spreads flows over the
// two rx queues by their 4-tuple hash, as a NIC's RSS does. Two workers poll
// one queue each. tests/progs/flow_slots counts each UDP flow (source port)
// in a per-CPU hash: every flow must sit wholly in one worker's slot, both
// workers must have flows, and nothing may be lost.
TEST(DataplaneRss, FlowsSpreadOverQueuesAndStayOnTheirWorker) {
    const std::string prefix = unique_name("xr");
    const VethNamespaces namespaces(prefix);
    if (!namespaces.up()) GTEST_SKIP() << "cannot create network namespaces and veth pairs (needs root and iproute2)";
    // Nobody answers ARP on the xdpdk side: a fixed neighbour entry instead.
    ASSERT_TRUE(sh(cat({"ip -n ", prefix, "-a neigh replace 10.77.0.2 lladdr 02:00:00:00:00:02 dev ", prefix,
                        "-pa nud permanent"})));

    const std::string out = temp_dir();
    const std::vector<std::string> args = {
        xdpdk_binary(), "run", "--no-huge", "-m", "1024", "--no-pci", "--file-prefix=" + prefix,
        "--lcores", "0@0,1@1,2@1",  // two workers, even on a 2-CPU machine
        "--log-level=lib.eal:warning", "--vdev=net_af_packet0,iface=" + prefix + "-va,qpairs=2", "--",
        "--attach", "0=" + test_prog_path("flow_slots"), "--rx-queues", "2", "--duration", "60",
        "--stats-interval", "0.2", "--json", "--maps-out", out + "/maps.json"};
    Background xdpdk(args, out + "/stdout", out + "/stderr");
    ASSERT_TRUE(xdpdk.started());
    // The first live line: ports are up and their sockets receive.
    for (int i = 0; i < 300 && xdpdk.running() && read_file(out + "/stderr").find("port 0") == std::string::npos; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(xdpdk.running()) << read_file(out + "/stderr");

    constexpr int kFlows = 32, kPerFlow = 20;
    const std::string sender = cat({"import socket\nfor f in range(", std::to_string(kFlows),
                                    "):\n    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                                    "    s.bind(('10.77.0.1', 40000 + f))\n    for i in range(",
                                    std::to_string(kPerFlow), "):\n        s.sendto(b'rss', ('10.77.0.2', 9))\n"});
    write_file(out + "/send.py", sender);
    ASSERT_TRUE(sh(cat({"ip netns exec ", prefix, "-a python3 ", out, "/send.py"})));
    // Until every datagram was received (the fanout rings hold them all).
    for (int i = 0; i < 100; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const std::string err = read_file(out + "/stderr");
        const size_t drop = err.find("drop ", err.rfind("port 0"));
        if (drop != std::string::npos && std::stoull(err.substr(drop + 5)) >= kFlows * kPerFlow) break;
    }
    EXPECT_EQ(xdpdk.stop(), 0) << read_file(out + "/stderr");

    const Json summary = Json::parse(read_file(out + "/stdout"), nullptr, false);
    ASSERT_FALSE(summary.is_discarded()) << read_file(out + "/stdout") << read_file(out + "/stderr");
    const Json* port = find_port(summary, 0);
    ASSERT_NE(port, nullptr);
    EXPECT_EQ((*port)["rx_queues"], 2);
    const Json maps = Json::parse(read_file(out + "/maps.json"), nullptr, false);
    ASSERT_TRUE(maps.contains("flow_packets")) << read_file(out + "/maps.json");
    int flows_on[2] = {0, 0};
    int seen = 0;
    for (const Json& e : maps["flow_packets"]) {
        const uint64_t flow = hex_le(e["key"].get<std::string>());
        if (flow < 40000 || flow >= 40000 + kFlows) continue;  // not ours
        ++seen;
        ASSERT_EQ(e["values"].size(), 2u);
        const uint64_t on0 = hex_le(e["values"][0].get<std::string>());
        const uint64_t on1 = hex_le(e["values"][1].get<std::string>());
        EXPECT_EQ(on0 + on1, uint64_t{kPerFlow}) << "flow " << flow;
        EXPECT_TRUE(on0 == 0 || on1 == 0) << "flow " << flow << " reached both workers: " << on0 << " and " << on1;
        ++flows_on[on0 != 0 ? 0 : 1];
    }
    EXPECT_EQ(seen, kFlows);
    EXPECT_GT(flows_on[0], 0) << "no flow reached worker 0";
    EXPECT_GT(flows_on[1], 0) << "no flow reached worker 1";
    for (const Json& pool : summary["mempools"]) EXPECT_EQ(pool["in_use"], 0) << pool.dump();
}

// ---- mistakes: one message, non-zero exit, no packet moved ----

struct BrokenConfig {
    const char* what;
    std::string from, to;          // edit of configs/pcap-demo.toml
    std::string expected_message;  // part of stderr
};

TEST(DataplaneConfigs, ConfigMistakesStopBeforeTraffic) {
    const BrokenConfig cases[] = {
        {"typo key", "maps_in =", "map_in =", "'map_in': unknown key; did you mean 'maps_in'?"},
        {"bad pass spec", "pass = \"port:1\"", "pass = \"port1\"",
         "'port[0].pass': expected \"tap\", \"tap:IFNAME\", \"port:N\" or \"drop\", got 'port1'"},
        {"missing object", "load_balancer.o@", "no_such_program.o@", "no_such_program.o': No such file or directory"},
        {"unknown port", "pass = \"port:1\"", "pass = \"port:7\"", "port 7"},
        {"unknown program name", "@xdp_load_balancer", "@xdp_no_such_prog", "xdp_no_such_prog"},
    };
    for (const BrokenConfig& c : cases) {
        SCOPED_TRACE(c.what);
        const std::string out = temp_dir();
        std::string text = localized_config("pcap-demo.toml", out);
        ASSERT_NE(text.find(c.from), std::string::npos) << c.from;
        replace_all(text, c.from, c.to);
        const CommandResult r = run_config(write_config(out, text), {"--json"});
        EXPECT_NE(r.exit_code, 0);
        EXPECT_NE(r.err.find(c.expected_message), std::string::npos) << r.err;
        EXPECT_EQ(r.out, "") << "a summary was printed";
        // net_pcap creates its tx file at probe time; no packet may be in it.
        if (access((out + "/tx.pcap").c_str(), F_OK) == 0) {
            EXPECT_TRUE(read_pcap_frames(out + "/tx.pcap").empty());
        }
    }
}

}  // namespace
}  // namespace xdpdk::test
