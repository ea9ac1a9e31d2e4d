// Each `xdpdk` subcommand registers its options on the CLI11 app and, when
// chosen, runs and stores its exit code.
#pragma once

#include <CLI/CLI.hpp>

namespace xdpdk::cli {

void add_exec_command(CLI::App& app, int& exit_code);
void add_replay_command(CLI::App& app, int& exit_code);
void add_prog_command(CLI::App& app, int& exit_code);
void add_bench_command(CLI::App& app, int& exit_code);
void add_run_command(CLI::App& app, int& exit_code);  // built with DPDK only
void add_ctl_command(CLI::App& app, int& exit_code);
// `xdpdk ctl WORDS...`: main() calls it directly with the words after `ctl`.
int ctl_command_main(const std::vector<std::string>& words);
// `xdpdk run WORDS...`: main() calls it directly with the words after `run`.
int run_command_main(const std::vector<std::string>& words);

// Prints "xdpdk: <message>" on stderr and returns the failure exit code.
int fail(const std::string& message);

}  // namespace xdpdk::cli
