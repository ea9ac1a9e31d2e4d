// The options every command that loads an object takes, applied as a libbpf
// skeleton applies them before load: --set (global variables), --map-size
// (max_entries), --strict (the unprivileged loader's verifier rules) and
// --btf (the target BTF of CO-RE relocations, as libbpf's btf_custom_path).
// One definition, so that replay, bench, prog and run read them alike.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "vm/error.h"
#include "vm/object.h"

namespace xdpdk::cli {

struct LoadArgs {
    std::vector<std::string> sets;       // NAME=VALUE
    std::vector<std::string> map_sizes;  // NAME=N
    bool strict = false;
    std::string btf;  // "": the object's own BTF
};

void add_load_options(CLI::App& cmd, LoadArgs& args);

// The map sizes, verifier rules and target BTF into `options` (--set is applied to the
// opened object: apply_global_assignments).
Status apply_load_args(const LoadArgs& args, vm::ObjectOptions& options);

}  // namespace xdpdk::cli
