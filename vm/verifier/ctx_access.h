// Which xdp_md fields a program may read, and what a read yields: the packet
// pointers for data/data_meta/data_end, a 32-bit scalar for the others. The
// context is read only, as in the kernel; egress_ifindex is readable only by
// devmap programs (attach type xdp/devmap) there, and here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "../prog_sections.h"
#include "reg_state.h"

namespace xdpdk::vm::verifier {

struct CtxRead {
    RegType type;  // Packet, PacketMeta, PacketEnd or Scalar
};

// The result of reading `size` bytes at `off`, or the reason it is refused.
std::optional<CtxRead> xdp_ctx_read(int64_t off, unsigned size, XdpAttach attach, std::string* why);

}  // namespace xdpdk::vm::verifier
