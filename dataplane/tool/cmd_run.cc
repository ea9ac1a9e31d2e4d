// `xdpdk run [EAL options] -- [options]` and `xdpdk run --config FILE`: the
// DPDK dataplane. main() passes the words after `run` here untouched (CLI11
// would take `--` and EAL's options for its own); EAL options go to
// rte_eal_init as they are and the application options to run_args.
#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "filter_args.h"
#include "run_dataplane.h"
#include "run_args.h"
#include "run_config_toml.h"

namespace xdpdk::cli {
namespace {

constexpr const char* kRunDescription =
    "Run XDP programs on DPDK ports: xdpdk run [EAL options] -- [options], or xdpdk run --config FILE "
    "[-- options]";

void print_run_help() {
    std::printf("%s\n\n"
                "EAL options: as for any DPDK application, e.g. -l 0,1 (main lcore, then one worker per lcore)\n"
                "  --vdev=net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap  --no-huge -m 1024 --no-pci\n"
                "  (`xdpdk run --no-pci --help` prints EAL's own list)\n\n%s",
                kRunDescription, run_options_help().c_str());
}

}  // namespace

int run_command_main(const std::vector<std::string>& words) {
    if (words.empty() || words[0] == "--help" || words[0] == "-h") {
        print_run_help();
        return words.empty() ? 1 : 0;
    }
    auto line = split_run_command_line(words);
    if (!line) return usage_fail(line.error().str());
    if (line->app_help) {
        print_run_help();
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
    if (Status st = parse_run_options(line->app_args, config); !st) return usage_fail(st.error().str());
    if (Status st = check_filter_usage(config); !st) return usage_fail(st.error().str());
    return run_dataplane(config);
}

// Listed with the other commands for `xdpdk --help`; main() dispatches `run`
// before CLI11 parses anything.
void add_run_command(CLI::App& app, int& exit_code) {
    CLI::App* cmd = app.add_subcommand("run", std::string(kRunDescription) + "; `xdpdk run --help` lists the options");
    cmd->prefix_command();
    cmd->allow_extras();
    cmd->callback([cmd, &exit_code] { exit_code = run_command_main(cmd->remaining()); });
}

}  // namespace xdpdk::cli
