// `xdpdk run` with an xdp.frags program on jumbo frames: net_pcap receives
// frames longer than one mbuf as segment chains, the program sees them as
// multi-buffer frames (dataplane/dp_frags.h), and what it sends must equal
// what `xdpdk replay` makes of the same capture. Trimmed frames release
// segments; the mempool must be whole again after the run.
//
// The first buffer ends at a different place in the two (a 3840-byte mbuf
// segment, BPF_PROG_TEST_RUN's 3520 bytes in replay), so the sample runs
// with stamp_linear_len=0, and frame sizes whose tailroom differs between
// the two layouts (3521..3840 bytes: one segment in DPDK, a frag in replay)
// are left out.
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/replay/pcap_io.h"
#include "test_support.h"

namespace xdpdk::test {
namespace {

using Bytes = std::vector<uint8_t>;
using nlohmann::json;

const std::vector<size_t> kSizes = {60, 1500, 3520, 5000, 9000};  // net_pcap's tx keeps at most 9728
constexpr uint8_t kModes = 8;

Bytes make_frame(size_t len, uint8_t mode) {
    Bytes b(len);
    for (size_t i = 0; i < len; ++i) b[i] = static_cast<uint8_t>(i * 7 + (i >> 8) * 13 + 1);
    b[12] = 0x88;
    b[13] = 0xb5;
    b[14] = mode;
    return b;
}

// Writes every size in every mode; returns the frame count.
size_t write_jumbo_pcap(const std::string& path) {
    auto w = cli::PcapWriter::open(path, DLT_EN10MB);
    if (!w) {
        ADD_FAILURE() << w.error().str();
        return 0;
    }
    size_t n = 0;
    for (size_t size : kSizes) {
        for (uint8_t mode = 0; mode < kModes; ++mode) {
            const Bytes f = make_frame(size, mode);
            w.value()->write({1, static_cast<int64_t>(n)}, static_cast<uint32_t>(f.size()), f);
            ++n;
        }
    }
    EXPECT_TRUE(w.value()->close().ok());
    return n;
}

std::vector<Bytes> read_pcap(const std::string& path) {
    std::vector<Bytes> out;
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), errbuf);
    if (!p) {
        ADD_FAILURE() << path << ": " << errbuf;
        return out;
    }
    pcap_pkthdr* h;
    const u_char* d;
    while (pcap_next_ex(p, &h, &d) == 1) {
        EXPECT_EQ(h->caplen, h->len) << path << " packet " << out.size() << " was cut";
        out.emplace_back(d, d + h->caplen);
    }
    pcap_close(p);
    return out;
}

TEST(DataplaneFrags, JumboFramesMatchReplay) {
    const std::string dir = temp_dir();
    const std::string in = dir + "/jumbo.pcap";
    const size_t frames = write_jumbo_pcap(in);
    ASSERT_EQ(frames, kSizes.size() * kModes);
    const std::string object = prog_path("frags_stamp");
    const std::vector<std::string> set = {"--set", "stamp_linear_len=0"};

    std::vector<std::string> replay = {xdpdk_binary(), "replay", object, in, "--prog", "frags_stamp", "--out",
                                       dir + "/replay"};
    replay.insert(replay.end(), set.begin(), set.end());
    const CommandResult r = run_command(replay);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::vector<Bytes> want = read_pcap(dir + "/replay/tx.pcap");
    ASSERT_FALSE(want.empty());

    const std::string tx = dir + "/tx0.pcap";
    std::vector<std::string> run = {xdpdk_binary(), "run", "--no-huge", "-m", "1024", "--no-pci",
                                    "--file-prefix=xdpdk-frags-" + std::to_string(getpid()), "-l", "0,1",
                                    "--log-level=error", "--vdev=net_pcap0,rx_pcap=" + in + ",tx_pcap=" + tx, "--",
                                    "--attach", "0=" + object + "@frags_stamp", "--packets", std::to_string(frames),
                                    "--json"};
    run.insert(run.end(), set.begin(), set.end());
    const CommandResult d = run_command(run);
    ASSERT_EQ(d.exit_code, 0) << d.err;
    const json summary = json::parse(d.out);

    const std::vector<Bytes> got = read_pcap(tx);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].size(), want[i].size()) << "tx packet " << i;
        EXPECT_TRUE(got[i] == want[i]) << "tx packet " << i << " (" << want[i].size() << " bytes) differs";
    }
    // Frames cut down to their Ethernet header cannot take the stamp: XDP_DROP.
    const json& actions = summary.at("ports").at(0).at("actions");
    EXPECT_EQ(actions.at("XDP_TX").at("packets"), want.size());
    EXPECT_EQ(actions.at("XDP_DROP").at("packets"), frames - want.size());
    EXPECT_EQ(actions.at("XDP_ABORTED").at("packets"), 0);
    // Released segments went back to the pool.
    for (const json& pool : summary.at("mempools")) EXPECT_EQ(pool.at("in_use"), 0) << pool.dump();
}

}  // namespace
}  // namespace xdpdk::test
