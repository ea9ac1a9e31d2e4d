#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "error.h"
#include "opcodes.h"

namespace xdpdk::vm {

// Rewrites the loads from the program's xdp_md context to the runtime's
// XdpBuff layout (the 32-bit data/data_end/data_meta fields become 64-bit
// pointer loads), as the kernel's convert_ctx_access does. Which loads read
// the context is what the verifier learned (VerifierInfo::ctx_loads); it has
// already refused writes to the context, bad offsets and sizes, and loads
// that read the context on one path and other memory on another.
Status rewrite_xdp_ctx(const std::string& subject, std::vector<RawInsn>& insns, std::span<const uint32_t> ctx_loads);

}  // namespace xdpdk::vm
