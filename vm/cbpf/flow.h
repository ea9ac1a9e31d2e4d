// Control-flow facts of a checked cBPF program that the translation uses:
// where each instruction goes and which instructions run at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "cbpf.h"

namespace xdpdk::vm::cbpf {

// The furthest byte a load reaches: the verifier's MAX_PACKET_OFF for a
// direct load, and bpf_xdp_load_bytes refuses offsets past it (the kernel's
// bpf_xdp_pointer). A load beyond it fails on every frame.
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

}  // namespace xdpdk::vm::cbpf
