// A program's tag as the Linux kernel computes it (bpf_prog_calc_tag): the
// first 8 bytes of the digest (SHA-256 in Linux 6.18) of its instructions as
// the loader submits them, with the map references of lddw (fd or fd + value offset) zeroed,
// so `bpftool prog show` and `xdpdk prog show` name the same object alike.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "program.h"

namespace xdpdk::vm {

using ProgTag = std::array<uint8_t, 8>;

// `insns`: the linked program before verification (lddw slots hold map
// addresses); `origins`: which lddw refer to a map (BPF_PSEUDO_MAP_FD) or a
// map value (BPF_PSEUDO_MAP_VALUE), as libbpf would have encoded them.
ProgTag prog_tag(std::span<const RawInsn> insns, std::span<const LddwOrigin> origins);

// The tag as bpftool prints it: 16 lowercase hex digits.
std::string prog_tag_hex(const ProgTag& tag);

}  // namespace xdpdk::vm
