// Where replay's time goes: the `xdpdk replay` command on a large capture,
// next to reading the same capture with libpcap alone and to the replay loop
// (read, frame, interpreter) in this process.
#pragma once

#include <cstdint>
#include <string>

#include "vm/error.h"

namespace xdpdk::bench {

// Writes an IMIX capture (7:4:1 of 64-, 594- and 1514-byte frames, IPv4 and
// IPv6, TCP and UDP) of `packets` frames at `path`, unless a file of exactly
// that size is already there.
Status ensure_imix_capture(const std::string& path, uint64_t packets);

// "pcap_read/<packets>" (libpcap alone), "read_frames/<packets>" (plus a
// PacketFrame per packet), "replay_loop/<prog>/<packets>" (plus the
// interpreter), "replay_cmd/<prog>/<packets>" (the xdpdk replay process):
// wall time per pass over the capture.
void register_replay_benchmarks(const std::string& pcap_path, uint64_t packets, const std::string& sample);

}  // namespace xdpdk::bench
