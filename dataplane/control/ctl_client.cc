#include "ctl_client.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <thread>

#include "ctl_socket.h"

namespace xdpdk::control {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// A server is trusted, but a runaway reply should end in an error, not in
// the client eating the machine's memory.
constexpr size_t kMaxReplyLineBytes = size_t{512} << 20;
constexpr auto kStopPollInterval = std::chrono::milliseconds(100);

class Channel {
public:
    explicit Channel(const std::string& path) : path_(path) {}

    Error fail(std::string reason) const { return make_error("ctl: " + path_, std::move(reason)); }

    Status connect(Clock::time_point deadline) {
        auto addr = unix_address(path_);
        if (!addr) return fail(addr.error().reason);
        auto fd = unix_socket("ctl: " + path_);
        if (!fd) return fd.error();
        fd_ = std::move(*fd);
        for (;;) {
            if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) == 0) return {};
            const int err = errno;
            if (err == EINTR) continue;
            // A full backlog: the server is alive but behind; retry until the deadline.
            if (err == EAGAIN && Clock::now() < deadline) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                continue;
            }
            std::string hint;
            if (err == ENOENT || err == ECONNREFUSED) hint = " (is xdpdk run --ctl running?)";
            if (err == EACCES || err == EPERM) hint = " (only the dataplane's user and root may connect)";
            if (err == EAGAIN) hint = " (the server is not accepting connections)";
            return fail("cannot connect: " + errno_text(err) + hint);
        }
    }

    // A server that refuses the request (a peer it does not serve) may close
    // before taking all of it; its reply is still there to read.
    Status send_all(const std::string& data, Clock::time_point deadline) {
        size_t done = 0;
        while (done < data.size()) {
            const ssize_t n = ::send(fd_.get(), data.data() + done, data.size() - done, MSG_NOSIGNAL);
            if (n > 0) {
                done += static_cast<size_t>(n);
            } else if (errno == EPIPE || errno == ECONNRESET) {
                return {};
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                pollfd p{fd_.get(), POLLOUT, 0};
                const int ready = ::poll(&p, 1, wait_ms(deadline, false));
                if (ready == 0 && Clock::now() >= deadline) return fail("cannot send the request: timed out");
            } else if (errno != EINTR) {
                return fail("cannot send the request: " + errno_text(errno));
            }
        }
        return {};
    }

    // The next line; nullopt when `stop` asked to end.
    Result<std::optional<std::string>> read_line(Clock::time_point deadline, std::chrono::milliseconds timeout,
                                                 const StopCheck& stop) {
        for (;;) {
            if (const size_t end = in_.find('\n'); end != std::string::npos) {
                std::string line = in_.substr(0, end);
                in_.erase(0, end + 1);
                return std::optional<std::string>(std::move(line));
            }
            if (in_.size() > kMaxReplyLineBytes) {
                return fail("reply line over " + std::to_string(kMaxReplyLineBytes) + " bytes");
            }
            if (stop && stop()) return std::optional<std::string>();
            if (Clock::now() >= deadline) return fail("no reply within " + std::to_string(timeout.count()) + " ms");

            pollfd p{fd_.get(), POLLIN, 0};
            if (::poll(&p, 1, wait_ms(deadline, static_cast<bool>(stop))) <= 0) continue;  // timeout or EINTR
            char buf[64 * 1024];
            const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
            if (n > 0) {
                in_.append(buf, static_cast<size_t>(n));
            } else if (n == 0 || errno == ECONNRESET) {
                return fail(in_.empty() ? "the server closed the connection"
                                        : "the server closed the connection in the middle of a reply");
            } else if (errno != EAGAIN && errno != EINTR) {
                return fail("cannot read the reply: " + errno_text(errno));
            }
        }
    }

    Result<ReplyLine> parse(const std::string& line) const {
        auto reply = parse_reply(line);
        if (!reply) return fail("bad reply: " + reply.error().reason);
        return reply;
    }

private:
    static int wait_ms(Clock::time_point deadline, bool tick) {
        auto wait = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
        if (tick) wait = std::min(wait, kStopPollInterval);
        return static_cast<int>(std::clamp<int64_t>(wait.count(), 0, 60'000));
    }

    std::string path_;
    Fd fd_;
    std::string in_;
};

// A timeout long enough to overflow the clock means none.
Clock::time_point deadline_after(std::chrono::milliseconds timeout) {
    if (timeout > std::chrono::hours(24 * 365)) return Clock::time_point::max();
    return Clock::now() + timeout;
}

Result<std::string> encode_checked(const Channel& channel, const Request& req) {
    std::string line = encode_request(req);
    // The server would read a megabyte of it before refusing; say it here.
    if (line.size() - 1 > kMaxRequestBytes) {
        return channel.fail("request too large: " + std::to_string(line.size() - 1) +
                            " bytes, the server takes at most " + std::to_string(kMaxRequestBytes));
    }
    return line;
}

}  // namespace

Result<json> request(const std::string& socket_path, const Request& req, std::chrono::milliseconds timeout) {
    Channel channel(socket_path);
    XDPDK_ASSIGN_OR_RETURN(const std::string line_out, encode_checked(channel, req));
    const auto deadline = deadline_after(timeout);
    XDPDK_RETURN_IF_ERROR(channel.connect(deadline));
    XDPDK_RETURN_IF_ERROR(channel.send_all(line_out, deadline));
    XDPDK_ASSIGN_OR_RETURN(std::optional<std::string> line, channel.read_line(deadline, timeout, {}));
    XDPDK_ASSIGN_OR_RETURN(ReplyLine reply, channel.parse(*line));
    switch (reply.kind) {
    case ReplyLine::Kind::Ok:
        return std::move(reply.value);
    case ReplyLine::Kind::Error:
        return reply.error;
    case ReplyLine::Kind::Item:
        break;
    }
    const std::string command = req.command();
    return channel.fail("'" + command + "' streams its output (a followed command)");
}

Result<json> stream(const std::string& socket_path, const Request& req, const ItemCallback& on_item,
                    const StopCheck& stop, std::chrono::milliseconds connect_timeout) {
    Channel channel(socket_path);
    XDPDK_ASSIGN_OR_RETURN(const std::string line_out, encode_checked(channel, req));
    const auto deadline = deadline_after(connect_timeout);
    XDPDK_RETURN_IF_ERROR(channel.connect(deadline));
    XDPDK_RETURN_IF_ERROR(channel.send_all(line_out, deadline));
    for (;;) {
        XDPDK_ASSIGN_OR_RETURN(std::optional<std::string> line,
                               channel.read_line(Clock::time_point::max(), connect_timeout, stop));
        if (!line) return json(nullptr);
        XDPDK_ASSIGN_OR_RETURN(ReplyLine reply, channel.parse(*line));
        switch (reply.kind) {
        case ReplyLine::Kind::Item:
            if (!on_item(reply.value)) return json(nullptr);
            break;
        case ReplyLine::Kind::Ok:
            return std::move(reply.value);
        case ReplyLine::Kind::Error:
            return reply.error;
        }
    }
}

}  // namespace xdpdk::control
