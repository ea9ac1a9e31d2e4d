#include "ctl_server.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <exception>

namespace xdpdk::control {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr size_t kReadChunk = 64 * 1024;

// Replies without a connection state: a refused peer gets one line if its
// socket takes it now, and is closed either way.
void send_once_and_close(Fd fd, const json& message) {
    const std::string line = encode_line(message);
    [[maybe_unused]] ssize_t n = ::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

std::string ms(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

// Where the next line ends; false when it cannot fit in a request.
bool scan_line(const std::string& in, size_t& line_end) {
    line_end = in.find('\n');
    return (line_end == std::string::npos ? in.size() : line_end) <= kMaxRequestBytes;
}

}  // namespace

struct Server::Conn {
    Fd fd;
    std::string in;                     // read, not yet served
    size_t line_end = std::string::npos;  // the first '\n' in `in`
    std::string out;                    // queued, not yet written from out_at
    size_t out_at = 0;
    Follower follower;
    bool eof = false;      // the client shut its writing side
    bool closing = false;  // close once `out` is written
    bool dead = false;     // close now
    Clock::time_point line_since;  // first byte of the line being received
    Clock::time_point out_since;   // output became pending, or last write progress

    size_t pending() const { return out.size() - out_at; }
    bool line_ready() const { return line_end != std::string::npos; }
    // A line waiting for the previous reply to drain is not joined by more
    // input; a follower's input is only read to see the client leave.
    bool wants_input() const { return !dead && !eof && !closing && (follower || !line_ready()); }
};

void Reply::ok(json result) {
    if (answered()) return;
    kind_ = Kind::Line;
    line_ = ok_reply(std::move(result));
}

void Reply::error(Error error) {
    if (answered()) return;
    kind_ = Kind::Line;
    line_ = error_reply(error);
}

void Reply::follow(Follower follower) {
    if (answered() || !follower) return;  // no stream: "gave no reply"
    kind_ = Kind::Follow;
    follower_ = std::move(follower);
}

Server::Server(std::string path, Handler handler, ServerOptions options)
    : path_(std::move(path)), handler_(std::move(handler)), options_(options), uid_(::geteuid()) {}

Server::~Server() { stop(); }

Result<std::unique_ptr<Server>> Server::listen(const std::string& path, Handler handler, ServerOptions options) {
    XDPDK_ASSIGN_OR_RETURN(const sockaddr_un addr, unix_address(path));
    if (options.create_parent_dirs) XDPDK_RETURN_IF_ERROR(make_parent_dirs(path));
    XDPDK_ASSIGN_OR_RETURN(const PathState state, probe_socket_path(path));
    if (state == PathState::Live) return make_error(path, "another server is listening");
    // A server that died without stop() left its socket file: nobody answers
    // there, and bind() would fail on it.
    if (state == PathState::Stale && ::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return make_error(path, "cannot remove the stale socket: " + errno_text(errno));
    }

    std::unique_ptr<Server> server(new Server(path, std::move(handler), options));
    XDPDK_ASSIGN_OR_RETURN(server->listen_fd_, unix_socket(path));
    // The umask makes the socket 0600 from its creation, so there is no
    // moment where another user could connect; the chmod states it.
    const mode_t old_mask = ::umask(0177);
    const int bound = ::bind(server->listen_fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    const int bind_errno = errno;
    ::umask(old_mask);
    if (bound != 0) return make_error(path, "cannot bind: " + errno_text(bind_errno));
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return make_error(path, "cannot stat the new socket: " + errno_text(errno));
    server->dev_ = st.st_dev;  // from here on the destructor unlinks it
    server->ino_ = st.st_ino;
    if (::chmod(path.c_str(), 0600) != 0) return make_error(path, "cannot chmod 0600: " + errno_text(errno));
    if (::listen(server->listen_fd_.get(), 64) != 0) return make_error(path, "cannot listen: " + errno_text(errno));
    server->wake_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!server->wake_fd_) return make_error(path, "cannot create an eventfd: " + errno_text(errno));

    server->thread_ = std::thread([s = server.get()] { s->run(); });
    ::pthread_setname_np(server->thread_.native_handle(), "xdpdk-ctl");
    return server;
}

void Server::stop() {
    if (stopped_) return;
    stopped_ = true;
    if (thread_.joinable()) {
        const uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(wake_fd_.get(), &one, sizeof one);
        thread_.join();
    }
    listen_fd_.reset();
    wake_fd_.reset();
    // Only the file we bound: if someone replaced it, it is not ours to remove.
    struct stat st {};
    if (ino_ != 0 && ::lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) {
        ::unlink(path_.c_str());
    }
}

void Server::run() {
    std::vector<pollfd> fds;
    for (;;) {
        const auto now = Clock::now();
        // Sleep until the earliest deadline: a follower's turn, a request
        // line's timeout, a stalled reader's timeout.
        auto wake_at = Clock::time_point::max();
        for (const auto& c : conns_) {
            if (c->follower) wake_at = std::min(wake_at, next_follow_);
            if (!c->in.empty() && !c->line_ready() && !c->follower) {
                wake_at = std::min(wake_at, c->line_since + options_.request_timeout);
            }
            if (c->pending() > 0) wake_at = std::min(wake_at, c->out_since + options_.stall_timeout);
        }
        if (accept_paused_until_ > now) wake_at = std::min(wake_at, accept_paused_until_);
        int timeout = -1;
        if (wake_at != Clock::time_point::max()) {
            const auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake_at - now);
            timeout = static_cast<int>(std::clamp<int64_t>(wait.count(), 0, 60'000));
        }

        fds.clear();
        fds.push_back({wake_fd_.get(), POLLIN, 0});
        fds.push_back({listen_fd_.get(), static_cast<short>(accept_paused_until_ > now ? 0 : POLLIN), 0});
        for (const auto& c : conns_) {
            short events = c->wants_input() ? POLLIN : 0;
            if (c->pending() > 0) events |= POLLOUT;
            fds.push_back({c->fd.get(), events, 0});
        }
        if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
            // Only ENOMEM is possible here; try again rather than spin.
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            continue;
        }
        if (fds[0].revents != 0) break;

        const size_t polled = conns_.size();
        for (size_t i = 0; i < polled; ++i) {
            Conn& c = *conns_[i];
            const short revents = fds[i + 2].revents;
            if (revents & POLLOUT) flush(c);
            // POLLHUP: the client is gone both ways; nobody reads a reply.
            if (revents & (POLLHUP | POLLERR | POLLNVAL)) c.dead = true;
            else if (revents & POLLIN) read_from(c);
        }
        if (fds[1].revents & POLLIN) accept_clients();
        for (auto& c : conns_) serve_lines(*c);
        if (Clock::now() >= next_follow_) poll_followers();
        for (auto& c : conns_) check_timeouts(*c);
        std::erase_if(conns_, [](const auto& c) { return c->dead; });
        clients_.store(conns_.size(), std::memory_order_relaxed);
    }

    for (auto& c : conns_) {
        if (c->follower && !c->dead) end_stream(*c, "server stopping");
    }
    conns_.clear();
    clients_.store(0, std::memory_order_relaxed);
}

void Server::accept_clients() {
    for (;;) {
        Fd fd(::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            // Out of descriptors: the listening socket stays readable, so
            // stop polling it for a moment instead of spinning.
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                accept_paused_until_ = Clock::now() + std::chrono::milliseconds(100);
            }
            return;
        }
        ucred cred{};
        socklen_t len = sizeof cred;
        if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) continue;
        if (cred.uid != uid_ && cred.uid != 0) {
            const std::string allowed = uid_ == 0 ? "only root" : "only uid " + std::to_string(uid_) + " and root";
            send_once_and_close(std::move(fd),
                                error_reply(make_error("peer uid " + std::to_string(cred.uid),
                                                       "refused: " + allowed + " may control this dataplane")));
            continue;
        }
        if (conns_.size() >= options_.max_clients) {
            send_once_and_close(std::move(fd),
                                error_reply(make_error("ctl", "too many clients (" +
                                                                  std::to_string(options_.max_clients) + ")")));
            continue;
        }
        auto conn = std::make_unique<Conn>();
        conn->fd = std::move(fd);
        conns_.push_back(std::move(conn));
    }
}

