#include "process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace xdpdk::bench {
namespace {

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

Process::Process(const std::vector<std::string>& args, const std::string& scratch_dir) {
    static int counter = 0;
    const std::string stem = scratch_dir + "/proc" + std::to_string(counter++);
    out_path_ = stem + ".out";
    err_path_ = stem + ".err";
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[0], 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (posix_spawnp(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[0]);
    stdin_fd_ = pipe_fds[1];
}

Process::~Process() {
    close_stdin();
    if (pid_ > 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
}

void Process::write_stdin(const std::string& text) {
    if (stdin_fd_ < 0) return;
    size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(stdin_fd_, text.data() + done, text.size() - done);
        if (n <= 0) return;
        done += static_cast<size_t>(n);
    }
}

void Process::close_stdin() {
    if (stdin_fd_ >= 0) close(stdin_fd_);
    stdin_fd_ = -1;
}

ProcessExit Process::wait(double timeout_s) {
    ProcessExit result;
    if (pid_ <= 0) return result;
    using Clock = std::chrono::steady_clock;
    const auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
    bool termed = false;
    int status = 0;
    rusage usage{};
    for (;;) {
        const pid_t done = wait4(pid_, &status, WNOHANG, &usage);
        if (done == pid_) break;
        if (!termed && Clock::now() > deadline) {
            kill(pid_, SIGTERM);
            termed = true;
        } else if (termed && Clock::now() > deadline + std::chrono::seconds(10)) {
            kill(pid_, SIGKILL);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.max_rss_kb = usage.ru_maxrss;
    result.out = slurp(out_path_);
    result.err = slurp(err_path_);
    unlink(out_path_.c_str());
    unlink(err_path_.c_str());
    return result;
}

}  // namespace xdpdk::bench
