// `xdpdk replay`, run as users run it: the built binary over the bundled
// captures. Expected verdicts and bytes come from a model of
// tests/progs/verdicts.bpf.c written here, and from the kernel running the
// same object through BPF_PROG_TEST_RUN.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/replay/pcap_io.h"
#include "kernel_oracle.h"
#include "test_support.h"

using namespace xdpdk::test;
using nlohmann::json;

namespace {

using Bytes = std::vector<uint8_t>;

struct CapturedPacket {
    Bytes bytes;
    int64_t sec = 0, usec = 0;
    uint32_t orig_len = 0;
};

std::vector<CapturedPacket> read_capture(const std::string& path) {
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), errbuf);
    if (!p) {
        ADD_FAILURE() << path << ": " << errbuf;
        return {};
    }
    std::vector<CapturedPacket> out;
    pcap_pkthdr* h;
    const u_char* d;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1)
        out.push_back({Bytes(d, d + h->caplen), h->ts.tv_sec, h->ts.tv_usec, h->len});
    if (rc != PCAP_ERROR_BREAK) ADD_FAILURE() << path << ": " << pcap_geterr(p);
    pcap_close(p);
    return out;
}

std::string sample_pcap() { return source_path("pcaps/sample.pcap"); }
std::string sample_pcapng() { return source_path("pcaps/sample.pcapng"); }
std::string verdicts_obj() { return test_prog_path("verdicts"); }

CommandResult replay(std::vector<std::string> args) {
    args.insert(args.begin(), {xdpdk_binary(), "replay"});
    return run_command(args);
}

std::string hex(const Bytes& b) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (uint8_t c : b) s += {d[c >> 4], d[c & 15]};
    return s;
}

std::string le32_hex(uint32_t v) { return hex({uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)}); }
std::string le64_hex(uint64_t v) { return le32_hex(uint32_t(v)) + le32_hex(uint32_t(v >> 32)); }

std::vector<json> read_jsonl(const std::string& path) {
    std::vector<json> lines;
    std::istringstream in(read_file(path));
    std::string line;
    while (std::getline(in, line)) lines.push_back(json::parse(line));
    return lines;
}

struct Row {
    uint64_t packets = 0, bytes = 0;
    bool operator==(const Row&) const = default;
};

// The summary table's rows by action name (and "total").
std::map<std::string, Row> summary_rows(const std::string& out) {
    std::map<std::string, Row> rows;
    std::istringstream in(out);
    std::string name;
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream ls(line);
        Row r;
        if (ls >> name >> r.packets >> r.bytes && (name.rfind("XDP_", 0) == 0 || name == "total")) rows[name] = r;
    }
    return rows;
}

// Every entry of a directory, hidden ones included.
std::vector<std::string> dir_entries(const std::string& dir) {
    std::vector<std::string> names;
    DIR* d = opendir(dir.c_str());
    if (!d) return names;
    while (dirent* e = readdir(d)) {
        const std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

bool exists(const std::string& path) {
    struct stat st{};
    return stat(path.c_str(), &st) == 0;
}

// One "xdpdk: ..." line on stderr containing `expected`, nothing on stdout,
// a failing exit code.
void expect_one_error(const CommandResult& r, const std::string& expected) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.rfind("xdpdk: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(expected), std::string::npos) << "stderr: " << r.err << "expected: " << expected;
}

// ---- a model of tests/progs/verdicts.bpf.c's xdp_verdicts ----

struct Verdict {
    uint64_t retval;
    Bytes data;
    json redirect;  // null when none
};

struct VerdictsConfig {
    uint32_t redirect_ifindex = 5;
    std::optional<uint32_t> port2;  // devmap "ports" entry 2
};

uint16_t be16(const Bytes& b, size_t at) { return static_cast<uint16_t>(b[at] << 8 | b[at + 1]); }

Verdict model_verdict(const Bytes& in, const VerdictsConfig& cfg) {
    Verdict v{0, in, json()};
    if (in.size() < 14) return v;
    const uint16_t type = be16(in, 12);
    if (type == 0x0806) return {1, in, json()};
    if (type == 0x0800 && in.size() >= 34) {
        const uint8_t proto = in[23];
        if (proto == 1) return {7, in, json()};
        if (proto == 17) {
            std::swap_ranges(v.data.begin(), v.data.begin() + 6, v.data.begin() + 6);
            v.retval = 3;
            return v;
        }
        if (proto == 6) v.data.resize(v.data.size() - 4);
        v.retval = 2;
        return v;
    }
    if (type == 0x86dd && in.size() >= 54) {
        const uint8_t next = in[20];
        if (next == 17) return {4, in, json{{"ifindex", cfg.redirect_ifindex}}};
        if (next == 6) {
            if (!cfg.port2) return {1, in, json()};
            return {4, in, json{{"map", "ports"}, {"key", 2}, {"ifindex", *cfg.port2}}};
        }
        return {2, in, json()};
    }
    return v;
}

const char* action_name(uint64_t r) {
    static const char* names[] = {"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"};
    return r <= 4 ? names[r] : "XDP_ABORTED";
}

std::map<std::string, Row> model_rows(const std::vector<CapturedPacket>& pkts, const VerdictsConfig& cfg) {
    std::map<std::string, Row> rows;
    for (const char* n : {"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"}) rows[n] = {};
    for (const auto& p : pkts) {
        const Verdict v = model_verdict(p.bytes, cfg);
        Row& r = rows[action_name(v.retval)];
        r.packets += 1;
        r.bytes += v.data.size();
        rows["total"].packets += 1;
        rows["total"].bytes += v.data.size();
    }
    return rows;
}

class Replay : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = temp_dir();
        packets_ = read_capture(sample_pcap());
        ASSERT_EQ(packets_.size(), 100u);
    }
    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    std::string write(const std::string& name, const std::string& text) const {
        write_file(path(name), text);
        return path(name);
    }

    std::string dir_;
    std::vector<CapturedPacket> packets_;
};

}  // namespace

