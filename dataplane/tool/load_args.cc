#include "load_args.h"

#include "dataplane/loader/map_size_option.h"

namespace xdpdk::cli {

void add_load_options(CLI::App& cmd, LoadArgs& args) {
    cmd.add_option("--set", args.sets, "NAME=VALUE: set a global variable before load (integer or hex:BYTES)")
        ->allow_extra_args(false);
    cmd.add_option("--map-size", args.map_sizes, "NAME=N: a map's max_entries, set before load")
        ->allow_extra_args(false);
    cmd.add_flag("--strict", args.strict, "the unprivileged loader's verifier rules (default: root's, as Linux loads XDP)");
    cmd.add_option("--btf", args.btf,
                   "FILE: the BTF CO-RE relocations are resolved against: raw BTF (/sys/kernel/btf/vmlinux, or "
                   "'vmlinux') or an ELF file with .BTF (default: the object's own BTF)");
}

Status apply_load_args(const LoadArgs& args, vm::ObjectOptions& options) {
    XDPDK_ASSIGN_OR_RETURN(options.map_sizes, loader::parse_map_sizes(args.map_sizes));
    options.strict_verifier = args.strict;
    options.target_btf = args.btf;
    return {};
}

}  // namespace xdpdk::cli
