// Where a program comes from: a BPF ELF object file, or a tcpdump filter (an
// expression libpcap compiles, or `tcpdump -ddd` text in a file) translated
// to eBPF and wrapped in an in-memory object. Every command and the runtime
// open their program through open_program_source, so a filter is taken
// wherever an object file is.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vm/cbpf/cbpf.h"
#include "vm/error.h"
#include "vm/object.h"

namespace xdpdk::loader {

// The function a filter object holds; what `prog show` and summaries name.
inline constexpr const char* kFilterProgramName = "filter";
// DLT_EN10MB: what an XDP program sees, and so what a filter is compiled for
// unless the frames come from a capture of another link type.
inline constexpr int kEthernetLinktype = 1;

struct FilterSource {
    // Explicit, so that an empty expression (tcpdump's "every packet") is
    // never mistaken for a missing -ddd path.
    enum class Kind { expression, ddd_file };
    Kind kind = Kind::expression;
    std::string expression;  // Kind::expression: tcpdump syntax ("" matches every packet)
    std::string ddd_path;    // Kind::ddd_file: a file of `tcpdump -ddd` output, never empty
    vm::cbpf::Verdicts verdicts;
    int linktype = kEthernetLinktype;
};

struct ProgramSource {
    std::string object_path;            // a clang-built object; or
    std::optional<FilterSource> filter;

    // The object as users see it named: the path, or filter:'EXPR' /
    // filter-ddd:'FILE'.
    std::string label() const;
};

// The object, opened (not loaded) with `options`.
Result<std::unique_ptr<vm::Object>> open_program_source(const ProgramSource& source,
                                                        const vm::ObjectOptions& options);

// The ELF bytes of the source, for loaders that take an image (libbpf's
// bpf_object__open_mem for the kernel engine).
Result<std::vector<uint8_t>> program_source_elf(const ProgramSource& source);

// "pass", "drop", "tx", "aborted" (or XDP_PASS, ...; any case): the XDP
// action a filter's result maps to.
Result<uint32_t> parse_filter_verdict(std::string_view name, const std::string& subject);
// --filter-action MATCH[,NOMATCH]; NOMATCH defaults to drop.
Result<vm::cbpf::Verdicts> parse_filter_action(std::string_view text);
// The inverse, for messages and the run configuration: "pass,drop".
std::string filter_action_text(const vm::cbpf::Verdicts& verdicts);

// The words that name a filter where an object path is expected (run's
// --attach PORT=filter:EXPR, ctl prog swap PORT filter:EXPR): "filter:EXPR"
// or "filter-ddd:FILE". nullopt for anything else (an object path); an
// error about `subject` for filter-ddd: with no file. One level of quotes
// around EXPR or FILE is removed.
Result<std::optional<FilterSource>> filter_from_word(std::string_view word, const std::string& subject);
// FILE of a "filter-ddd:FILE" word without its quotes; nullopt for other words.
std::optional<std::string> ddd_path_of_word(std::string_view word);
inline constexpr std::string_view kFilterPrefix = "filter:";
inline constexpr std::string_view kFilterDddPrefix = "filter-ddd:";

}  // namespace xdpdk::loader
