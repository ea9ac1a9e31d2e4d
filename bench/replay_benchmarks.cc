#include "replay_benchmarks.h"

#include <benchmark/benchmark.h>
#include <pcap/pcap.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <chrono>
#include <vector>

#include "dataplane/replay/pcap_io.h"
#include "tests/test_support.h"
#include "tests/tools/packet_builder.h"
#include "vm/engine.h"
#include "vm/object.h"
#include "vm/packet.h"

namespace xdpdk::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kPasses = 3;

std::vector<std::vector<uint8_t>> imix_frames() {
    std::vector<std::vector<uint8_t>> frames;
    const size_t sizes[] = {64, 64, 64, 594, 64, 594, 64, 1514, 64, 594, 64, 594};  // 7:4:1
    for (size_t i = 0; i < std::size(sizes); ++i) {
        test::PacketSpec s;
        s.src4 = test::ipv4("192.168.0.1") + static_cast<uint32_t>(i);
        s.dst4 = test::ipv4("10.0.0.1") + static_cast<uint32_t>(i % 4);
        s.l4 = i % 3 == 0 ? 17 : 6;
        s.sport = static_cast<uint16_t>(40000 + i);
        s.dport = i % 2 ? 443 : 80;
        if (i % 4 == 3) {
            s.l3 = test::L3::Ipv6;
            s.src6 = test::ipv6("2001:db8::1");
            s.dst6 = test::ipv6("2001:db8::2");
        }
        s.frame_len = sizes[i];
        frames.push_back(test::build_packet(s));
    }
    return frames;
}

uint64_t file_size(const std::string& path) {
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

void finish(benchmark::State& state, uint64_t packets, const std::string& path) {
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * packets));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * file_size(path)));
}

void run_pcap_read(benchmark::State& state, const std::string& path, uint64_t packets) {
    for (auto _ : state) {
        const auto start = Clock::now();
        char errbuf[PCAP_ERRBUF_SIZE] = {};
        pcap_t* pcap = pcap_open_offline(path.c_str(), errbuf);
        if (pcap == nullptr) {
            state.SkipWithError(errbuf);
            return;
        }
        pcap_pkthdr* header;
        const u_char* data;
        uint64_t n = 0, touched = 0;
        while (pcap_next_ex(pcap, &header, &data) == 1) {
            touched += data[0] + header->caplen;
            ++n;
        }
        pcap_close(pcap);
        benchmark::DoNotOptimize(touched);
        state.SetIterationTime(seconds_since(start));
        if (n != packets) {
            state.SkipWithError("capture has the wrong number of packets");
            return;
        }
    }
    finish(state, packets, path);
}

// Times passes over the capture as replay reads it: each packet's frame is
// built and handed to per_frame, whose results are summed. False (the
// benchmark skipped) when the capture cannot be read or is short.
template <typename PerFrame>
bool time_frame_passes(benchmark::State& state, const std::string& path, uint64_t packets, PerFrame&& per_frame) {
    for (auto _ : state) {
        const auto start = Clock::now();
        auto reader = cli::PcapReader::open(path);
        if (!reader) {
            state.SkipWithError(reader.error().str().c_str());
            return false;
        }
        uint64_t sum = 0;
        for (;;) {
            auto next = reader.value()->next();
            if (!next || !next.value()) break;
            vm::PacketFrame frame(next.value()->bytes);
            sum += per_frame(frame);
        }
        benchmark::DoNotOptimize(sum);
        state.SetIterationTime(seconds_since(start));
        if (reader.value()->packets_read() != packets) {
            state.SkipWithError("capture has the wrong number of packets");
            return false;
        }
    }
    return true;
}

// Reading plus building each packet's frame as replay does, without running
// a program: separates the interpreter's share of replay_loop.
void run_read_frames(benchmark::State& state, const std::string& path, uint64_t packets) {
    const bool done = time_frame_passes(state, path, packets, [](vm::PacketFrame& frame) -> uint64_t {
        benchmark::DoNotOptimize(frame.xdp().data);
        return frame.data().size();
    });
    if (done) finish(state, packets, path);
}

