// Bytes as hex text: the form runtime-neutral eBPF conformance suites use to
// hand a runtime its program and memory ("b7 00 00 00 2a 00 00 00 95 ...").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "error.h"
#include "opcodes.h"

namespace xdpdk::vm {

// Two hex digits per byte, bytes separated by whitespace or run together, each
// byte optionally written with a 0x prefix.
Result<std::vector<uint8_t>> parse_hex_bytes(std::string_view text);

// The same text read as instructions; the byte count must be a multiple of 8.
Result<std::vector<RawInsn>> parse_hex_program(std::string_view text);

// "b7 00 00 00 ..." (lowercase, one space between bytes).
std::string to_hex_bytes(std::span<const uint8_t> bytes);
std::string to_hex_program(std::span<const RawInsn> insns);

}  // namespace xdpdk::vm
