// Events out of programs through the tools: `xdpdk replay --events` writes
// every ring buffer and perf event array record as a JSON line tagged with
// its packet, in both engines alike; `xdpdk run --events` and
// `xdpdk ctl map events` give a running dataplane's records; a dataplane
// whose records nobody reads keeps forwarding and counts them as lost.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <pcap/pcap.h>

#include "test_support.h"

using namespace xdpdk::test;
using nlohmann::json;

namespace {

using Bytes = std::vector<uint8_t>;

std::vector<Bytes> read_pcap_frames(const std::string& path) {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), errbuf);
    if (!p) {
        ADD_FAILURE() << path << ": " << errbuf;
        return {};
    }
    std::vector<Bytes> out;
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1) out.emplace_back(d, d + h->caplen);
    pcap_close(p);
    return out;
}

std::vector<json> json_lines(const std::string& text) {
    std::vector<json> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        json j = json::parse(line, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << line;
        if (!j.is_discarded()) lines.push_back(std::move(j));
    }
    return lines;
}

Bytes unhex(const std::string& s) {
    Bytes b;
    for (size_t i = 0; i + 1 < s.size(); i += 2) b.push_back(static_cast<uint8_t>(std::stoul(s.substr(i, 2), nullptr, 16)));
    return b;
}

uint32_t le(const Bytes& b, size_t at, size_t n) {
    uint32_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint32_t(b[at + i]) << (8 * i);
    return v;
}

std::string sample_pcap() { return source_path("pcaps/sample.pcap"); }

CommandResult replay(std::vector<std::string> args) {
    args.insert(args.begin(), {xdpdk_binary(), "replay"});
    return run_command(args);
}

// events_ringbuf: a 24-byte flow record per packet but ARP (seq, length,
// EtherType, first 16 bytes), then an 8-byte summary {magic, seq}.
void expect_flow_records(const std::vector<json>& lines, const std::vector<Bytes>& frames, bool with_packet_index) {
    size_t at = 0;
    for (size_t i = 0; i < frames.size(); ++i) {
        const Bytes& f = frames[i];
        const uint16_t proto = uint16_t(f[12] << 8 | f[13]);
        if (proto != 0x0806) {
            ASSERT_LT(at, lines.size());
            const json& rec = lines[at++];
            EXPECT_EQ(rec.at("map"), "flows");
            EXPECT_EQ(rec.at("cpu"), 0);
            if (with_packet_index) {
                EXPECT_EQ(rec.at("packet"), i);
            }
            const Bytes b = unhex(rec.at("bytes").get<std::string>());
            ASSERT_EQ(b.size(), 24u) << rec.dump();
            EXPECT_EQ(le(b, 0, 4), i);
            EXPECT_EQ(le(b, 4, 2), f.size());
            EXPECT_EQ(le(b, 6, 2), proto);
            EXPECT_EQ(Bytes(b.begin() + 8, b.end()), Bytes(f.begin(), f.begin() + 16));
        }
        ASSERT_LT(at, lines.size());
        const Bytes s = unhex(lines[at++].at("bytes").get<std::string>());
        ASSERT_EQ(s.size(), 8u);
        EXPECT_EQ(le(s, 0, 4), 0x464c4f57u);
        EXPECT_EQ(le(s, 4, 4), i);
    }
    ASSERT_EQ(at + 1, lines.size()) << "then one lost count";
    EXPECT_EQ(lines.back(), json::parse(R"({"map":"flows","lost":0})"));
}

TEST(ReplayEvents, RingbufRecordsOfEveryPacketInBothEngines) {
    const std::string dir = temp_dir();
    const std::vector<Bytes> frames = read_pcap_frames(sample_pcap());
    ASSERT_EQ(frames.size(), 100u);
    std::string first;
    for (const char* engine : {"interp", "jit"}) {
        SCOPED_TRACE(engine);
        const std::string out = dir + "/" + engine + ".jsonl";
        auto r = replay({test_prog_path("events_ringbuf"), sample_pcap(), "--engine", engine, "--events", out});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const std::string text = read_file(out);
        expect_flow_records(json_lines(text), frames, true);
        if (first.empty()) first = text;
        else EXPECT_EQ(text, first) << "the engines differ";
    }
}

