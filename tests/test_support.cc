#include "test_support.h"

#include <fcntl.h>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace xdpdk::test {
namespace {
std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v ? v : fallback;
}

void write_all(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
    }
    ::close(fd);
}

std::string read_all(int fd) {
    std::string s;
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return s;
}
}  // namespace

std::string source_dir() { return env_or("XDPDK_SOURCE_DIR", "."); }
std::string source_path(const std::string& rel) { return source_dir() + "/" + rel; }
std::string prog_path(const std::string& name) { return env_or("XDPDK_BUILD_DIR", "build") + "/progs/" + name + ".o"; }
std::string test_prog_path(const std::string& name) {
    return env_or("XDPDK_BUILD_DIR", "build") + "/tests/progs/" + name + ".o";
}
std::string xdpdk_binary() { return env_or("XDPDK_BIN", "build/dataplane/xdpdk"); }

std::string temp_dir() {
    char tmpl[] = "/tmp/xdpdk-test-XXXXXX";
    if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    return tmpl;
}

BackgroundCommand::BackgroundCommand(const std::vector<std::string>& args, const std::string& dir)
    : out_(dir + "/stdout"), err_(dir + "/stderr") {
    pid_ = fork();
    if (pid_ == 0) {
        const int out = open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err = open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(out, 1);
        dup2(err, 2);
        std::vector<std::string> copy = args;
        std::vector<char*> argv;
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
}

BackgroundCommand::~BackgroundCommand() {
    if (pid_ > 0 && !waited_) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
}

void BackgroundCommand::signal(int sig) { kill(pid_, sig); }

CommandResult BackgroundCommand::wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    waited_ = true;
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), read_file(out_), read_file(err_)};
}

std::string BackgroundCommand::stdout_so_far() const { return read_file(out_); }
std::string BackgroundCommand::stderr_so_far() const { return read_file(err_); }

CommandResult run_command(const std::vector<std::string>& args, const std::string& stdin_data) {
    int in[2], out[2], err[2];
    if (pipe(in) || pipe(out) || pipe(err)) throw std::runtime_error("pipe failed");
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    CommandResult r;
    std::thread writer([&] { write_all(in[1], stdin_data); });
    std::thread err_reader([&] { r.err = read_all(err[0]); });
    r.out = read_all(out[0]);
    writer.join();
    err_reader.join();
    int status = 0;
    waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

std::string read_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

void write_file(const std::string& path, const std::string& data) {
    std::ofstream f(path, std::ios::binary);
    f << data;
}

std::vector<std::string> built_objects() {
    std::vector<std::string> out;
    for (const char* dir : {"progs", "tests/progs"}) {
        const std::string path = std::string(std::getenv("XDPDK_BUILD_DIR")) + "/" + dir;
        for (const auto& e : std::filesystem::directory_iterator(path))
            // core_*: CO-RE objects whose types exist only in tests/core_btf's
            // targets; against the kernel's BTF their relocations find nothing
            // (test_core_reloc loads them against their targets).
            if (e.path().extension() == ".o" && !e.path().filename().string().starts_with("refused_") &&
                !e.path().filename().string().starts_with("unavailable_") &&
                !e.path().filename().string().starts_with("core_"))
                out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> refused_objects() {
    std::vector<std::string> out;
    const std::string path = std::string(std::getenv("XDPDK_BUILD_DIR")) + "/tests/progs";
    for (const auto& e : std::filesystem::directory_iterator(path))
        if (e.path().extension() == ".o" && e.path().filename().string().starts_with("refused_"))
            out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::pair<std::string, uint32_t>> loader_map_sizes(const std::string& object_path) {
    if (object_path.find("map_sized_by_loader") != std::string::npos) return {{"src_packets", 64}, {"proto_packets", 3}};
    return {};
}

}  // namespace xdpdk::test
