// `xdpdk run [EAL options] -- [options]` and `xdpdk run --config FILE`: the
// DPDK dataplane. CLI11 only routes the words after `run` here; EAL options
// go to rte_eal_init as they are and the application options to run_args.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "dp_run.h"
#include "run_args.h"
#include "run_config_toml.h"

namespace xdpdk::cli {
namespace {

int run_command(const std::vector<std::string>& words) {
    using namespace xdpdk::dataplane;
    auto line = split_run_command_line(words);
    if (!line) return fail(line.error().str());
    if (line->app_help) {
        std::fputs(run_options_help().c_str(), stdout);
        return 0;
    }
    RunConfig config;
    if (!line->config_path.empty()) {
        auto loaded = load_run_config_toml(line->config_path);
        if (!loaded) return fail(loaded.error().str());
        config = std::move(*loaded);
    } else {
        config.eal_args.push_back("xdpdk");
        config.eal_args.insert(config.eal_args.end(), line->eal_args.begin(), line->eal_args.end());
    }
    if (Status st = parse_run_options(line->app_args, config); !st) return fail(st.error().str());
    return run_dataplane(config);
}

}  // namespace

void add_run_command(CLI::App& app, int& exit_code) {
    CLI::App* cmd = app.add_subcommand(
        "run",
        "Run XDP programs on DPDK ports: xdpdk run [EAL options] -- [options], or xdpdk run --config FILE "
        "[-- options]; `xdpdk run -- --help` lists the options");
    // Every word after `run` belongs to EAL or to the application options.
    cmd->prefix_command();
    cmd->allow_extras();
    cmd->set_help_flag();
    cmd->callback([cmd, &exit_code] { exit_code = run_command(cmd->remaining()); });
}

}  // namespace xdpdk::cli