TEST(ReplayEvents, PerfSamplesCarryTheMetadataAndThePacketsFirstBytes) {
    const std::string out = temp_dir() + "/events.jsonl";
    auto r = replay({test_prog_path("events_perf"), sample_pcap(), "--events", out, "--cpus", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::vector<Bytes> frames = read_pcap_frames(sample_pcap());
    const std::vector<json> lines = json_lines(read_file(out));
    ASSERT_EQ(lines.size(), frames.size() + 1);
    for (size_t i = 0; i < frames.size(); ++i) {
        EXPECT_EQ(lines[i].at("map"), "samples");
        EXPECT_EQ(lines[i].at("cpu"), 0);
        EXPECT_EQ(lines[i].at("packet"), i);
        const Bytes b = unhex(lines[i].at("bytes").get<std::string>());
        const size_t cap = std::min<size_t>(frames[i].size(), 64);
        ASSERT_EQ(b.size(), 16 + cap);
        EXPECT_EQ(le(b, 0, 4), 1u);  // --ifindex default
        EXPECT_EQ(le(b, 8, 2), frames[i].size());
        EXPECT_EQ(le(b, 10, 2), cap);
        EXPECT_EQ(le(b, 12, 4), i);
        EXPECT_EQ(Bytes(b.begin() + 16, b.end()), Bytes(frames[i].begin(), frames[i].begin() + cap));
    }
    EXPECT_EQ(lines.back(), json::parse(R"({"map":"samples","lost":0})"));
}

TEST(ReplayEvents, AnUnwritablePathIsOneErrorLine) {
    auto r = replay({test_prog_path("events_ringbuf"), sample_pcap(), "--events", "/nonexistent-dir/e.jsonl"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.err.rfind("xdpdk: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find("'/nonexistent-dir/e.jsonl': cannot create"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

// ---- a running dataplane ----

class RunEvents : public ::testing::Test {
protected:
    void SetUp() override {
        if (geteuid() != 0) GTEST_SKIP() << "needs root for the pcap vdev and /run";
    }
    static std::vector<std::string> run_args(const std::string& dir, bool infinite, const std::string& tag) {
        return {xdpdk_binary(), "run", "--no-huge", "-m", "1024", "--no-pci",
                "--file-prefix=xdpdk-events-" + tag + std::to_string(getpid()), "-l", "0,1", "--log-level=error",
                "--vdev=net_pcap0,rx_pcap=" + sample_pcap() + (infinite ? ",infinite_rx=1" : "") + ",tx_pcap=" + dir +
                    "/tx.pcap",
                "--", "--attach", "0=" + test_prog_path("events_ringbuf"), "--ctl", dir + "/ctl.sock",
                "--stats-interval", "0", "--json"};
    }
};

TEST_F(RunEvents, EventsFileHoldsEveryRecordThenTheLostCount) {
    const std::string dir = temp_dir();
    std::vector<std::string> args = run_args(dir, false, "file");
    for (const char* a : {"--events", "", "--duration", "2"}) args.push_back(a);
    args[args.size() - 3] = dir + "/events.jsonl";
    const CommandResult r = run_command(args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_flow_records(json_lines(read_file(dir + "/events.jsonl")), read_pcap_frames(sample_pcap()), false);
}

TEST_F(RunEvents, CtlMapEventsStreamsRecordsAndAStalledReaderCostsRecordsNotPackets) {
    const std::string dir = temp_dir();
    std::vector<std::string> args = run_args(dir, true, "ctl");
    for (const char* a : {"--duration", "60"}) args.push_back(a);
    BackgroundCommand run(args, dir);
    const std::string socket = dir + "/ctl.sock";
    for (int i = 0; i < 200 && access(socket.c_str(), F_OK) != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ASSERT_EQ(access(socket.c_str(), F_OK), 0) << run.stderr_so_far();
    auto ctl = [&](std::vector<std::string> words) {
        words.insert(words.begin(), {xdpdk_binary(), "ctl", "--socket", socket});
        return run_command(words);
    };
    auto received = [&] {
        const CommandResult s = ctl({"-j", "stats"});
        EXPECT_EQ(s.exit_code, 0) << s.err;
        return json::parse(s.out).dump();
    };
    // Nobody has read the ring: it is full, and the worker goes on.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const std::string stats_before = received();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_NE(received(), stats_before) << "the worker stalled";

    BackgroundCommand follow({xdpdk_binary(), "ctl", "--socket", socket, "map", "events", "flows"}, temp_dir());
    for (int i = 0; i < 100 && follow.stdout_so_far().find("\"bytes\"") == std::string::npos; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    follow.signal(SIGINT);
    const CommandResult followed = follow.wait();
    EXPECT_EQ(followed.exit_code, 0) << followed.err;
    const std::vector<json> lines = json_lines(followed.out);
    bool lost_reported = false, records = false;
    for (const json& l : lines) {
        EXPECT_EQ(l.at("map"), "flows") << l.dump();
        if (l.contains("lost")) lost_reported |= l.at("lost").get<uint64_t>() > 0;
        if (l.contains("bytes")) {
            records = true;
            const size_t n = l.at("bytes").get<std::string>().size();
            EXPECT_TRUE(n == 48 || n == 16) << l.dump();
        }
    }
    EXPECT_TRUE(records) << followed.out;
    EXPECT_TRUE(lost_reported) << "the full ring's drops are counted: " << followed.out;

    // Not an event map, and no such map: one line each.
    const CommandResult array = ctl({"map", "events", "results"});
    EXPECT_EQ(array.exit_code, 1);
    EXPECT_NE(array.err.find("map 'results': is of type array; events come from ringbuf and perf_event_array maps"),
              std::string::npos)
        << array.err;
    // With -j the error is JSON on stdout too, as for every other command.
    const CommandResult array_json = ctl({"-j", "map", "events", "results"});
    EXPECT_EQ(array_json.exit_code, 1);
    const auto reply = nlohmann::json::parse(array_json.out, nullptr, false);
    ASSERT_TRUE(reply.is_object()) << array_json.out;
    EXPECT_NE(reply.value("error", "").find("is of type array"), std::string::npos) << array_json.out;
    const CommandResult missing = ctl({"map", "events", "nope"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;
    run.signal(SIGINT);
    EXPECT_EQ(run.wait().exit_code, 0);
}

}  // namespace
