#include "ctl_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace xdpdk::control {

Fd& Fd::operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
}

int Fd::release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
}

void Fd::reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

std::string errno_text(int err) { return std::strerror(err); }

Result<sockaddr_un> unix_address(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty()) return make_error("ctl", "empty socket path");
    // sun_path is not NUL-terminated when full, but keeping the NUL lets the
    // kernel and every tool read the path as a C string.
    if (path.size() >= sizeof addr.sun_path) {
        return make_error(path, "socket path too long (" + std::to_string(path.size()) + " bytes, at most " +
                                    std::to_string(sizeof addr.sun_path - 1) + ")");
    }
    std::memcpy(addr.sun_path, path.data(), path.size());
    return addr;
}

Result<Fd> unix_socket(const std::string& subject) {
    Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return make_error(subject, "cannot create a socket: " + errno_text(errno));
    return fd;
}

Status make_parent_dirs(const std::string& path) {
    for (size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
        const std::string dir = path.substr(0, slash);
        if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) continue;
        return make_error(path, "cannot create directory " + dir + ": " + errno_text(errno));
    }
    return {};
}

Result<PathState> probe_socket_path(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return PathState::Absent;
        return make_error(path, "cannot stat: " + errno_text(errno));
    }
    // Never unlink what is not a socket: the path may be a typo for a file.
    if (!S_ISSOCK(st.st_mode)) return make_error(path, "exists and is not a socket");

    XDPDK_ASSIGN_OR_RETURN(const sockaddr_un addr, unix_address(path));
    XDPDK_ASSIGN_OR_RETURN(Fd fd, unix_socket(path));
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return PathState::Live;
    // EAGAIN: a listener whose backlog is full, still a live server.
    if (errno == EAGAIN || errno == EINPROGRESS) return PathState::Live;
    if (errno == ECONNREFUSED) return PathState::Stale;
    return make_error(path, "cannot probe the existing socket: " + errno_text(errno));
}

}  // namespace xdpdk::control
