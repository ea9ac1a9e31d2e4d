// ISA test cases as data (uBPF / kernel-selftest style), one per file in
// tests/isa/*.data, shared by every engine's test:
//
//   # comment lines before the first section
//   -- asm
//   r0 = 1            (vm/assembler.h syntax)
//   exit
//   -- mem            (optional) hex bytes; r1 points to a writable copy,
//   00 01 02 03       r2 holds the length; without it r1 = 0, r2 = 0
//   -- result
//   0x1               expected r0: decimal, 0x hex, or negative decimal
//   -- error          instead of result: a substring of the load error, or of
//   jump out of range the fault that stopped the run
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vm/error.h"
#include "vm/opcodes.h"

namespace xdpdk::test {

struct IsaCase {
    std::string name;  // file name without .data
    std::vector<vm::RawInsn> program;
    std::optional<std::vector<uint8_t>> mem;
    std::optional<uint64_t> result;
    std::optional<std::string> error;
};

// Parses and assembles one case; errors name the case and the problem.
Result<IsaCase> parse_isa_case(std::string name, std::string_view text);
Result<IsaCase> load_isa_case(const std::string& path);

// The .data files under `dir`, sorted by name.
std::vector<std::string> list_isa_files(const std::string& dir);

}  // namespace xdpdk::test
