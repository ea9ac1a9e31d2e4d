#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace xdpdk::vm {

// Formats a bpf_printk format string the way the kernel's bpf_bprintf_prepare
// + bstr_printf do: %d %i %u %x %X with optional l/ll, flags [0+- ] and a
// width, %c, %s, %p/%px/%pK, %pI4/%pi4, %%. nullopt where the kernel returns
// -EINVAL (unsupported specifier, more than `max_args` arguments, format not
// NUL-terminated within fmt_size).
std::optional<std::string> format_bpf_printk(const char* fmt, size_t fmt_size, const uint64_t* args,
                                             int max_args);

// A trace_pipe style line: "  comm-pid  [cpu] ..... secs.usecs: bpf_trace_printk: msg".
std::string trace_pipe_line(uint32_t cpu, const std::string& msg);

}  // namespace xdpdk::vm
