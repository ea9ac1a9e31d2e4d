// The files a replay writes: pass/tx/redirect pcaps under --out, the --jsonl
// records, the --events records and the --maps-out dump. All are staged under temporary names and
// appear only when commit() succeeds; otherwise they are removed, and an --out
// directory this run created is removed again if it stays empty.
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "pcap_io.h"
#include "replay_report.h"
#include "replay_staged_file.h"
#include "vm/error.h"
#include "vm/exec_context.h"
#include "vm/object.h"

namespace xdpdk::cli {

// "-", /dev/stdout and /dev/stderr for --jsonl, --events and --maps-out write to this
// process's own stream, so they interleave correctly with the summary.
struct ReplayOutputPaths {
    std::string out_dir;    // empty: no pcaps
    std::string jsonl;      // empty: no records
    std::string maps_out;   // empty: no dump
    std::string events;     // empty: event map records are left in their rings
};

class ReplayOutputs {
public:
    // Creates every staged file (and the --out directory if missing).
    static Result<std::unique_ptr<ReplayOutputs>> open(const ReplayOutputPaths& paths, int linktype);
    ~ReplayOutputs();
    ReplayOutputs(const ReplayOutputs&) = delete;
    ReplayOutputs& operator=(const ReplayOutputs&) = delete;

    // One input packet after the program ran. `orig_len` is the new length on
    // the wire (what the capture did not hold is kept beyond the bytes).
    // With a cpumap hop the frame goes where the cpumap program sent it
    // (pass.pcap for XDP_PASS, redirect.pcap, or nowhere).
    void packet(uint64_t index, const PcapPacket& in, uint64_t retval, std::span<const uint8_t> data,
                std::span<const uint8_t> meta, const vm::ExecContext& ex, const CpumapHop* hop = nullptr);
    // Takes the records the program left in the object's event maps (ring
    // buffers, perf event arrays) and writes them to --events, tagged with
    // the input packet that produced them.
    void events(uint64_t index, const vm::Object& obj);
    // A frame that was not run (the jsonl record says why).
    void not_run(uint64_t index, const PcapPacket& in, const std::string& reason);

    // Writes the maps dump, closes everything and renames it into place.
    Status commit(const vm::Object& obj);

private:
    ReplayOutputs() = default;
    struct Pcap {
        StagedFile file;
        std::unique_ptr<PcapWriter> writer;
    };
    ReplayOutputPaths paths_;
    bool created_dir_ = false;
    bool committed_ = false;
    std::optional<Pcap> pass_, tx_, redirect_;
    std::optional<StagedFile> jsonl_file_;
    FILE* jsonl_ = nullptr;  // owned unless it is stdout/stderr
    bool jsonl_owned_ = false;
    std::optional<StagedFile> events_file_;
    FILE* events_ = nullptr;  // owned unless it is stdout/stderr
    bool events_owned_ = false;
    std::optional<StagedFile> maps_file_;
    FILE* maps_stream_ = nullptr;  // stdout/stderr
};

}  // namespace xdpdk::cli
