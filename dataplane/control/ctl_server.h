// The control server of `xdpdk run --ctl PATH`: a UNIX socket (mode 0600)
// served by one background thread, speaking ctl_protocol.h.
//
// The thread polls the listening socket, every client and a stop eventfd; it
// never blocks on a client. Each connection is non-blocking and handles one
// request at a time: the next line is read only once the previous reply has
// been written out, so a client that sends and never reads costs one reply
// of memory, not a queue.
//
// What the server does with bad clients:
//   - peer uid (SO_PEERCRED) other than the server's and root: one error
//     reply, closed before any request is read;
//   - a line that is not a valid request (not JSON, missing "noun", ...): an
//     error reply, and the connection stays open for the next line;
//   - more than kMaxRequestBytes without a newline: an error reply, closed;
//   - a request line not complete within request_timeout of its first byte:
//     an error reply, closed;
//   - pending output that the client does not read for stall_timeout: closed;
//   - a client that hangs up: its state is dropped, and a request it sent but
//     whose reply it can no longer read is not served.
//
// The handler and the followers run on the server thread. A slow handler
// (a program swap verifying and compiling) delays the other control clients,
// never the dataplane's workers, which run on their own lcores.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "ctl_protocol.h"
#include "ctl_socket.h"
#include "vm/error.h"

namespace xdpdk::control {

// Polled by the server thread every follow_interval while its client stays
// connected: returns the stream items produced since the last call (none is
// fine). A trace follower drains the trace lines.
using Follower = std::function<std::vector<nlohmann::json>()>;

// How a handler answers one request: exactly one of ok(), error() or
// follow(). A handler that answers none gets an error reply for it.
class Reply {
public:
    void ok(nlohmann::json result = nullptr);
    void error(Error error);
    // Streams the follower's items to the client until it disconnects.
    void follow(Follower follower);
    bool answered() const { return kind_ != Kind::None; }

private:
    friend class Server;
    enum class Kind { None, Line, Follow };
    Kind kind_ = Kind::None;
    nlohmann::json line_;
    Follower follower_;
};

using Handler = std::function<void(const Request& request, Reply& reply)>;

struct ServerOptions {
    std::chrono::milliseconds follow_interval{50};
    std::chrono::milliseconds request_timeout{10'000};  // from a line's first byte to its newline
    std::chrono::milliseconds stall_timeout{10'000};    // pending output not read
    // Followers are not polled while this much output waits for the client.
    size_t max_output_bytes = size_t{4} << 20;
    // Connections beyond this are answered with an error and closed.
    size_t max_clients = 64;
    // Create missing parent directories (0700): for a default path such as
    // /run/xdpdk/NAME.sock; a path the user chose must have its directory.
    bool create_parent_dirs = true;
};

class Server {
public:
    // Creates the missing parent directories (0700), refuses `<path>: another
    // server is listening` when one answers there, replaces a stale socket
    // file, binds (0600) and starts the server thread.
    static Result<std::unique_ptr<Server>> listen(const std::string& path, Handler handler,
                                                  ServerOptions options = {});
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Stops the thread (a follower's client gets a final "server stopping"
    // error reply if its socket takes it), closes every connection and
    // unlinks the socket path. Idempotent; the destructor calls it. Not from
    // a handler or a follower (they run on the thread it joins).
    void stop();

    const std::string& path() const { return path_; }
    size_t clients() const { return clients_.load(std::memory_order_relaxed); }

private:
    struct Conn;
    Server(std::string path, Handler handler, ServerOptions options);

    void run();
    void accept_clients();
    void read_from(Conn& conn);
    void refuse_oversized(Conn& conn);
    void serve_lines(Conn& conn);
    void answer(Conn& conn, std::string_view line);
    void poll_followers();
    void end_stream(Conn& conn, std::string reason);
    void check_timeouts(Conn& conn);
    void queue(Conn& conn, const nlohmann::json& message);
    void flush(Conn& conn);

    std::string path_;
    Handler handler_;
    ServerOptions options_;
    Fd listen_fd_;
    Fd wake_fd_;
    dev_t dev_ = 0;  // the socket file we bound, so stop() unlinks only it
    ino_t ino_ = 0;
    uid_t uid_ = 0;
    std::vector<std::unique_ptr<Conn>> conns_;
    std::atomic<size_t> clients_{0};
    std::chrono::steady_clock::time_point next_follow_{};
    std::chrono::steady_clock::time_point accept_paused_until_{};
    std::thread thread_;
    bool stopped_ = false;
};

}  // namespace xdpdk::control
