#include "fuzz_check.h"

#include <cstdio>
#include <cstdlib>

namespace xdpdk::fuzz {

void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "xdpdk fuzz: %s: %s\n", what, detail.c_str());
    std::fflush(stderr);
    std::abort();
}

void check_one_line_error(const Error& e, size_t insn_limit) {
    std::string text = e.str();
    if (e.subject.empty() || e.reason.empty()) fail("error without subject or reason", text);
    // A verifier refusal may add the path it took as a second line (kept
    // apart so that the first line stays the error, as `prog verify` prints).
    if (const size_t path = text.find("\npath: "); path != std::string::npos) text.resize(path);
    if (text.find('\n') != std::string::npos || text.find('\r') != std::string::npos)
        fail("error spans lines", text);
    if (e.insn >= 0 && static_cast<size_t>(e.insn) >= insn_limit)
        fail("error names an instruction outside the program", text);
}

}  // namespace xdpdk::fuzz
