// --filter 'EXPR', --filter-ddd FILE and --filter-action MATCH[,NOMATCH]: a
// tcpdump filter in place of PROG.o on the commands that take an object
// (replay, bench, prog dump/show/verify). One definition, so that they read
// them alike and refuse the same mixtures.
#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "dataplane/loader/program_source.h"
#include "load_args.h"

namespace xdpdk::cli {

struct FilterArgs {
    std::optional<std::string> expression;  // --filter ('' is tcpdump's: every packet matches)
    std::string ddd_path;                   // --filter-ddd
    std::string action;                     // --filter-action; "" = pass,drop

    bool given() const { return expression.has_value() || !ddd_path.empty(); }
};

void add_filter_options(CLI::App& cmd, FilterArgs& args);

// What a command that takes an object needs beyond it, to refuse with a
// filter (a filter object has no globals, maps or other programs).
struct ObjectOnlyOptions {
    const LoadArgs* load = nullptr;
    const std::string* maps_in = nullptr;
    const std::string* prog = nullptr;
};

// PROG.o or the filter; every error is a usage error (print with
// usage_fail): both or neither given, --filter-action without a filter, an
// option that needs an object, a verdict that does not exist.
Result<loader::ProgramSource> choose_program_source(const std::string& object_path, const FilterArgs& filter,
                                                    const ObjectOnlyOptions& object_only);

// "xdpdk: <message>" on stderr; returns 2, the exit code of bad usage.
int usage_fail(const std::string& message);

}  // namespace xdpdk::cli
