// Shared by the test binaries: where the sources, built programs and the
// xdpdk binary are (meson passes them through the environment), and a way to
// run the xdpdk command and capture what it prints.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace xdpdk::test {

std::string source_dir();               // repository root
std::string source_path(const std::string& rel);
std::string prog_path(const std::string& name);  // built sample: progs/<name>.o
std::string test_prog_path(const std::string& name);  // built test object: tests/progs/<name>.o
std::string xdpdk_binary();
std::string temp_dir();                 // fresh directory per call, under /tmp

struct CommandResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs `args` (argv[0] is the program) with `stdin_data` on standard input.
CommandResult run_command(const std::vector<std::string>& args, const std::string& stdin_data = "");

// A command left running (a dataplane) while the test talks to it; its
// stdout and stderr go to files in `dir`. Killed if never waited for.
class BackgroundCommand {
public:
    BackgroundCommand(const std::vector<std::string>& args, const std::string& dir);
    ~BackgroundCommand();
    BackgroundCommand(const BackgroundCommand&) = delete;
    BackgroundCommand& operator=(const BackgroundCommand&) = delete;
    void signal(int sig);
    CommandResult wait();
    std::string stdout_so_far() const;
    std::string stderr_so_far() const;

private:
    std::string out_, err_;
    int pid_ = -1;
    bool waited_ = false;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& data);

// Every built BPF object (progs/*.o and tests/progs/*.o of this build), sorted,
// but for refused_* and unavailable_* (features xdpdk lacks, for prog show)
// and core_* (CO-RE objects meant for tests/core_btf's target BTFs).
std::vector<std::string> built_objects();
// tests/progs/refused_*.o: objects Linux's verifier refuses.
std::vector<std::string> refused_objects();

// The map sizes an object's own loader would set before load (maps declared
// with max_entries 0), for the tests that load every built object.
std::vector<std::pair<std::string, uint32_t>> loader_map_sizes(const std::string& object_path);

}  // namespace xdpdk::test
