// Control-flow facts of a checked cBPF program that the translation uses:
// where each instruction goes, which instructions run at all, and the frame
// length every path into an instruction has already proven.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cbpf.h"

namespace xdpdk::vm::cbpf {

// No XDP frame is longer: DPDK's data_len is 16 bits and the kernel's XDP
// buffer is one page. Bounding offsets by it keeps every packet pointer
// within the verifier's MAX_PACKET_OFF without changing any verdict.
constexpr uint32_t kMaxFrameLen = 0xffff;

bool is_packet_load(const Insn& in);

// A packet load that no frame can satisfy (its offset is past the longest
// frame): the filter returns 0 there, as both Linux and libpcap do.
bool always_out_of_bounds(const Insn& in);

// The instructions control reaches after `pc`: none after a ret or a load
// no frame satisfies, the targets of a jump, else the next one.
struct Successors {
    size_t count = 0;
    size_t pc[2] = {0, 0};
};
Successors successors(std::span<const Insn> filter, size_t pc);

// Instructions some path from the first one reaches.
std::vector<bool> reachable(std::span<const Insn> filter);

// The frame length every path into each instruction has proven by an
// absolute load that succeeded (0 for unreached ones). A later load within
// it needs no bounds check of its own: the verifier knows the range of
// `data` from the earlier check on each path. (An indexed load's check is on
// a pointer of its own, so it proves nothing about `data`.)
std::vector<uint32_t> proven_lengths(std::span<const Insn> filter, const std::vector<bool>& live);

}  // namespace xdpdk::vm::cbpf