// ---- the bundled captures ----

TEST(ReplayCaptures, BundledCapturesAreWhatTheGeneratorWrites) {
    const char* gen = std::getenv("XDPDK_PCAPGEN");
    ASSERT_NE(gen, nullptr) << "XDPDK_PCAPGEN not set (run through meson test)";
    const std::string dir = temp_dir();
    auto r = run_command({gen, dir});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* name : {"sample.pcap", "sample.pcapng", "corrupt_truncated.pcap"}) {
        const std::string committed = read_file(source_path(std::string("pcaps/") + name));
        EXPECT_FALSE(committed.empty()) << name;
        EXPECT_TRUE(committed == read_file(dir + "/" + name)) << name << " differs from tests/tools/pcapgen output";
    }
}

TEST(ReplayCaptures, SampleHoldsAMixOfFramesAndThePcapngHasTheSamePackets) {
    const auto pcap = read_capture(sample_pcap());
    const auto pcapng = read_capture(sample_pcapng());
    ASSERT_EQ(pcap.size(), 100u);
    ASSERT_EQ(pcapng.size(), pcap.size());
    std::map<uint16_t, int> ethertypes;
    size_t smallest = SIZE_MAX, largest = 0;
    for (size_t i = 0; i < pcap.size(); ++i) {
        EXPECT_EQ(pcap[i].bytes, pcapng[i].bytes) << "packet " << i;
        EXPECT_EQ(pcap[i].sec, pcapng[i].sec);
        EXPECT_EQ(pcap[i].usec, pcapng[i].usec);
        ethertypes[be16(pcap[i].bytes, 12)]++;
        smallest = std::min(smallest, pcap[i].bytes.size());
        largest = std::max(largest, pcap[i].bytes.size());
    }
    EXPECT_GT(ethertypes[0x0806], 0);
    EXPECT_GT(ethertypes[0x0800], 0);
    EXPECT_GT(ethertypes[0x86dd], 0);
    EXPECT_GT(ethertypes[0x8100], 0);
    EXPECT_EQ(smallest, 60u);
    EXPECT_EQ(largest, 1514u);
}

// ---- hello world ----