void Server::read_from(Conn& c) {
    if (!c.wants_input()) return;
    char buf[kReadChunk];
    const ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) c.dead = true;
        return;
    }
    if (n == 0) {
        c.eof = true;
        // A follower's client closing is how a stream ends; a client leaving
        // in the middle of a line will never finish it.
        if (c.follower || !c.line_ready()) c.dead = true;
        return;
    }
    if (c.follower) return;  // streams take no further requests
    if (c.in.empty()) c.line_since = Clock::now();
    c.in.append(buf, static_cast<size_t>(n));
    // Refused as soon as it cannot fit, not when its newline finally comes.
    if (!scan_line(c.in, c.line_end)) refuse_oversized(c);
}

void Server::refuse_oversized(Conn& c) {
    c.in.clear();
    c.line_end = std::string::npos;
    // The rest of the line is never read: the reply goes out, then the
    // connection closes (the client's writes fail from then on).
    c.closing = true;
    queue(c, error_reply(make_error("request", "too large: more than " + std::to_string(kMaxRequestBytes) +
                                                   " bytes without a newline")));
}

void Server::serve_lines(Conn& c) {
    while (!c.dead && !c.closing && !c.follower && c.pending() == 0 && c.line_ready()) {
        const std::string line = c.in.substr(0, c.line_end);
        c.in.erase(0, c.line_end + 1);
        c.line_since = Clock::now();
        const bool next_fits = scan_line(c.in, c.line_end);
        answer(c, line);
        // An oversized line pipelined behind this one: refused after its reply.
        if (!next_fits && !c.follower) refuse_oversized(c);
    }
    // After the client's last line, close once its replies are out.
    if (c.eof && !c.dead && !c.follower && !c.line_ready()) {
        c.closing = true;
        if (c.pending() == 0) c.dead = true;
    }
}

