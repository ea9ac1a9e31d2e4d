// The classic BPF rules a filter must meet before translation, as Linux's
// bpf_check_classic states them.
#pragma once

#include <span>
#include <string>

#include "cbpf.h"

namespace xdpdk::vm::cbpf {

// Length 1..4096; every opcode one Linux allows; jumps forward and inside the
// program; M[] indexes below 16 and no M[k] read before every path to it
// has written it; no division or modulo by the constant 0, no shift by a
// constant of 32 or more; ancillary loads known; the last instruction a
// RET. Errors name `subject` and the cBPF instruction index.
Status check_classic(std::span<const Insn> filter, const std::string& subject);

}  // namespace xdpdk::vm::cbpf