TEST_F(Replay, HelloPrintsTheCounterForEveryPacketAndBssHoldsTheCount) {
    auto r = replay({prog_path("hello"), sample_pcap(), "--trace", "--maps-out", path("maps.json")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream err(r.err);
    std::string line;
    int n = 0;
    while (std::getline(err, line)) {
        const std::string expected = "bpf_trace_printk: Hello World " + std::to_string(n);
        ASSERT_GE(line.size(), expected.size()) << line;
        EXPECT_EQ(line.substr(line.size() - expected.size()), expected) << line;
        ++n;
    }
    EXPECT_EQ(n, 100);

    uint64_t bytes = 0;
    for (const auto& p : packets_) bytes += p.bytes.size();
    auto rows = summary_rows(r.out);
    EXPECT_EQ(rows["XDP_PASS"], (Row{100, bytes}));
    EXPECT_EQ(rows["XDP_DROP"], (Row{0, 0}));
    EXPECT_EQ(rows["total"], (Row{100, bytes}));
    EXPECT_NE(r.out.find("prog hello (section xdp), engine jit"), std::string::npos) << r.out;

    const json maps = json::parse(read_file(path("maps.json")));
    EXPECT_EQ(maps["hello.bss"], json::parse(R"([{"key":"00000000","value":")" + le32_hex(100) + R"("}])"));
}

TEST_F(Replay, WithoutTraceNothingIsPrintedOnStderr) {
    auto r = replay({prog_path("hello"), sample_pcap()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(summary_rows(r.out)["XDP_PASS"].packets, 100u);
}

TEST_F(Replay, MapsInSetsTheHelloCounterBeforeTheRun) {
    const std::string in = write("in.json", R"({"hello.bss":[{"key":"00000000","value":")" + le32_hex(1000) + R"("}]})");
    auto r = replay({prog_path("hello"), sample_pcap(), "--trace", "--maps-in", in, "--maps-out", path("out.json")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("Hello World 1000\n"), std::string::npos);
    EXPECT_NE(r.err.find("Hello World 1099\n"), std::string::npos);
    EXPECT_EQ(r.err.find("Hello World 999\n"), std::string::npos);
    const json maps = json::parse(read_file(path("out.json")));
    EXPECT_EQ(maps["hello.bss"][0]["value"], le32_hex(1100));
}

TEST_F(Replay, MapsInCreatesInnerMapsThatTheProgramThenCountsIn) {
    // Slot 1 of by_source gets a new map, slot 3 one of the object's; slots
    // 0 and 2 hold what the object's own `.values` put there.
    const std::string in = write("in.json", R"({"by_source": [
        {"key": "01000000", "inner": {"name": "extra", "entries": [{"key": "03000000", "value": ")" + le64_hex(1000) +
                                                R"("}]}},
        {"key": "03000000", "map": "count_a"}]})");
    auto r = replay({test_prog_path("map_in_map"), sample_pcap(), "--maps-in", in, "--maps-out", path("out.json")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    uint64_t run = 0, to_extra = 0;
    for (const auto& p : packets_) {
        if (p.bytes.size() < 14) continue;  // runts are not run
        ++run;
        to_extra += (p.bytes[11] & 3) == 1;
    }
    ASSERT_GT(to_extra, 0u) << "the capture should reach the created map";
    EXPECT_EQ(summary_rows(r.out)["XDP_DROP"].packets, 0u) << "every slot holds a map";
    const json maps = json::parse(read_file(path("out.json")));
    auto sum = [](const json& entries) {
        uint64_t total = 0;
        for (const auto& e : entries) {
            const std::string v = e["value"];
            uint64_t n = 0;
            for (int i = 7; i >= 0; --i) n = n << 8 | std::stoul(v.substr(2 * i, 2), nullptr, 16);
            total += n;
        }
        return total;
    };
    const json& extra = maps["by_source"][1]["inner"];
    EXPECT_EQ(extra["name"], "extra");
    EXPECT_EQ(sum(extra["entries"]), 1000 + to_extra);
    EXPECT_EQ(maps["by_source"][3], json::parse(R"({"key":"03000000","map":"count_a"})"));
    EXPECT_EQ(sum(maps["count_a"]) + sum(maps["count_b"]) + sum(extra["entries"]), 1000 + run);
}

// ---- every action, records and output captures ----

TEST_F(Replay, VerdictsCountsRecordsCapturesAndMaps) {
    VerdictsConfig cfg;
    cfg.port2 = 9;
    const std::string in = write("in.json", R"({"ports":[{"key":"02000000","ifindex":9}]})");
    const std::string out = path("out");  // created by replay
    auto r = replay({verdicts_obj(), sample_pcap(), "--out", out, "--jsonl", path("r.jsonl"), "--maps-in", in,
                     "--maps-out", path("maps.json"), "--cpus", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");

    const auto expected_rows = model_rows(packets_, cfg);
    EXPECT_EQ(summary_rows(r.out), expected_rows) << r.out;
    for (const char* action : {"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"})
        EXPECT_GT(expected_rows.at(action).packets, 0u) << action << ": the sample should exercise every action";

    // One record per input packet, in order.
    const auto records = read_jsonl(path("r.jsonl"));
    ASSERT_EQ(records.size(), packets_.size());
    std::map<uint64_t, std::vector<CapturedPacket>> by_action;
    for (size_t i = 0; i < packets_.size(); ++i) {
        const Verdict v = model_verdict(packets_[i].bytes, cfg);
        json expected = {{"index", i}, {"action", action_name(v.retval)}, {"retval", v.retval},
                         {"len", v.data.size()}, {"data", hex(v.data)}, {"meta", ""}};
        if (!v.redirect.is_null()) expected["redirect"] = v.redirect;
        EXPECT_EQ(records[i], expected) << "packet " << i;
        CapturedPacket p = packets_[i];
        p.bytes = v.data;
        by_action[v.retval].push_back(p);
    }

    // pass/tx/redirect captures hold the changed packets in input order, with
    // their timestamps.
    EXPECT_EQ(dir_entries(out), (std::vector<std::string>{"pass.pcap", "redirect.pcap", "tx.pcap"}));
    for (auto [file, action] : {std::pair{"pass.pcap", 2}, {"tx.pcap", 3}, {"redirect.pcap", 4}}) {
        const auto got = read_capture(out + "/" + file);
        const auto& want = by_action[action];
        ASSERT_EQ(got.size(), want.size()) << file;
        for (size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].bytes, want[i].bytes) << file << " packet " << i;
            EXPECT_EQ(got[i].sec, want[i].sec);
            EXPECT_EQ(got[i].usec, want[i].usec);
            EXPECT_EQ(got[i].orig_len, want[i].bytes.size());
        }
    }

    // The maps as the program left them.
    const json maps = json::parse(read_file(path("maps.json")));
    EXPECT_EQ(maps["verdicts.bss"], json::parse(R"([{"key":"00000000","value":")" + le64_hex(100) + R"("}])"));
    EXPECT_EQ(maps["verdicts.rodata"], json::parse(R"([{"key":"00000000","value":")" + le32_hex(5) + R"("}])"));
    EXPECT_EQ(maps["percpu_packets"],
              json::parse(R"([{"key":"00000000","values":[")" + le64_hex(100) + R"(",")" + le64_hex(0) + R"("]}])"));
    EXPECT_EQ(maps["ports"], json::parse(R"([{"key":"02000000","value":"09000000","ifindex":9}])"));
    EXPECT_EQ(maps["jump"], json::array());
    // Arrays list every index; the program counted 7 as XDP_ABORTED, as replay does.
    ASSERT_EQ(maps["verdict_count"].size(), 8u);
    for (uint32_t i = 0; i < 8; ++i) {
        const uint64_t count = i < 5 ? expected_rows.at(action_name(i)).packets : 0;
        EXPECT_EQ(maps["verdict_count"][i], (json{{"key", le32_hex(i)}, {"value", le64_hex(count)}})) << i;
    }
    // The hash map holds exactly the ethertypes seen, keyed in host order.
    std::map<std::string, std::string> want_types, got_types;
    std::map<uint16_t, uint32_t> counts;
    for (const auto& p : packets_) counts[be16(p.bytes, 12)]++;
    for (auto [type, n] : counts) want_types[hex({uint8_t(type), uint8_t(type >> 8)})] = le32_hex(n);
    for (const auto& e : maps["ethertype_count"]) got_types[e["key"]] = e["value"];
    EXPECT_EQ(got_types, want_types);
}

TEST_F(Replay, PcapngGivesTheSameRecordsAsPcap) {
    auto a = replay({verdicts_obj(), sample_pcap(), "--jsonl", path("a.jsonl")});
    auto b = replay({verdicts_obj(), sample_pcapng(), "--jsonl", path("b.jsonl")});
    ASSERT_EQ(a.exit_code, 0) << a.err;
    ASSERT_EQ(b.exit_code, 0) << b.err;
    EXPECT_EQ(read_jsonl(path("a.jsonl")), read_jsonl(path("b.jsonl")));
    EXPECT_EQ(read_jsonl(path("a.jsonl")).size(), 100u);
    EXPECT_EQ(summary_rows(a.out), summary_rows(b.out));
    EXPECT_EQ(summary_rows(b.out), model_rows(packets_, {}));
}

TEST_F(Replay, SetChangesAConstVolatileKnobBeforeLoad) {
    for (auto [arg, ifindex] : {std::pair{"redirect_ifindex=12", 12u}, {"redirect_ifindex=hex:0d000000", 13u}}) {
        auto r = replay({verdicts_obj(), sample_pcap(), "--set", arg, "--jsonl", path("r.jsonl"), "--maps-out",
                         path("maps.json")});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        VerdictsConfig cfg;
        cfg.redirect_ifindex = ifindex;
        const auto records = read_jsonl(path("r.jsonl"));
        ASSERT_EQ(records.size(), packets_.size());
        int redirects = 0;
        for (size_t i = 0; i < records.size(); ++i) {
            const Verdict v = model_verdict(packets_[i].bytes, cfg);
            if (v.redirect.is_null()) continue;
            EXPECT_EQ(records[i]["redirect"], v.redirect) << arg << " packet " << i;
            ++redirects;
        }
        EXPECT_GT(redirects, 0);
        EXPECT_EQ(json::parse(read_file(path("maps.json")))["verdicts.rodata"][0]["value"], le32_hex(ifindex));
    }
}

TEST_F(Replay, ProgArrayEntriesNameProgramsForTailCalls) {
    const std::string in = write("in.json", R"({"jump":[{"key":"00000000","prog":"xdp_stage2"}]})");
    auto with = replay({verdicts_obj(), sample_pcap(), "--prog", "xdp_jump", "--maps-in", in, "--maps-out",
                        path("maps.json")});
    ASSERT_EQ(with.exit_code, 0) << with.err;
    uint64_t bytes = 0;
    for (const auto& p : packets_) bytes += p.bytes.size();
    EXPECT_EQ(summary_rows(with.out)["XDP_TX"], (Row{100, bytes}));
    EXPECT_NE(with.out.find("prog xdp_jump (section xdp)"), std::string::npos);
    EXPECT_EQ(json::parse(read_file(path("maps.json")))["jump"],
              json::parse(R"([{"key":"00000000","prog":"xdp_stage2"}])"));

    auto without = replay({verdicts_obj(), sample_pcap(), "--prog", "xdp_jump"});
    ASSERT_EQ(without.exit_code, 0) << without.err;
    EXPECT_EQ(summary_rows(without.out)["XDP_DROP"], (Row{100, bytes}));
}

TEST_F(Replay, ProgByFunctionOrSectionNameAndTheDefaultIsTheFirstXdpProgram) {
    auto by_default = replay({verdicts_obj(), sample_pcap()});
    auto by_section = replay({verdicts_obj(), sample_pcap(), "--prog", "xdp"});
    auto by_name = replay({verdicts_obj(), sample_pcap(), "--prog", "xdp_stage2"});
    for (const auto* r : {&by_default, &by_name}) ASSERT_EQ(r->exit_code, 0) << r->err;
    EXPECT_NE(by_default.out.find("prog xdp_verdicts (section xdp)"), std::string::npos);
    EXPECT_EQ(summary_rows(by_default.out), model_rows(packets_, {}));
    // Six programs share section "xdp": naming the section picks none.
    EXPECT_EQ(by_section.exit_code, 1);
    EXPECT_NE(by_section.err.find("xdpdk: section 'xdp': is ambiguous: it holds 6 programs (xdp_verdicts, "),
              std::string::npos)
        << by_section.err;
    EXPECT_EQ(summary_rows(by_name.out)["XDP_TX"].packets, 100u);
}

TEST_F(Replay, IfindexAndRxQueueReachTheProgram) {
    auto r = replay({verdicts_obj(), sample_pcap(), "--prog", "xdp_ctx_echo", "--ifindex", "7", "--rx-queue", "3",
                     "--jsonl", path("r.jsonl")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto records = read_jsonl(path("r.jsonl"));
    ASSERT_EQ(records.size(), packets_.size());
    for (size_t i = 0; i < records.size(); ++i) {
        Bytes want = packets_[i].bytes;
        const uint8_t ctx[6] = {7, 0, 0, 0, 3, 0};
        std::copy(ctx, ctx + 6, want.begin());
        EXPECT_EQ(records[i]["data"], hex(want)) << i;
    }
    auto defaults = replay({verdicts_obj(), sample_pcap(), "--prog", "xdp_ctx_echo", "--jsonl", path("d.jsonl")});
    ASSERT_EQ(defaults.exit_code, 0) << defaults.err;
    EXPECT_EQ(read_jsonl(path("d.jsonl"))[0]["data"].get<std::string>().substr(0, 12), "010000000000");
}

TEST_F(Replay, MapsOutFeedsBackAsMapsIn) {
    const std::string in = write("in.json", R"({"ports":[{"key":"02000000","ifindex":9}],
        "jump":[{"key":"01000000","prog":"xdp_stage2"}]})");
    auto first = replay({verdicts_obj(), sample_pcap(), "--maps-in", in, "--maps-out", path("m1.json"), "--cpus", "2"});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    auto second = replay({verdicts_obj(), sample_pcap(), "--maps-in", path("m1.json"), "--maps-out", path("m2.json"),
                          "--cpus", "2"});
    ASSERT_EQ(second.exit_code, 0) << second.err;
    const json m1 = json::parse(read_file(path("m1.json")));
    const json m2 = json::parse(read_file(path("m2.json")));
    // Counters continue from the first run's values; configuration stays.
    EXPECT_EQ(m2["verdicts.bss"][0]["value"], le64_hex(200));
    EXPECT_EQ(m2["percpu_packets"][0]["values"], json::array({le64_hex(200), le64_hex(0)}));
    for (const auto& e : m2["ethertype_count"]) {
        bool found = false;
        for (const auto& f : m1["ethertype_count"]) {
            if (f["key"] != e["key"]) continue;
            found = true;
            const std::string v1 = f["value"], v2 = e["value"];
            EXPECT_EQ(std::stoul(v2.substr(0, 2), nullptr, 16), 2 * std::stoul(v1.substr(0, 2), nullptr, 16));
        }
        EXPECT_TRUE(found) << e.dump();
    }
    EXPECT_EQ(m2["ports"], m1["ports"]);
    EXPECT_EQ(m2["jump"], json::parse(R"([{"key":"01000000","prog":"xdp_stage2"}])"));
    EXPECT_EQ(m2["verdicts.rodata"], m1["verdicts.rodata"]);
}

TEST_F(Replay, DashAndDevStdoutWriteToStdoutBeforeTheSummary) {
    for (const std::string target : {"-", "/dev/stdout"}) {
        auto r = replay({verdicts_obj(), sample_pcap(), "--jsonl", target});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        std::istringstream out(r.out);
        std::string line;
        for (size_t i = 0; i < packets_.size(); ++i) {
            ASSERT_TRUE(std::getline(out, line));
            EXPECT_EQ(json::parse(line)["index"], i) << target;
        }
        ASSERT_TRUE(std::getline(out, line));
        EXPECT_EQ(line.rfind("prog xdp_verdicts", 0), 0u) << target << ": " << line;
        EXPECT_EQ(summary_rows(r.out), model_rows(packets_, {}));
    }
    auto maps = replay({verdicts_obj(), sample_pcap(), "--maps-out", "-"});
    ASSERT_EQ(maps.exit_code, 0) << maps.err;
    const size_t summary = maps.out.find("prog xdp_verdicts");
    ASSERT_NE(summary, std::string::npos);
    EXPECT_EQ(json::parse(maps.out.substr(0, summary))["verdicts.bss"][0]["value"], le64_hex(100));
}

TEST_F(Replay, OutputsThroughASymlinkReplaceItsTargetAndKeepTheLink) {
    ASSERT_EQ(symlink("real.json", path("link.json").c_str()), 0);
    auto r = replay({prog_path("hello"), sample_pcap(), "--maps-out", path("link.json")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    struct stat st{};
    ASSERT_EQ(lstat(path("link.json").c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode));
    EXPECT_EQ(json::parse(read_file(path("real.json")))["hello.bss"][0]["value"], le32_hex(100));
    EXPECT_EQ(dir_entries(dir_), (std::vector<std::string>{"link.json", "real.json"}));
}

// ---- the kernel as the oracle ----

TEST_F(Replay, VerdictsBytesAndMapsAgreeWithTheKernel) {
    if (!kernel_unavailable_reason().empty()) GTEST_SKIP() << "kernel oracle unavailable: " << kernel_unavailable_reason();
    CpuPin pin(0);
    const uint32_t cpus = kernel_possible_cpus();
    for (const std::string prog : {"hello", "verdicts", "meta_tail"}) {
        const std::string obj = prog == "verdicts" ? verdicts_obj() : prog_path(prog);
        auto r = replay({obj, sample_pcap(), "--jsonl", path(prog + ".jsonl"), "--maps-out", path(prog + ".json"),
                         "--cpus", std::to_string(cpus)});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto records = read_jsonl(path(prog + ".jsonl"));
        ASSERT_EQ(records.size(), packets_.size());

        auto kobj = KernelObject::open(obj);
        ASSERT_TRUE(kobj.ok()) << kobj.error().str();
        auto loaded = (*kobj)->load();
        ASSERT_TRUE(loaded.ok()) << loaded.error().str();
        const std::string name = prog == "hello" ? "hello" : prog == "verdicts" ? "xdp_verdicts" : "xdp_tap";
        for (size_t i = 0; i < packets_.size(); ++i) {
            auto run = (*kobj)->run_xdp(name, packets_[i].bytes);
            ASSERT_TRUE(run.ok()) << run.error().str();
            EXPECT_EQ(records[i]["retval"], run->action) << prog << " packet " << i;
            EXPECT_EQ(records[i]["data"], hex(run->data)) << prog << " packet " << i;
            EXPECT_EQ(records[i]["meta"], hex(run->meta)) << prog << " packet " << i;
            if (prog == "meta_tail") {
                EXPECT_FALSE(run->meta.empty()) << "packet " << i;
            }
        }
        auto kmaps = (*kobj)->dump_maps();
        ASSERT_TRUE(kmaps.ok()) << kmaps.error().str();
        const json ours = json::parse(read_file(path(prog + ".json")));
        for (const MapDump& m : *kmaps) {
            if (m.type == 14) continue;  // devmap: empty on both sides, values differ in shape
            ASSERT_TRUE(ours.contains(m.name)) << m.name;
            std::map<std::string, std::string> theirs, mine;
            // Per-CPU: slot 0, where both ran (the first value_size bytes).
            for (const auto& [k, v] : m.entries)
                theirs[hex(k)] = hex(m.percpu ? Bytes(v.begin(), v.begin() + m.value_size) : v);
            for (const auto& e : ours[m.name])
                mine[e["key"]] = m.percpu ? e["values"][0].get<std::string>() : e["value"].get<std::string>();
            EXPECT_EQ(mine, theirs) << prog << " map " << m.name;
        }
    }
}

// A devmap program runs as from a devmap entry, seeing --egress-ifindex
// (Linux's test run refuses devmap programs; xdpdk runs them offline).
TEST_F(Replay, DevmapProgramsSeeTheEgressIfindex) {
    const std::string obj = test_prog_path("xdp_named_sections");
    auto same = replay({obj, sample_pcap(), "--prog", "xdp_devmap_egress", "--ifindex", "3", "--egress-ifindex", "3"});
    ASSERT_EQ(same.exit_code, 0) << same.err;
    EXPECT_EQ(summary_rows(same.out)["XDP_DROP"].packets, packets_.size());
    auto other = replay({obj, sample_pcap(), "--prog", "xdp_devmap_egress", "--ifindex", "3", "--egress-ifindex", "4",
                         "--maps-out", path("egress.json")});
    ASSERT_EQ(other.exit_code, 0) << other.err;
    EXPECT_EQ(summary_rows(other.out)["XDP_PASS"].packets, packets_.size());
    EXPECT_EQ(json::parse(read_file(path("egress.json")))["egress_seen"][0]["value"], "04000000");

    // Without --prog an object holding only devmap programs has nothing to
    // run at a device.
    auto none = replay({test_prog_path("devmap_only"), sample_pcap()});
    EXPECT_EQ(none.exit_code, 1);
    EXPECT_EQ(none.err, "xdpdk: prog 'xdp_egress_only' (section 'xdp/devmap'): is an xdp/devmap program and the "
                        "object has no other XDP program; name it with --prog to run it offline\n");
    auto named = replay({test_prog_path("devmap_only"), sample_pcap(), "--prog", "xdp_egress_only",
                         "--egress-ifindex", "2"});
    EXPECT_EQ(named.exit_code, 0) << named.err;

    auto not_devmap = replay({obj, sample_pcap(), "--prog", "xdp_tx_back", "--egress-ifindex", "4"});
    EXPECT_EQ(not_devmap.exit_code, 1);
    EXPECT_NE(not_devmap.err.find("xdpdk: --egress-ifindex: only a devmap program"), std::string::npos)
        << not_devmap.err;
}

// Only the program that runs is loaded, as xdp-loader loads only what it
// attaches: another program of the object that the verifier refuses does not
// stop the run, and is named when it is the one chosen.
TEST_F(Replay, OnlyTheChosenProgramIsLoaded) {
    const std::string obj = test_prog_path("one_prog_refused");
    auto checked = replay({obj, sample_pcap(), "--prog", "xdp_checked"});
    ASSERT_EQ(checked.exit_code, 0) << checked.err;
    EXPECT_EQ(summary_rows(checked.out)["total"].packets, packets_.size());
    auto unchecked = replay({obj, sample_pcap()});  // the first program: refused
    EXPECT_EQ(unchecked.exit_code, 1);
    EXPECT_TRUE(unchecked.err.starts_with("xdpdk: prog 'xdp_unchecked': insn 1 (one_prog_refused.bpf.c:15 "
                                          "'\treturn eth->h_proto == 0 ? XDP_DROP : XDP_PASS;'): invalid access to packet"))
        << unchecked.err;
}

// Hash maps dump by key, so two runs over the same capture give the same file.
TEST_F(Replay, MapsOutListsHashMapsByKey) {
    std::string first;
    for (int run = 0; run < 2; ++run) {
        const std::string out = path("maps" + std::to_string(run) + ".json");
        auto r = replay({prog_path("load_balancer"), source_path("pcaps/lb_traffic.pcap"), "--maps-in",
                         source_path("configs/lb-maps.json"), "--maps-out", out});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const std::string text = read_file(out);
        if (run == 0) first = text;
        else EXPECT_EQ(text, first) << "two runs dumped the maps differently";
    }
    const json maps = json::parse(first);
    ASSERT_GT(maps["conn_table"].size(), 10u);
    std::string previous;
    for (const auto& e : maps["conn_table"]) {
        EXPECT_LT(previous, e["key"].get<std::string>());
        previous = e["key"];
    }
}

// Frames shorter than an Ethernet header: BPF_PROG_TEST_RUN refuses them, so
// replay reports them as not run unless --run-runts asks for them.
TEST_F(Replay, RuntsAreNotRunAsInTheKernelsTestRunUnlessAsked) {
    const std::string pcap = path("runts.pcap");
    {
        auto w = xdpdk::cli::PcapWriter::open(pcap, 1);
        ASSERT_TRUE(w.ok()) << w.error().str();
        for (const auto& p : {packets_[0].bytes, Bytes(packets_[1].bytes.begin(), packets_[1].bytes.begin() + 10),
                              Bytes(packets_[2].bytes.begin(), packets_[2].bytes.begin() + 14)})
            (*w)->write({}, static_cast<uint32_t>(p.size()), p);
        ASSERT_TRUE((*w)->close().ok());
    }
    auto r = replay({prog_path("hello"), pcap, "--jsonl", path("runts.jsonl")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto records = read_jsonl(path("runts.jsonl"));
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[1]["action"], "not run");
    EXPECT_EQ(records[1]["len"], 10);
    EXPECT_NE(records[1]["reason"].get<std::string>().find("--run-runts"), std::string::npos);
    EXPECT_EQ(records[2]["action"], "XDP_PASS");  // 14 bytes run
    EXPECT_NE(r.out.find("not run             1"), std::string::npos) << r.out;
    EXPECT_EQ(summary_rows(r.out)["total"].packets, 2u);

    auto all = replay({prog_path("hello"), pcap, "--jsonl", path("all.jsonl"), "--run-runts"});
    ASSERT_EQ(all.exit_code, 0) << all.err;
    EXPECT_EQ(read_jsonl(path("all.jsonl"))[1]["action"], "XDP_PASS");
    EXPECT_EQ(all.out.find("not run"), std::string::npos);

    if (!kernel_unavailable_reason().empty()) GTEST_SKIP() << "kernel oracle unavailable: " << kernel_unavailable_reason();
    auto kobj = KernelObject::open(prog_path("hello"));
    ASSERT_TRUE(kobj.ok() && (*kobj)->load().ok());
    const Bytes runt(packets_[1].bytes.begin(), packets_[1].bytes.begin() + 10);
    EXPECT_FALSE((*kobj)->run_xdp("hello", runt).ok()) << "the kernel ran a 10-byte frame";
    const Bytes header(packets_[2].bytes.begin(), packets_[2].bytes.begin() + 14);
    EXPECT_TRUE((*kobj)->run_xdp("hello", header).ok());
}

// ---- bad input: one error line, nothing left behind ----

TEST_F(Replay, TruncatedCaptureFailsAndLeavesNoOutputs) {
    const std::string out = path("out");
    auto r = replay({verdicts_obj(), source_path("pcaps/corrupt_truncated.pcap"), "--out", out, "--jsonl",
                     path("r.jsonl"), "--maps-out", path("maps.json")});
    expect_one_error(r, "pcap '" + source_path("pcaps/corrupt_truncated.pcap") +
                            "': truncated or corrupt record after packet 10");
    EXPECT_FALSE(exists(out)) << "the --out directory this run created is removed again";
    EXPECT_EQ(dir_entries(dir_), std::vector<std::string>{});
}

TEST_F(Replay, CorruptRecordFailsAndLeavesAnExistingOutDirAsItWas) {
    // Three good records, then a record header claiming 2 GB.
    const std::string good = read_file(sample_pcap());
    size_t end = 24;
    for (int i = 0; i < 3; ++i) {
        uint32_t caplen;
        std::memcpy(&caplen, good.data() + end + 8, 4);
        end += 16 + caplen;
    }
    std::string bad = good.substr(0, end);
    const char header[16] = {0, 0, 0, 0, 0, 0, 0, 0, '\xff', '\xff', '\xff', '\x7f', '\xff', '\xff', '\xff', '\x7f'};
    bad.append(header, sizeof header);
    bad.append(100, '\0');
    const std::string pcap = write("bad.pcap", bad);
    const std::string out = path("out");
    mkdir(out.c_str(), 0755);
    write_file(out + "/keep.txt", "mine");
    auto r = replay({verdicts_obj(), pcap, "--out", out, "--jsonl", out + "/r.jsonl"});
    expect_one_error(r, "pcap '" + pcap + "': truncated or corrupt record after packet 3");
    EXPECT_EQ(dir_entries(out), std::vector<std::string>{"keep.txt"});
}

TEST_F(Replay, TruncatedPcapngFails) {
    const std::string ng = read_file(sample_pcapng());
    const std::string pcap = write("cut.pcapng", ng.substr(0, ng.size() / 2));
    auto r = replay({verdicts_obj(), pcap, "--jsonl", path("r.jsonl")});
    expect_one_error(r, "pcap '" + pcap + "': truncated or corrupt record after packet ");
    EXPECT_FALSE(exists(path("r.jsonl")));
}

TEST_F(Replay, FilesThatAreNotEthernetCapturesAreRefused) {
    expect_one_error(replay({verdicts_obj(), write("text.pcap", "this is not a capture\n")}),
                     "not a readable pcap or pcapng file");
    expect_one_error(replay({verdicts_obj(), write("empty.pcap", "")}), "not a readable pcap or pcapng file");
    std::string raw_ip = read_file(sample_pcap()).substr(0, 24);
    raw_ip[20] = 101;  // LINKTYPE_RAW
    expect_one_error(replay({verdicts_obj(), write("raw.pcap", raw_ip)}), "is not Ethernet");
}

TEST_F(Replay, MissingFilesAreNamed) {
    expect_one_error(replay({path("none.o"), sample_pcap()}), path("none.o"));
    expect_one_error(replay({verdicts_obj(), path("none.pcap")}),
                     "pcap '" + path("none.pcap") + "': No such file or directory");
    expect_one_error(replay({verdicts_obj(), sample_pcap(), "--maps-in", path("none.json")}),
                     "maps-in '" + path("none.json") + "': No such file or directory");
}

TEST_F(Replay, BadSetIsRefused) {
    const std::string out = path("out");
    auto bad = [&](const std::string& arg, const std::string& expected) {
        expect_one_error(replay({verdicts_obj(), sample_pcap(), "--set", arg, "--out", out}), expected);
        EXPECT_FALSE(exists(out)) << arg;
    };
    bad("nope=1", "--set 'nope=1': no global variable 'nope' (globals: redirect_ifindex, packets)");
    bad("redirect_ifindex=4294967296", "does not fit 'redirect_ifindex' (.rodata, 4 bytes)");
    bad("redirect_ifindex=hex:0102", "hex value is 2 bytes, 'redirect_ifindex' (.rodata, 4 bytes) needs 4");
    bad("redirect_ifindex=hex:xx000000", "bad hex 'xx000000'");
    bad("redirect_ifindex", "expected NAME=VALUE");
    bad("redirect_ifindex=five", "VALUE must be an integer or hex:BYTES");
}

TEST_F(Replay, BadMapsInIsRefused) {
    auto bad = [&](const std::string& text, const std::string& expected) {
        const std::string in = write("in.json", text);
        auto r = replay({verdicts_obj(), sample_pcap(), "--maps-in", in, "--maps-out", path("m.json")});
        expect_one_error(r, expected);
        EXPECT_EQ(r.err.rfind("xdpdk: maps-in '" + in + "': ", 0), 0u) << r.err;
        EXPECT_FALSE(exists(path("m.json"))) << text;
    };
    bad(R"({"verdict_count":[{"key":"000000","value":"0000000000000000"}]})",
        "map 'verdict_count': entry 0: key is 3 bytes, the map's keys are 4 bytes");
    bad(R"({"verdict_count":[{"key":"00000000","value":"00"}]})",
        "map 'verdict_count': entry 0: value is 1 byte, the map's values are 8 bytes");
    bad(R"({"nope":[]})", "unknown map 'nope' (maps: ");
    bad(R"({"verdict_count":[{"key":"0000000g","value":"0000000000000000"}]})", "bad hex '0000000g'");
    bad(R"({"verdict_count":[)", "not valid JSON");
    bad(R"({"percpu_packets":[{"key":"00000000","values":["0000000000000000","0000000000000000"]}]})",
        "per-CPU map has 1 CPU slots, \"values\" lists 2");
    bad(R"({"jump":[{"key":"00000000","prog":"missing"}]})", "map 'jump': entry 0: ");
    bad(R"({"jump":[{"key":"00000000","prog":"tc_ingress"}]})", "prog 'tc_ingress' (section 'tc'): not an XDP program");
    bad(R"({"ports":[{"key":"00000000","value":"01000000","ifindex":2}]})", "disagrees");
}

TEST_F(Replay, ProgMustNameAnXdpProgram) {
    expect_one_error(replay({verdicts_obj(), sample_pcap(), "--prog", "missing"}),
                     "no program or section 'missing'");
    expect_one_error(replay({verdicts_obj(), sample_pcap(), "--prog", "tc_ingress"}),
                     "prog 'tc_ingress' (section 'tc'): not an XDP program");
}

TEST_F(Replay, EngineAndCpusAreChecked) {
    expect_one_error(replay({verdicts_obj(), sample_pcap(), "--engine", "fast"}), "unknown engine 'fast'");
    expect_one_error(replay({verdicts_obj(), sample_pcap(), "--cpus", "0"}), "--cpus: must be from 1 to");
    for (const std::string engine : {"interp", "jit"}) {
        auto ok = replay({verdicts_obj(), sample_pcap(), "--engine", engine});
        EXPECT_EQ(ok.exit_code, 0) << ok.err;
        EXPECT_NE(ok.out.find("engine " + engine), std::string::npos) << ok.out;
    }
}
