// UNIX socket plumbing shared by the control server and client (private to
// dataplane/control).
#pragma once

#include <sys/un.h>

#include <string>

#include "vm/error.h"

namespace xdpdk::control {

// Owns one file descriptor.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release();
    void reset(int fd = -1);

private:
    int fd_ = -1;
};

std::string errno_text(int err);

// The address of `path`, or `<path>: socket path too long ...`.
Result<sockaddr_un> unix_address(const std::string& path);

// A non-blocking, close-on-exec stream socket.
Result<Fd> unix_socket(const std::string& subject);

// Creates the missing directories above `path`, each 0700: the socket is the
// dataplane's control, and a fresh /run/xdpdk should not be listable by others.
Status make_parent_dirs(const std::string& path);

// What is at a socket path before the server binds it.
enum class PathState { Absent, Stale, Live };
Result<PathState> probe_socket_path(const std::string& path);

}  // namespace xdpdk::control
