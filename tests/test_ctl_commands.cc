// `xdpdk ctl` against a running `xdpdk run --ctl PATH`, both the built
// binary, as an operator uses them: every command, its JSON and text forms,
// a hot swap that carries the counters over, wrong input, a client of
// another uid, and the dataplane still counting every packet at the end.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace xdpdk::test;
using nlohmann::json;

namespace {

std::string swap_v1() { return test_prog_path("swap_v1"); }
std::string swap_v2() { return test_prog_path("swap_v2"); }

// One endless pcap port whose packets the programs drop (drop_all), with
// run statistics on and the control socket at `socket`.
class Dataplane {
public:
    // `program`: what follows `--` before the control options; by default
    // swap_v1 dropping everything.
    explicit Dataplane(const std::string& dir, std::vector<std::string> program = {})
        : socket_(dir + "/ctl.sock"), run_(run_args(dir, std::move(program)), dir) {
        for (int i = 0; i < 200 && access(socket_.c_str(), F_OK) != 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const std::string& socket() const { return socket_; }
    BackgroundCommand& run() { return run_; }

    CommandResult ctl(std::vector<std::string> words) const {
        std::vector<std::string> args = {xdpdk_binary(), "ctl", "--socket", socket_};
        args.insert(args.end(), words.begin(), words.end());
        return run_command(args);
    }
    json ctl_json(std::vector<std::string> words) const {
        words.insert(words.begin(), "-j");
        const CommandResult r = ctl(words);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        json j = json::parse(r.out, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << r.out;
        return j;
    }

private:
    static std::vector<std::string> run_args(const std::string& dir, std::vector<std::string> program) {
        if (program.empty()) program = {"--attach", "0=" + swap_v1(), "--set", "drop_all=1"};
        std::vector<std::string> args = {
            xdpdk_binary(), "run", "--no-huge", "-m", "1024", "--no-pci",
            "--file-prefix=xdpdk-ctl-" + std::to_string(getpid()), "-l", "0,1", "--log-level=error",
            "--vdev=net_pcap0,rx_pcap=" + source_path("pcaps/sample.pcap") + ",infinite_rx=1,tx_pcap=" + dir +
                "/tx.pcap",
            "--"};
        args.insert(args.end(), program.begin(), program.end());
        args.insert(args.end(), {"--stats", "--ctl", dir + "/ctl.sock", "--stats-interval", "0", "--json",
                                 "--duration", "60"});
        return args;
    }

    std::string socket_;
    BackgroundCommand run_;
};

// xdp_stats_map[action].rx_packets over every CPU slot, from the BTF-formatted
// lookup (`bpftool -j map lookup`: per-CPU maps list "values" by CPU).
uint64_t packets_of(const json& entry) {
    uint64_t total = 0;
    for (const json& v : entry.at("formatted").at("values")) total += v.at("value").at("rx_packets").get<uint64_t>();
    return total;
}

void expect_error(const CommandResult& r, const std::string& expected) {
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err.rfind("xdpdk: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err << "expected: " << expected;
}

class CtlCommands : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root for the pcap vdev and /run";
    }
};

TEST_F(CtlCommands, EveryCommandOnALiveDataplane) {
    const std::string dir = temp_dir();
    Dataplane dp(dir);
    ASSERT_EQ(access(dp.socket().c_str(), F_OK), 0) << dp.run().stderr_so_far();
    struct stat st{};
    ASSERT_EQ(stat(dp.socket().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    // prog list: bpftool's fields, the kernel's tag (as `prog show` computes offline).
    json progs = dp.ctl_json({"prog", "list"});
    ASSERT_EQ(progs.size(), 1u) << progs.dump();
    const json first = progs[0];
    EXPECT_EQ(first.at("name"), "xdp_swap_stamp");
    EXPECT_EQ(first.at("type"), "xdp");
    EXPECT_EQ(first.at("port"), 0);
    EXPECT_EQ(first.at("jited"), true);
    EXPECT_GT(first.at("bytes_jited").get<uint64_t>(), 0u);
    EXPECT_NE(first.at("map_names").dump().find("\"xdp_stats_map\""), std::string::npos) << first.dump();
    const CommandResult offline = run_command({xdpdk_binary(), "prog", "show", swap_v1(), "-j"});
    ASSERT_EQ(offline.exit_code, 0) << offline.err;
    const json offline_json = json::parse(offline.out);
    EXPECT_NE(offline_json.dump().find(first.at("tag").get<std::string>()), std::string::npos)
        << "tag differs from the offline prog show: " << offline.out;
    for (int i = 0; i < 100 && dp.ctl_json({"prog", "show", "0"}).at("run_cnt") == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const json shown = dp.ctl_json({"prog", "show", "0"});
    EXPECT_GT(shown.at("run_cnt").get<uint64_t>(), 0u) << "--stats counts runs";
    EXPECT_GT(shown.at("run_time_ns").get<uint64_t>(), 0u);
    const CommandResult text = dp.ctl({"prog", "show", "0"});
    EXPECT_NE(text.out.find(": xdp  name xdp_swap_stamp  tag " + first.at("tag").get<std::string>()),
              std::string::npos)
        << text.out;

    // prog dump: the running program's instructions and machine code.
    const CommandResult xlated = dp.ctl({"prog", "dump", "xlated", "0"});
    EXPECT_EQ(xlated.exit_code, 0) << xlated.err;
    EXPECT_NE(xlated.out.find("map[xdp_stats_map]"), std::string::npos) << xlated.out;
    // With its BTF function and line info, as `xdpdk prog dump xlated` shows it.
    EXPECT_NE(xlated.out.find("\nint xdp_swap_stamp(struct xdp_md * ctx):\n; "), std::string::npos) << xlated.out;
    const CommandResult jited = dp.ctl({"prog", "dump", "jited", "0"});
    EXPECT_EQ(jited.exit_code, 0) << jited.err;
    EXPECT_NE(jited.out.find("ret"), std::string::npos) << jited.out;

    // map list / lookup: the drop counter grows.
    const json maps = dp.ctl_json({"map", "list"});
    bool found = false;
    for (const json& m : maps)
        if (m.at("name") == "xdp_stats_map") {
            found = true;
            EXPECT_EQ(m.at("type"), "percpu_array");
            EXPECT_EQ(m.at("bytes_key"), 4);
            EXPECT_EQ(m.at("bytes_value"), 16);
            EXPECT_EQ(m.at("max_entries"), 5);
        }
    EXPECT_TRUE(found) << maps.dump();
    const uint64_t before = packets_of(dp.ctl_json({"map", "lookup", "xdp_stats_map", "key", "1", "0", "0", "0"}));
    EXPECT_GT(before, 0u);
    const json dump = dp.ctl_json({"map", "dump", "xdp_stats_map"});
    EXPECT_TRUE(dump.is_array()) << dump.dump();

    // A hot swap to release 2 carries the map over: a value written before
    // the swap (into XDP_REDIRECT's slot, which these programs never count)
    // is still there after it.
    std::vector<std::string> mark = {"map", "update", "xdp_stats_map", "key", "4", "0", "0", "0", "value", "hex"};
    for (int i = 0; i < 16; ++i) mark.push_back(i == 0 ? "07" : "00");  // one worker: one 16-byte slot
    ASSERT_EQ(dp.ctl(mark).exit_code, 0);
    const json swapped =
        dp.ctl_json({"prog", "swap", "0", swap_v2(), "--set", "drop_all=1", "--set", "trace_every=1000"});
    EXPECT_EQ(swapped.at("carried_maps"), json::array({"xdp_stats_map"}));
    EXPECT_NE(swapped.at("prog").at("id"), first.at("id"));
    EXPECT_EQ(packets_of(dp.ctl_json({"map", "lookup", "xdp_stats_map", "key", "hex", "04", "00", "00", "00"})), 7u)
        << "the map was not carried over";
    EXPECT_GT(packets_of(dp.ctl_json({"map", "lookup", "xdp_stats_map", "key", "1", "0", "0", "0"})), before);
    // With fresh maps the next release starts from empty ones.
    const json fresh = dp.ctl_json({"prog", "swap", "0", swap_v2(), "set", "drop_all=1", "set", "trace_every=1000",
                                    "fresh-maps"});
    EXPECT_EQ(fresh.at("carried_maps"), json::array());
    // A swap without --set keeps the running program's settings (drop_all=1 here).
    const json kept = dp.ctl_json({"prog", "swap", "0", swap_v2(), "fresh-maps"});
    EXPECT_EQ(kept.at("kept_globals"), json::array({"drop_all=1", "trace_every=1000"})) << kept.dump();
    EXPECT_EQ(packets_of(dp.ctl_json({"map", "lookup", "xdp_stats_map", "key", "4", "0", "0", "0"})), 0u);

    // trace follows bpf_printk of the new release.
    BackgroundCommand trace({xdpdk_binary(), "ctl", "--socket", dp.socket(), "trace"}, temp_dir());
    for (int i = 0; i < 100 && trace.stdout_so_far().find("swap v2: packet ") == std::string::npos; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    trace.signal(SIGINT);
    const CommandResult traced = trace.wait();
    EXPECT_EQ(traced.exit_code, 0) << traced.err;
    EXPECT_NE(traced.out.find("swap v2: packet "), std::string::npos) << traced.out << traced.err;

    // update and delete with bpf()'s semantics: an array's entries cannot be deleted.
    std::vector<std::string> update = {"map", "update", "xdp_stats_map", "key", "0", "0", "0", "0", "value", "hex"};
    for (int i = 0; i < 16; ++i) update.push_back(i == 0 ? "2a" : "00");  // one worker: one 16-byte slot
    const CommandResult updated = dp.ctl(update);
    EXPECT_EQ(updated.exit_code, 0) << updated.err;
    const json aborted = dp.ctl_json({"map", "lookup", "xdp_stats_map", "key", "0", "0", "0", "0"});
    EXPECT_EQ(packets_of(aborted), 42u) << aborted.dump();
    expect_error(dp.ctl({"map", "delete", "xdp_stats_map", "key", "0", "0", "0", "0"}), "Invalid argument");
    // ... and an array's entries always exist: noexist is refused, exist works.
    std::vector<std::string> noexist = update;
    noexist.push_back("noexist");
    expect_error(dp.ctl(noexist), "File exists");
    std::vector<std::string> exist = update;
    exist.push_back("exist");
    EXPECT_EQ(dp.ctl(exist).exit_code, 0);
    expect_error(dp.ctl({"map", "lookup", "xdp_stats_map", "key", "9", "0", "0", "0"}), "No such file or directory");

    // map dump for people: bpftool's layout through BTF, field names and all.
    const CommandResult dump_text = dp.ctl({"map", "dump", "xdp_stats_map"});
    EXPECT_EQ(dump_text.exit_code, 0) << dump_text.err;
    EXPECT_NE(dump_text.out.find("\"rx_packets\": "), std::string::npos) << dump_text.out;
    // -p: the same JSON, indented.
    const CommandResult pretty = dp.ctl({"-p", "map", "list"});
    EXPECT_EQ(pretty.exit_code, 0);
    EXPECT_NE(pretty.out.find("\n    "), std::string::npos) << pretty.out;
    EXPECT_EQ(json::parse(pretty.out), dp.ctl_json({"map", "list"}));

    // stats: the run summary, live.
    const json stats = dp.ctl_json({"stats"});
    EXPECT_EQ(stats.at("stopped_by"), "running");
    EXPECT_GT(stats.at("ports").at(0).at("rx").at("packets").get<uint64_t>(), 0u);

    // Wrong input: one line each, the dataplane untouched.
    expect_error(dp.ctl({"prog", "swap", "0", "/nonexistent/x.o"}), "/nonexistent/x.o");
    // The verifier's refusal, as `xdpdk prog verify` prints it (the error, then the path to it).
    const CommandResult refused = dp.ctl({"prog", "swap", "0", test_prog_path("refused_global_short_pkt")});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_EQ(refused.err.rfind("xdpdk: prog 'global_short_pkt': insn 6 (refused_global_short_pkt.bpf.c:27 "
                                "'\treturn gs_ttl(data) > 1 ? XDP_PASS : XDP_DROP;'): caller passes invalid args",
                                0),
              0u)
        << refused.err;
    expect_error(dp.ctl({"prog", "swap", "9", swap_v1()}), "port 9");
    // --btf: the target BTF is read before anything is swapped.
    expect_error(dp.ctl({"prog", "swap", "0", swap_v1(), "--btf", "/nonexistent/vmlinux"}),
                 "btf '/nonexistent/vmlinux': cannot open");
    expect_error(dp.ctl({"prog", "swap", "0", swap_v1(), "map-size", "xdp_stats_map=9"}), "cannot carry over");
    const CommandResult unknown = dp.ctl({"prog", "frobnicate"});
    EXPECT_EQ(unknown.exit_code, 2) << "a usage error: " << unknown.err;
    EXPECT_NE(unknown.err.find("unknown command"), std::string::npos) << unknown.err;
    EXPECT_EQ(dp.ctl({"frobnicate", "list"}).exit_code, 2);
    // Options after the verb, as bpftool takes them; `id N` for programs.
    const CommandResult late_json = dp.ctl({"prog", "show", "id", kept.at("prog").at("id").dump(), "-j"});
    EXPECT_EQ(late_json.exit_code, 0) << late_json.err;
    EXPECT_EQ(json::parse(late_json.out, nullptr, false).value("name", ""), "xdp_swap_stamp") << late_json.out;
    expect_error(dp.ctl({"map", "dump", "no_such_map"}), "no_such_map");
    expect_error(dp.ctl({"map", "lookup", "xdp_stats_map", "key", "1", "0"}), "expected 4 bytes, got 2");
    expect_error(dp.ctl({"map", "lookup", "xdp_stats_map", "key", "1", "0", "0", "300"}), "300");
    EXPECT_EQ(dp.ctl_json({"prog", "show", "0"}).at("id"), kept.at("prog").at("id"));

    // Raw protocol abuse on the socket: not JSON, then a valid request on the same connection.
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, dp.socket().c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    const std::string junk = "{not json\n{\"noun\":\"prog\",\"verb\":\"list\"}\n";
    ASSERT_EQ(write(fd, junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
    std::string replies;
    char buf[4096];
    for (int i = 0; i < 50 && std::count(replies.begin(), replies.end(), '\n') < 2; ++i) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) break;
        replies.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    EXPECT_NE(replies.find("\"ok\":false"), std::string::npos) << replies;
    EXPECT_NE(replies.find("\"ok\":true"), std::string::npos) << replies;

    // Another uid cannot control the dataplane: with the socket opened up
    // to everyone, the server's own check (SO_PEERCRED) refuses it.
    ASSERT_EQ(chmod(dp.socket().c_str(), 0666), 0);
    ASSERT_EQ(chmod(dir.c_str(), 0755), 0);
    const std::string other_err = temp_dir() + "/other.err";
    const pid_t child = fork();
    if (child == 0) {
        const int null = open("/dev/null", O_WRONLY);
        const int err = open(other_err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);  // while still root
        if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(3);
        dup2(null, 1);
        dup2(err, 2);
        execl(xdpdk_binary().c_str(), "xdpdk", "ctl", "--socket", dp.socket().c_str(), "prog", "list", nullptr);
        _exit(4);
    }
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 1) << "a client of uid 65534 was served";
    EXPECT_NE(read_file(other_err).find("peer uid 65534: refused"), std::string::npos) << read_file(other_err);
    ASSERT_EQ(chmod(dp.socket().c_str(), 0600), 0);

    // Detach, then attach again by swapping onto the empty port.
    const CommandResult detached = dp.ctl({"prog", "detach", "0"});
    EXPECT_EQ(detached.exit_code, 0) << detached.err;
    EXPECT_EQ(dp.ctl_json({"prog", "list"}), json::array());
    expect_error(dp.ctl({"prog", "detach", "0"}), "no program attached");
    const json again = dp.ctl_json({"prog", "swap", "0", swap_v1(), "--set", "drop_all=1"});
    EXPECT_EQ(again.at("carried_maps"), json::array());
    EXPECT_EQ(dp.ctl_json({"prog", "list"}).size(), 1u);

    // The run ends cleanly: every packet counted once, the socket removed.
    dp.run().signal(SIGINT);
    const CommandResult done = dp.run().wait();
    ASSERT_EQ(done.exit_code, 0) << done.err;
    const json summary = json::parse(done.out);
    const json& port = summary.at("ports").at(0);
    uint64_t verdicts = 0;
    for (const auto& [name, a] : port.at("actions").items()) verdicts += a.at("packets").get<uint64_t>();
    EXPECT_EQ(verdicts, port.at("rx").at("packets").get<uint64_t>());
    EXPECT_NE(access(dp.socket().c_str(), F_OK), 0) << "the socket outlived the run";
}

// Maps of maps on a running dataplane: inner maps made by --maps-in are
// listed and dumped by id, slots show their inner map ids, `map update OUTER
// key K value id N | name NAME` inserts as bpftool does, and a map of the
// wrong shape is refused with the reason.
TEST_F(CtlCommands, MapsOfMapsShowAndTakeInnerMapsById) {
    const std::string dir = temp_dir();
    write_file(dir + "/in.json", R"({"by_source": [{"key": "01000000", "inner": {"name": "extra"}}]})");
    Dataplane dp(dir, {"--attach", "0=" + test_prog_path("map_in_map"), "--maps-in", dir + "/in.json"});
    ASSERT_EQ(access(dp.socket().c_str(), F_OK), 0) << dp.run().stderr_so_far();
    uint32_t extra_id = 0, count_b_id = 0;
    for (const json& m : dp.ctl_json({"map", "list"})) {
        if (m.at("name") == "extra") extra_id = m.at("id");
        if (m.at("name") == "count_b") count_b_id = m.at("id");
    }
    ASSERT_NE(extra_id, 0u) << "the inner map made by --maps-in is listed";
    ASSERT_NE(count_b_id, 0u);
    const json slots = dp.ctl_json({"map", "dump", "by_source"});
    ASSERT_EQ(slots.size(), 3u) << slots.dump();  // slots 0 and 2 from the object, 1 from --maps-in
    EXPECT_EQ(slots.at(1).at("inner_map_id"), extra_id);
    EXPECT_EQ(slots.at(2).at("inner_map_id"), count_b_id);
    EXPECT_EQ(dp.ctl_json({"map", "dump", "id", std::to_string(extra_id)}).size(), 4u);  // an array's 4 slots

    const CommandResult put = dp.ctl({"map", "update", "by_source", "key", "3", "0", "0", "0", "value", "id",
                                      std::to_string(extra_id)});
    EXPECT_EQ(put.exit_code, 0) << put.err;
    EXPECT_EQ(dp.ctl_json({"map", "lookup", "by_source", "key", "3", "0", "0", "0"}).at("inner_map_id"), extra_id);
    expect_error(dp.ctl({"map", "update", "by_source", "key", "3", "0", "0", "0", "value", "name", "lengths_even"}),
                 "map 'by_source': update: Invalid argument (map 'lengths_even': type hash differs from the inner map "
                 "template's array)");
    const CommandResult gone = dp.ctl({"map", "delete", "by_source", "key", "1", "0", "0", "0"});
    EXPECT_EQ(gone.exit_code, 0) << gone.err;
    EXPECT_EQ(dp.ctl_json({"map", "dump", "by_source"}).size(), 3u);
    // The text dump is bpftool 7.1's: the ids as value bytes, empty slots left out.
    const CommandResult text = dp.ctl({"map", "dump", "by_source"});
    EXPECT_NE(text.out.find("Found 3 elements"), std::string::npos) << text.out;

    dp.run().signal(SIGINT);
    const CommandResult done = dp.run().wait();
    EXPECT_EQ(done.exit_code, 0) << done.err;
}

// A --ctl path whose directory does not exist is refused before the run,
// and the directory is not created behind the user's back.
TEST_F(CtlCommands, CtlPathInAMissingDirectoryIsRefused) {
    const std::string dir = temp_dir() + "/missing";
    const CommandResult r = run_command({xdpdk_binary(), "run", "--no-huge", "-m", "1024", "--no-pci",
                                         "--file-prefix=xdpdk-ctlmiss-" + std::to_string(getpid()), "-l", "0,1",
                                         "--log-level=error", "--vdev=net_null0", "--", "--attach",
                                         "0=" + swap_v1(), "--ctl", dir + "/x.sock", "--duration", "0.2"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("xdpdk: --ctl " + dir + "/x.sock: cannot bind: No such file or directory"),
              std::string::npos)
        << r.err;
    EXPECT_NE(access(dir.c_str(), F_OK), 0) << "the missing directory was created";
}

TEST(CtlClient, NoDataplaneIsOneLineAndExitOne) {
    const std::string dir = temp_dir();
    const CommandResult r = run_command({xdpdk_binary(), "ctl", "--socket", dir + "/none.sock", "prog", "list"});
    expect_error(r, "cannot connect");
    const CommandResult usage = run_command({xdpdk_binary(), "ctl", "--socket", dir + "/none.sock"});
    EXPECT_EQ(usage.exit_code, 2);
}

}  // namespace
