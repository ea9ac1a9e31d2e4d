// Checks shared by the libFuzzer targets in fuzz/. A target stops the run
// (abort, which libFuzzer reports as a crash and saves the input) when the
// code under test misbehaves without crashing: an error that is not one clear
// line, or two engines that disagree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "vm/error.h"

namespace xdpdk::fuzz {

[[noreturn]] void fail(const char* what, const std::string& detail);

// An Error as users see it: a subject and a reason, one line when printed,
// and an instruction index (if any) below `insn_limit`.
void check_one_line_error(const Error& e, size_t insn_limit = SIZE_MAX);

}  // namespace xdpdk::fuzz
