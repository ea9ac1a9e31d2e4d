#include <cstdio>

#include "commands.h"

namespace xdpdk::cli {
int fail(const std::string& message) {
    std::fprintf(stderr, "xdpdk: %s\n", message.c_str());
    return 1;
}
}  // namespace xdpdk::cli

int main(int argc, char** argv) {
#ifdef XDPDK_HAVE_DPDK
    // `run` hands EAL options and `--` on untouched, which CLI11 would not.
    if (argc >= 2 && std::string(argv[1]) == "run")
        return xdpdk::cli::run_command_main(std::vector<std::string>(argv + 2, argv + argc));
#endif
    // `ctl` hands bpftool-style words (`key hex 0a ...`) to the server as typed.
    if (argc >= 2 && std::string(argv[1]) == "ctl")
        return xdpdk::cli::ctl_command_main(std::vector<std::string>(argv + 2, argv + argc));
    CLI::App app{"xdpdk: run unmodified XDP programs in userspace"};
    app.require_subcommand(1);
    int exit_code = 0;
    xdpdk::cli::add_exec_command(app, exit_code);
    xdpdk::cli::add_replay_command(app, exit_code);
    xdpdk::cli::add_prog_command(app, exit_code);
    xdpdk::cli::add_bench_command(app, exit_code);
    xdpdk::cli::add_ctl_command(app, exit_code);
#ifdef XDPDK_HAVE_DPDK
    xdpdk::cli::add_run_command(app, exit_code);
#endif
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and the like exit 0; every bad command line exits 2, the
        // code of bad usage (CLI11's own codes are over 100).
        return app.exit(e) == 0 ? 0 : 2;
    }
    return exit_code;
}
