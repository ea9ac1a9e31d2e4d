#pragma once

#include <string>
#include <vector>

#include "error.h"
#include "opcodes.h"

namespace xdpdk::vm {

// Rewrites every load from the program's xdp_md context to the runtime's
// XdpBuff layout (the 32-bit data/data_end/data_meta fields become 64-bit
// pointer loads), as the kernel's convert_ctx_access does. Which registers and
// stack slots hold the context is found by a small forward data-flow pass
// (the verifier issue will supersede it). Refuses writes to the context,
// arithmetic on it, invalid offsets or sizes, and loads whose base is the
// context on one path and something else on another.
Status rewrite_xdp_ctx(const std::string& subject, std::vector<RawInsn>& insns);

}  // namespace xdpdk::vm
