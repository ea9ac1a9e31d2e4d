// Verifier cases as data, one per file in tests/verifier/*.data (kernel
// selftest style: instructions, verdict, expected reason):
//
//   # what the program does wrong, and why that is unsafe
//   -- maps                 (optional) one map per line:
//   counts array 4 8 1      name type key_size value_size max_entries [flags]
//   outer array_of_maps 4 4 2 0 inner=counts   a map of maps: its inner template
//   -- type                 (optional) xdp (the default), or raw N: r1 points
//   raw 16                  to N bytes, r2 = N (RFC 9669 semantics)
//   -- asm                  vm/assembler.h syntax; map[counts] and
//   r1 = map[counts] ll     map_value[counts+8] stand for the lddw of a map
//   exit                    or of a pointer into its value
//   -- error                expected refusal under the unprivileged rules
//   insn 1: R0 !read_ok     (--strict): "insn N: reason substring", or just
//                           the substring
//   -- accept               instead of -- error: the program is safe
//   -- privileged           (optional) the default, privileged rules' verdict
//   accept                  when it differs: accept, or an error line as above
//   -- kernel               (optional) where Linux as root disagrees with the
//   accepts: xdpdk lacks..  privileged verdict, and why
//   -- unprivileged         (optional) where Linux without CAP_PERFMON
//   refuses: ...            disagrees with the strict verdict, and why
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
    int inner = -1;  // maps of maps: index of the template among the case's maps
};

// An lddw that refers to a map: insn index, which map, value offset.
struct CaseMapRef {
    uint32_t insn;
    size_t map;
    bool value;
    uint32_t offset;
};

// One mode's expected verdict.
struct CaseExpect {
    bool accept = false;
    std::optional<int64_t> error_insn;
    std::string error;  // reason substring when refused
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
    // The privileged (default) rules' verdict: `-- privileged`, else the above.
    CaseExpect privileged;
    // "accepts" / "refuses" when the kernel's verdict (root) differs from
    // our privileged one.
    std::string kernel_verdict;
    std::string kernel_reason;
    // The same for Linux without CAP_PERFMON against our strict verdict.
    std::string unpriv_verdict;
    std::string unpriv_reason;

    CaseExpect strict_expect() const { return CaseExpect{accept, error_insn, error}; }
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
// strict: the unprivileged loader's rules (VerifyEnv::strict).
CaseVerdict run_verifier_case(const VerifierCase& c, bool strict);

}  // namespace xdpdk::test