void Server::answer(Conn& c, std::string_view line) {
    auto request = parse_request(line);
    if (!request) return queue(c, error_reply(request.error()));

    Reply reply;
    // The handler is ours, but an exception escaping it would end the thread
    // and, through std::terminate, the dataplane.
    try {
        handler_(*request, reply);
    } catch (const std::exception& e) {
        reply = Reply{};
        reply.error(make_error(request->command(), std::string("internal error: ") + e.what()));
    } catch (...) {
        reply = Reply{};
        reply.error(make_error(request->command(), "internal error"));
    }
    switch (reply.kind_) {
    case Reply::Kind::None:
        return queue(c, error_reply(make_error(request->command(), "the command gave no reply")));
    case Reply::Kind::Line:
        return queue(c, reply.line_);
    case Reply::Kind::Follow:
        c.follower = std::move(reply.follower_);
        c.in.clear();
        c.line_end = std::string::npos;
        return;
    }
}

void Server::poll_followers() {
    for (auto& conn : conns_) {
        Conn& c = *conn;
        // Over the cap the follower waits: its source (the trace buffer)
        // keeps or drops lines, the server does not grow without bound.
        if (!c.follower || c.dead || c.closing || c.pending() >= options_.max_output_bytes) continue;
        std::vector<json> items;
        try {
            items = c.follower();
        } catch (const std::exception& e) {
            end_stream(c, std::string("stream failed: ") + e.what());
            continue;
        } catch (...) {
            end_stream(c, "stream failed");
            continue;
        }
        if (items.empty()) continue;
        const bool was_idle = c.pending() == 0;
        for (auto& item : items) c.out += encode_line(stream_item(std::move(item)));
        if (was_idle) c.out_since = Clock::now();
        flush(c);
    }
    next_follow_ = Clock::now() + options_.follow_interval;
}

void Server::end_stream(Conn& c, std::string reason) {
    c.follower = nullptr;
    c.closing = true;
    queue(c, error_reply(make_error("ctl", std::move(reason))));
}

void Server::check_timeouts(Conn& c) {
    if (c.dead) return;
    const auto now = Clock::now();
    if (c.pending() > 0 && now - c.out_since >= options_.stall_timeout) {
        c.dead = true;
        return;
    }
    if (!c.follower && !c.closing && !c.in.empty() && !c.line_ready() &&
        now - c.line_since >= options_.request_timeout) {
        c.closing = true;
        queue(c, error_reply(make_error("request", "incomplete: no newline within " +
                                                       ms(options_.request_timeout) + " of its first byte")));
    }
}

void Server::queue(Conn& c, const json& message) {
    if (c.pending() == 0) c.out_since = Clock::now();
    c.out += encode_line(message);
    flush(c);
}

void Server::flush(Conn& c) {
    while (c.pending() > 0 && !c.dead) {
        const ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_at, c.pending(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c.out_at += static_cast<size_t>(n);
            c.out_since = Clock::now();
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            c.dead = true;  // EPIPE, ECONNRESET: the client is gone
        }
    }
    if (c.pending() == 0) {
        c.out.clear();
        c.out_at = 0;
        if (c.closing) c.dead = true;
    } else if (c.out_at >= kReadChunk && c.out_at * 2 >= c.out.size()) {
        // Drop what was sent once it is most of the buffer, keeping copies
        // linear in the bytes sent.
        c.out.erase(0, c.out_at);
        c.out_at = 0;
    }
}

}  // namespace xdpdk::control
