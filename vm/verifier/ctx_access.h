// Which xdp_md fields a program may read, and what a read yields: the packet
// pointers for data/data_meta/data_end, a 32-bit scalar for the others. The
// context is read only, as in the kernel; egress_ifindex is readable only by
// devmap programs there, so it is refused here too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "reg_state.h"

namespace xdpdk::vm::verifier {

struct CtxRead {
    RegType type;  // Packet, PacketMeta, PacketEnd or Scalar
};

// The result of reading `size` bytes at `off`, or the reason it is refused.
std::optional<CtxRead> xdp_ctx_read(int64_t off, unsigned size, std::string* why);

}  // namespace xdpdk::vm::verifier