void run_replay_loop(benchmark::State& state, const std::string& path, uint64_t packets, const std::string& sample) {
    auto obj = vm::Object::open(test::prog_path(sample));
    if (!obj || !obj.value()->load().ok()) {
        state.SkipWithError(("cannot load " + test::prog_path(sample)).c_str());
        return;
    }
    auto prog = obj.value()->default_xdp_program();
    if (!prog) {
        state.SkipWithError(prog.error().str().c_str());
        return;
    }
    vm::ExecContext ex;
    const bool done = time_frame_passes(state, path, packets, [&](vm::PacketFrame& frame) -> uint64_t {
        return vm::run_xdp(*prog.value(), frame.xdp(), ex);
    });
    if (done) finish(state, packets, path);
}

double children_cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_CHILDREN, &ru);
    auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6; };
    return secs(ru.ru_utime) + secs(ru.ru_stime);
}

void run_replay_cmd(benchmark::State& state, const std::string& path, uint64_t packets, const std::string& sample) {
    const std::string expect = std::to_string(packets) + " packets";
    // The child's CPU time, since the CPU column only covers this process.
    const double cpu_before = children_cpu_seconds();
    for (auto _ : state) {
        const auto start = Clock::now();
        auto r = test::run_command({test::xdpdk_binary(), "replay", test::prog_path(sample), path});
        state.SetIterationTime(seconds_since(start));
        if (r.exit_code != 0 || r.out.find(expect) == std::string::npos) {
            state.SkipWithError(("xdpdk replay failed: " + r.err + r.out).c_str());
            return;
        }
    }
    state.counters["replay_cpu_ms"] = (children_cpu_seconds() - cpu_before) * 1e3 / static_cast<double>(state.iterations());
    finish(state, packets, path);
}

}  // namespace

Status ensure_imix_capture(const std::string& path, uint64_t packets) {
    const auto frames = imix_frames();
    uint64_t expected = 24;  // pcap file header
    for (uint64_t i = 0; i < packets; ++i) expected += 16 + frames[i % frames.size()].size();
    if (file_size(path) == expected) return {};
    XDPDK_ASSIGN_OR_RETURN(auto writer, cli::PcapWriter::open(path, DLT_EN10MB));
    for (uint64_t i = 0; i < packets; ++i) {
        const auto& f = frames[i % frames.size()];
        writer->write({static_cast<int64_t>(i / 1'000'000), static_cast<int64_t>(i % 1'000'000)},
                      static_cast<uint32_t>(f.size()), f);
    }
    return writer->close();
}

void register_replay_benchmarks(const std::string& pcap_path, uint64_t packets, const std::string& sample) {
    const std::string count = std::to_string(packets);
    benchmark::RegisterBenchmark(("pcap_read/" + count).c_str(),
                                 [pcap_path, packets](benchmark::State& st) { run_pcap_read(st, pcap_path, packets); })
        ->UseManualTime()
        ->Iterations(kPasses)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("read_frames/" + count).c_str(),
                                 [pcap_path, packets](benchmark::State& st) { run_read_frames(st, pcap_path, packets); })
        ->UseManualTime()
        ->Iterations(kPasses)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("replay_loop/" + sample + "/" + count).c_str(),
                                 [pcap_path, packets, sample](benchmark::State& st) {
                                     run_replay_loop(st, pcap_path, packets, sample);
                                 })
        ->UseManualTime()
        ->Iterations(kPasses)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("replay_cmd/" + sample + "/" + count).c_str(),
                                 [pcap_path, packets, sample](benchmark::State& st) {
                                     run_replay_cmd(st, pcap_path, packets, sample);
                                 })
        ->UseManualTime()
        ->Iterations(kPasses)
        ->Unit(benchmark::kMillisecond);
}

}  // namespace xdpdk::bench
