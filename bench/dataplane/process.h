// A child process for bench_dataplane: stdout and stderr go to files, stdin
// is a pipe the caller may write commands to (testpmd's interactive prompt),
// and the exit brings the child's peak RSS (wait4's ru_maxrss).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace xdpdk::bench {

struct ProcessExit {
    int exit_code = -1;  // 128 + signal when killed
    long max_rss_kb = 0;
    std::string out, err;
};

class Process {
public:
    // Starts `args` (argv[0] is looked up in PATH); started() says whether it ran.
    Process(const std::vector<std::string>& args, const std::string& scratch_dir);
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    bool started() const { return pid_ > 0; }
    void write_stdin(const std::string& text);
    void close_stdin();
    // Waits (SIGTERM after `timeout_s`, SIGKILL 10 s later) and collects the output.
    ProcessExit wait(double timeout_s);

private:
    pid_t pid_ = -1;
    int stdin_fd_ = -1;
    std::string out_path_, err_path_;
};

}  // namespace xdpdk::bench
