// Verifier cases as data, one per file in tests/verifier/*.data (kernel
// selftest style: instructions, verdict, expected reason):
//
//   # what the program does wrong, and why that is unsafe
//   -- maps                 (optional) one map per line:
//   counts array 4 8 1      name type key_size value_size max_entries [flags]
//   -- type                 (optional) xdp (the default), or raw N: r1 points
//   raw 16                  to N bytes, r2 = N (RFC 9669 semantics)
//   -- asm                  vm/assembler.h syntax; map[counts] and
//   r1 = map[counts] ll     map_value[counts+8] stand for the lddw of a map
//   exit                    or of a pointer into its value
//   -- error                expected refusal: "insn N: reason substring", or
//   insn 1: R0 !read_ok     just the substring
//   -- accept               instead of -- error: the program is safe
//   -- kernel               (optional) where Linux disagrees, and why:
//   accepts: privileged loaders may leak pointers into maps
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vm/error.h"
#include "vm/map.h"
#include "vm/opcodes.h"

namespace xdpdk::test {

struct CaseMap {
    vm::MapSpec spec;
};

// An lddw that refers to a map: insn index, which map, value offset.
struct CaseMapRef {
    uint32_t insn;
    size_t map;
    bool value;
    uint32_t offset;
};

struct VerifierCase {
    std::string name;  // file name without .data
    std::vector<CaseMap> maps;
    std::vector<CaseMapRef> map_refs;
    std::vector<vm::RawInsn> program;  // map lddws hold placeholders
    bool raw = false;
    uint64_t raw_mem_size = 0;
    bool accept = false;
    std::optional<int64_t> error_insn;
    std::string error;  // reason substring when refused
    // "accepts" / "refuses" when the kernel's verdict differs from ours.
    std::string kernel_verdict;
    std::string kernel_reason;
};

Result<VerifierCase> parse_verifier_case(std::string name, std::string_view text);
Result<VerifierCase> load_verifier_case(const std::string& path);
std::vector<std::string> list_verifier_cases(const std::string& dir);

// Builds the maps, relocates the program onto them and runs the decoder and
// the verifier, as a load would. The error, if refused.
struct CaseVerdict {
    bool accepted = false;
    Error error;
};
CaseVerdict run_verifier_case(const VerifierCase& c);

}  // namespace xdpdk::test
