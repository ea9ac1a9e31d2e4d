// The command line of `xdpdk run`:
//
//   xdpdk run [EAL options] -- [application options]
//   xdpdk run --config FILE [-- application options]
//
// EAL options go to rte_eal_init untouched; the application options after
// `--` fill a RunConfig (on top of what a config file gave). Nothing here
// touches DPDK.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "run_config.h"
#include "vm/error.h"

namespace xdpdk::cli {

struct RunCommandLine {
    std::string config_path;              // --config FILE, "" when not given
    std::vector<std::string> eal_args;    // before `--` (argv[0] not included)
    std::vector<std::string> app_args;    // after `--`
    bool app_help = false;                // `-- --help`: print the application options
};

// `args` are the words after `run`.
Result<RunCommandLine> split_run_command_line(const std::vector<std::string>& args);

// Parses application options into `config`; list options (--attach, --pass,
// --set, --ifindex) add to what `config` holds.
Status parse_run_options(const std::vector<std::string>& app_args, RunConfig& config);

// The application options with their descriptions.
std::string run_options_help();

// One option value each: "PORT=PROG.o[@NAME]", "PORT=tap[:IFNAME]|port:N|drop",
// "PORT=IFINDEX".
Result<AttachSpec> parse_attach_spec(std::string_view text);
Result<PassSpec> parse_pass_spec(std::string_view text);
Result<IfindexSpec> parse_ifindex_spec(std::string_view text);
// "MAP[SLOT]=port:N".
Result<XskSpec> parse_xsk_spec(std::string_view text);

// Checks that need no ports: a port attached twice, two pass rules or two
// ifindexes for one port, one ifindex given to two ports, zero-sized bursts
// or queues, negative times. Whatever filled the config, run calls this first.
Status validate_run_config(const RunConfig& config);

// What the attached filters cannot take, as a usage error (exit 2):
// --filter-action without a filter attached, or --set, --map-size or
// --maps-in when only filters are attached (they have no globals or maps).
Status check_filter_usage(const RunConfig& config);

}  // namespace xdpdk::cli
