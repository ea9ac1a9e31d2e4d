#include "commands.h"
namespace xdpdk::cli {
void add_replay_command(CLI::App& app, int& exit_code) { (void)app; (void)exit_code; }
}
