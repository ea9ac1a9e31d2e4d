// The control channel (dataplane/control): the request parser and reply
// format, and the UNIX-socket server and client with toy handlers: socket
// permissions and peer checks, bad input of every kind, slow and vanishing
// clients, stale and live sockets, streaming.
#include <gtest/gtest.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <thread>

#include "dataplane/control/ctl_client.h"
#include "dataplane/control/ctl_protocol.h"
#include "dataplane/control/ctl_server.h"
#include "test_support.h"

namespace xdpdk::control {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

// ---- the protocol ----

struct BadRequest {
    const char* line;
    const char* message;  // the whole Error::str()
};

TEST(CtlProtocol, RefusesMalformedRequestsWithOneClearReason) {
    const BadRequest cases[] = {
        {R"([1,2])", "request: expected a JSON object, got array"},
        {R"({})", "request: missing \"noun\""},
        {R"({"verb":"list"})", "request: missing \"noun\""},
        {R"({"noun":1})", "request: \"noun\" must be a string, got number"},
        {R"({"noun":""})", "request: \"noun\" is empty"},
        {R"({"noun":"prog","verb":null})", "request: \"verb\" must be a string, got null"},
        {R"({"noun":"prog","args":"a.o"})", "request: \"args\" must be an array of strings, got string"},
        {R"({"noun":"prog","args":["a.o",2]})", "request: \"args\"[1] must be a string, got number"},
        {R"({"noun":"prog","options":[]})", "request: \"options\" must be an object, got array"},
        {R"({"noun":"prog","options":{"x":{"y":1}}})",
         "request: option \"x\" must be a string, number, boolean or null, got object"},
        {R"({"noun":"prog","opts":{}})", "request: unknown field \"opts\" (fields: noun, verb, args, options)"},
    };
    for (const auto& c : cases) {
        auto r = parse_request(c.line);
        ASSERT_FALSE(r.ok()) << c.line;
        EXPECT_EQ(r.error().str(), c.message) << c.line;
        EXPECT_EQ(r.error().subject, "request");
    }
}

TEST(CtlProtocol, NotJsonNamesTheParserErrorInPlainAscii) {
    for (std::string line : {std::string("prog list"), std::string(R"({"noun":"prog")"),
                             std::string("{\"noun\":\"\xff\xfe\"}"), std::string(R"({"noun":1e999})"),
                             std::string(R"({"noun":"a"} {"noun":"b"})"),
                             // Escapes are four characters each: the reason stays short (found by fuzzing).
                             "{\"no" + std::string(300, '\x7f')}) {
        auto r = parse_request(line);
        ASSERT_FALSE(r.ok()) << line;
        EXPECT_EQ(r.error().reason.rfind("not JSON: ", 0), 0u) << r.error().str();
        for (unsigned char c : r.error().reason) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << r.error().str();
        EXPECT_LT(r.error().reason.size(), 300u);
    }
}

TEST(CtlProtocol, ParsesAFullAndAMinimalRequest) {
    auto full = parse_request(R"({"noun":"prog","verb":"swap","args":["lb.o","xdp_main"],)"
                              R"("options":{"engine":"jit","queue":3,"force":true,"x":null}})");
    ASSERT_TRUE(full.ok()) << full.error().str();
    EXPECT_EQ(full->noun, "prog");
    EXPECT_EQ(full->verb, "swap");
    EXPECT_EQ(full->args, (std::vector<std::string>{"lb.o", "xdp_main"}));
    EXPECT_EQ(full->options["engine"], "jit");
    EXPECT_EQ(full->options["queue"], 3);
    EXPECT_EQ(full->command(), "prog swap");

    auto minimal = parse_request("{\"noun\":\"stats\"}\r");
    ASSERT_TRUE(minimal.ok()) << minimal.error().str();
    EXPECT_EQ(minimal->verb, "");
    EXPECT_TRUE(minimal->args.empty());
    EXPECT_EQ(minimal->options, json::object());
    EXPECT_EQ(minimal->command(), "stats");
}

TEST(CtlProtocol, EncodedRequestParsesBackEqual) {
    Request req{"map", "update", {"counts", "00000000", "\xc3\xa9"}, {{"flags", 1}}};
    const std::string line = encode_request(req);
    ASSERT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    auto back = parse_request(std::string_view(line).substr(0, line.size() - 1));
    ASSERT_TRUE(back.ok()) << back.error().str();
    EXPECT_EQ(*back, req);
}

TEST(CtlProtocol, SizeLimitIsOneMebibyteBeforeTheNewline) {
    const std::string head = R"({"noun":"echo","args":[")", tail = R"("]})";
    const std::string arg(kMaxRequestBytes - head.size() - tail.size(), 'a');
    const std::string at_limit = head + arg + tail;
    ASSERT_EQ(at_limit.size(), kMaxRequestBytes);
    EXPECT_TRUE(parse_request(at_limit).ok());
    auto over = parse_request(head + arg + "a" + tail);
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.error().str(), "request: too large: 1048577 bytes, the limit is 1048576");
}

TEST(CtlProtocol, ErrorReplyCarriesTheErrorWhole) {
    const json with_insn = error_reply(make_insn_error("prog 'xdp_main'", 12, "R1 invalid mem access"));
    EXPECT_EQ(with_insn, json::parse(R"({"ok":false,"error":{"subject":"prog 'xdp_main'","insn":12,)"
                                     R"("reason":"R1 invalid mem access",)"
                                     R"("message":"prog 'xdp_main': insn 12: R1 invalid mem access"}})"));
    // The C line, where the object gave one, as its own field and in the message.
    Error sourced = make_insn_error("prog 'xdp_main'", 12, "R1 invalid mem access");
    sourced.source = "fw.bpf.c:88 '  if (ip->ihl < 5)'";
    const json with_source = error_reply(sourced);
    EXPECT_EQ(with_source["error"]["source"], sourced.source);
    EXPECT_EQ(with_source["error"]["message"],
              "prog 'xdp_main': insn 12 (fw.bpf.c:88 '  if (ip->ihl < 5)'): R1 invalid mem access");
    auto sourced_back = parse_reply(encode_line(with_source));
    ASSERT_TRUE(sourced_back.ok()) << sourced_back.error().str();
    EXPECT_EQ(sourced_back->error.str(), sourced.str());
    const json without = error_reply(make_error("map 'counts'", "no such key"));
    EXPECT_FALSE(without["error"].contains("insn"));
    EXPECT_EQ(without["error"]["message"], "map 'counts': no such key");

    auto back = parse_reply(encode_line(with_insn));
    ASSERT_TRUE(back.ok()) << back.error().str();
    EXPECT_EQ(back->kind, ReplyLine::Kind::Error);
    EXPECT_EQ(back->error.subject, "prog 'xdp_main'");
    EXPECT_EQ(back->error.insn, 12);
    EXPECT_EQ(back->error.reason, "R1 invalid mem access");
}

TEST(CtlProtocol, ParsesOkAndItemRepliesAndRefusesOthers) {
    auto ok = parse_reply(encode_line(ok_reply(json{{"progs", 2}})));
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok->kind, ReplyLine::Kind::Ok);
    EXPECT_EQ(ok->value["progs"], 2);
    auto item = parse_reply(encode_line(stream_item("hello")));
    ASSERT_TRUE(item.ok());
    EXPECT_EQ(item->kind, ReplyLine::Kind::Item);
    EXPECT_EQ(item->value, "hello");
    for (const char* bad : {"{}", R"({"ok":"yes"})", R"({"ok":false})", R"({"ok":false,"error":{"subject":"x"}})",
                            R"({"ok":false,"error":{"subject":"x","reason":"y","insn":-1}})", "nope"}) {
        auto r = parse_reply(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().subject, "reply");
    }
}

TEST(CtlProtocol, EncodeLineReplacesInvalidUtf8InsteadOfThrowing) {
    const std::string line = encode_line(error_reply(make_error("request", "bad \xff byte")));
    EXPECT_NE(line.find("bad \xef\xbf\xbd byte"), std::string::npos) << line;
}

// ---- the server and client ----

// A client speaking the wire directly, for what the real client never does.
class RawClient {
public:
    enum class Got { Line, Eof, Timeout };

    explicit RawClient(const std::string& path) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
        connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    }
    ~RawClient() { close(); }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    bool connected() const { return connected_; }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    void shutdown_write() { ::shutdown(fd_, SHUT_WR); }
    int fd() const { return fd_; }

    bool send(std::string_view data) {
        while (!data.empty()) {
            const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            data.remove_prefix(static_cast<size_t>(n));
        }
        return true;
    }

    Got read_line(std::string& line, std::chrono::milliseconds timeout = 3s) {
        const auto deadline = Clock::now() + timeout;
        for (;;) {
            if (const size_t end = in_.find('\n'); end != std::string::npos) {
                line = in_.substr(0, end);
                in_.erase(0, end + 1);
                return Got::Line;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left <= 0ms) return Got::Timeout;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char buf[65536];
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) return Got::Eof;
            in_.append(buf, static_cast<size_t>(n));
        }
    }

    json read_json(std::chrono::milliseconds timeout = 3s) {
        std::string line;
        const Got got = read_line(line, timeout);
        EXPECT_EQ(got, Got::Line);
        return got == Got::Line ? json::parse(line, nullptr, false) : json();
    }

private:
    int fd_ = -1;
    bool connected_ = false;
    std::string in_;
};

template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout = 3s) {
    const auto deadline = Clock::now() + timeout;
    while (!pred()) {
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

mode_t mode_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 0;
    return st.st_mode;
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

class CtlSocket : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = test::temp_dir();
        path_ = dir_ + "/run/xdpdk/test.sock";
    }
    void TearDown() override {
        server_.reset();
        std::filesystem::remove_all(dir_);
    }

    // echo, fail, big, throw, silent, sleep, follow; anything else is unknown.
    void handle(const Request& req, Reply& reply) {
        ++calls_;
        if (req.noun == "echo") {
            reply.ok(json{{"verb", req.verb}, {"args", req.args}, {"options", req.options}});
        } else if (req.noun == "fail") {
            reply.error(make_insn_error("prog 'x'", 12, "bad insn"));
        } else if (req.noun == "big") {
            reply.ok(std::string(req.options.value("bytes", size_t{0}), 'b'));
        } else if (req.noun == "throw") {
            throw std::runtime_error("boom");
        } else if (req.noun == "silent") {
        } else if (req.noun == "sleep") {
            std::this_thread::sleep_for(std::chrono::milliseconds(req.options.value("ms", 0)));
            reply.ok();
        } else if (req.noun == "follow") {
            const size_t item_bytes = req.options.value("item_bytes", size_t{0});
            const uint64_t fail_at = req.options.value("fail_at", UINT64_MAX);
            reply.follow([this, item_bytes, fail_at, calls = uint64_t{0}]() mutable {
                if (calls++ == fail_at) throw std::runtime_error("trace buffer gone");
                const uint64_t n = follow_calls_++;
                if (item_bytes > 0) return std::vector<json>{std::string(item_bytes, 't')};
                return std::vector<json>{json(n)};
            });
        } else {
            reply.error(make_error("ctl", "unknown command '" + req.command() + "'"));
        }
    }

    void start(ServerOptions options = {}) {
        auto server = Server::listen(path_, [this](const Request& req, Reply& reply) { handle(req, reply); }, options);
        ASSERT_TRUE(server.ok()) << server.error().str();
        server_ = std::move(*server);
    }

    Result<json> echo(const std::string& arg = "x", std::chrono::milliseconds timeout = 3s) {
        return request(path_, Request{"echo", "", {arg}, json::object()}, timeout);
    }

    std::string dir_;
    std::string path_;
    std::unique_ptr<Server> server_;
    std::atomic<int> calls_{0};
    std::atomic<uint64_t> follow_calls_{0};
};

TEST_F(CtlSocket, SocketIsOwnerOnlyInNewOwnerOnlyDirectories) {
    start();
    const mode_t sock = mode_of(path_);
    EXPECT_TRUE(S_ISSOCK(sock));
    EXPECT_EQ(sock & 07777, 0600u);
    EXPECT_EQ(mode_of(dir_ + "/run") & 07777, 0700u);
    EXPECT_EQ(mode_of(dir_ + "/run/xdpdk") & 07777, 0700u);
}

TEST_F(CtlSocket, EchoesAndReturnsHandlerErrorsWhole) {
    start();
    auto r = request(path_, Request{"echo", "show", {"a", "b"}, {{"n", 3}}});
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ(*r, json::parse(R"({"verb":"show","args":["a","b"],"options":{"n":3}})"));

    auto fail = request(path_, Request{"fail", "", {}, json::object()});
    ASSERT_FALSE(fail.ok());
    EXPECT_EQ(fail.error().subject, "prog 'x'");
    EXPECT_EQ(fail.error().insn, 12);
    EXPECT_EQ(fail.error().str(), "prog 'x': insn 12: bad insn");

    auto unknown = request(path_, Request{"frob", "now", {}, json::object()});
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().str(), "ctl: unknown command 'frob now'");
}

TEST_F(CtlSocket, HandlerThatThrowsOrSaysNothingGetsAnErrorReply) {
    start();
    auto thrown = request(path_, Request{"throw", "", {}, json::object()});
    ASSERT_FALSE(thrown.ok());
    EXPECT_EQ(thrown.error().str(), "throw: internal error: boom");
    auto silent = request(path_, Request{"silent", "", {}, json::object()});
    ASSERT_FALSE(silent.ok());
    EXPECT_EQ(silent.error().str(), "silent: the command gave no reply");
    EXPECT_TRUE(echo().ok());
}

// A bad line gets an error reply and the connection stays open: lines are
// framed by newlines, so the next line is read as a fresh request.
TEST_F(CtlSocket, MalformedJsonGetsAnErrorAndTheConnectionStaysUsable) {
    start();
    RawClient c(path_);
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send("prog list\n"));
    json reply = c.read_json();
    EXPECT_EQ(reply["ok"], false);
    EXPECT_EQ(reply["error"]["subject"], "request");
    EXPECT_EQ(reply["error"]["reason"].get<std::string>().rfind("not JSON: ", 0), 0u) << reply;
    EXPECT_EQ(calls_, 0);

    ASSERT_TRUE(c.send("{\"noun\":\"echo\",\"args\":[\"again\"]}\n"));
    reply = c.read_json();
    EXPECT_EQ(reply["ok"], true) << reply;
    EXPECT_EQ(reply["result"]["args"][0], "again");
}

TEST_F(CtlSocket, PipelinedRequestsAreAnsweredInOrder) {
    start();
    RawClient c(path_);
    ASSERT_TRUE(c.send("{\"noun\":\"echo\",\"args\":[\"1\"]}\n{\"noun\"}\n{\"noun\":\"echo\",\"args\":[\"3\"]}\n"));
    EXPECT_EQ(c.read_json()["result"]["args"][0], "1");
    EXPECT_EQ(c.read_json()["ok"], false);
    EXPECT_EQ(c.read_json()["result"]["args"][0], "3");
}

TEST_F(CtlSocket, HalfClosedClientStillGetsItsReply) {
    start();
    RawClient c(path_);
    ASSERT_TRUE(c.send("{\"noun\":\"echo\",\"args\":[\"bye\"]}\n"));
    c.shutdown_write();
    EXPECT_EQ(c.read_json()["result"]["args"][0], "bye");
    std::string line;
    EXPECT_EQ(c.read_line(line), RawClient::Got::Eof);
}

TEST_F(CtlSocket, OversizedRequestIsRefusedAndClosedWhileOthersAreServed) {
    start();
    RawClient big(path_);
    ASSERT_TRUE(big.connected());
    // The server stops reading past the limit, so this write may never finish.
    std::thread writer([&] { big.send(std::string(kMaxRequestBytes + 4096, 'x')); });
    const json reply = big.read_json();
    EXPECT_EQ(reply["error"]["message"], "request: too large: more than 1048576 bytes without a newline");
    std::string line;
    EXPECT_EQ(big.read_line(line), RawClient::Got::Eof);
    writer.join();
    EXPECT_TRUE(echo().ok());
    EXPECT_EQ(calls_, 1);
}

TEST_F(CtlSocket, ClientRefusesAnOversizedRequestItself) {
    start();
    auto r = echo(std::string(kMaxRequestBytes, 'a'));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().str(),
              "ctl: " + path_ + ": request too large: 1048626 bytes, the server takes at most 1048576");
    EXPECT_EQ(calls_, 0);
}

TEST_F(CtlSocket, RequestOfExactlyTheLimitIsServed) {
    start();
    const std::string head = R"({"noun":"echo","args":[")", tail = R"("]})";
    const std::string arg(kMaxRequestBytes - head.size() - tail.size(), 'a');
    RawClient c(path_);
    ASSERT_TRUE(c.send(head + arg + tail + "\n"));
    const json reply = c.read_json();
    ASSERT_EQ(reply["ok"], true);
    EXPECT_EQ(reply["result"]["args"][0].get<std::string>().size(), arg.size());
}

TEST_F(CtlSocket, ClientLeavingMidRequestIsDropped) {
    start();
    {
        RawClient c(path_);
        ASSERT_TRUE(c.send("{\"noun\":\"ec"));
        ASSERT_TRUE(wait_until([&] { return server_->clients() == 1; }));
    }
    EXPECT_TRUE(wait_until([&] { return server_->clients() == 0; }));
    EXPECT_EQ(calls_, 0);
    EXPECT_TRUE(echo().ok());
}

TEST_F(CtlSocket, IncompleteRequestTimesOut) {
    ServerOptions options;
    options.request_timeout = 200ms;
    start(options);
    RawClient c(path_);
    ASSERT_TRUE(c.send("{\"noun\":\"echo\""));
    const auto sent = Clock::now();
    const json reply = c.read_json(3s);
    EXPECT_GE(Clock::now() - sent, 150ms);
    EXPECT_EQ(reply["error"]["message"], "request: incomplete: no newline within 200 ms of its first byte");
    std::string line;
    EXPECT_EQ(c.read_line(line), RawClient::Got::Eof);
}

// The stream's reader never reads: the server must keep serving others
// promptly, stop polling the follower once the output cap is reached, and
// close the reader after the stall timeout.
TEST_F(CtlSocket, StreamClientThatNeverReadsDoesNotHoldUpOthers) {
    ServerOptions options;
    options.follow_interval = 5ms;
    options.stall_timeout = 800ms;
    start(options);
    RawClient slow(path_);
    ASSERT_TRUE(slow.send(R"({"noun":"follow","options":{"item_bytes":262144}})" "\n"));
    // Until the cap (4 MiB) and the socket buffers are full.
    ASSERT_TRUE(wait_until([&] { return follow_calls_ >= 10; }));
    std::this_thread::sleep_for(200ms);

    const auto t0 = Clock::now();
    auto r = echo("quick", 2s);
    const auto took = Clock::now() - t0;
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_LT(took, 200ms);

    // 4 MiB of queue plus what the socket buffers take, in 256 KiB items:
    // far fewer polls than the hundreds an uncapped follower would see.
    EXPECT_TRUE(wait_until([&] { return server_->clients() == 0; }, 5s)) << server_->clients();
    const uint64_t calls = follow_calls_;
    EXPECT_LT(calls, 40u);
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(follow_calls_, calls);
}

TEST_F(CtlSocket, LargeReplyNobodyReadsDoesNotHoldUpOthers) {
    ServerOptions options;
    options.stall_timeout = 500ms;
    start(options);
    RawClient slow(path_);
    ASSERT_TRUE(slow.send(R"({"noun":"big","options":{"bytes":16777216}})" "\n"));
    // Building and encoding 16 MiB takes the server thread a while; time the
    // other client from when the reply is being written, not built.
    pollfd p{slow.fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1);
    const auto t0 = Clock::now();
    ASSERT_TRUE(echo("quick", 2s).ok());
    EXPECT_LT(Clock::now() - t0, 200ms);
    EXPECT_TRUE(wait_until([&] { return server_->clients() == 0; }));
}

TEST_F(CtlSocket, ClientTimesOutOnASlowHandlerAndTheServerCarriesOn) {
    start();
    auto r = request(path_, Request{"sleep", "", {}, {{"ms", 400}}}, 100ms);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().str(), "ctl: " + path_ + ": no reply within 100 ms");
    EXPECT_TRUE(echo().ok());
}

TEST_F(CtlSocket, TooManyClientsAreTurnedAway) {
    ServerOptions options;
    options.max_clients = 2;
    start(options);
    RawClient a(path_), b(path_);
    ASSERT_TRUE(wait_until([&] { return server_->clients() == 2; }));
    RawClient c(path_);
    EXPECT_EQ(c.read_json()["error"]["message"], "ctl: too many clients (2)");
    a.close();
    ASSERT_TRUE(wait_until([&] { return server_->clients() == 1; }));
    EXPECT_TRUE(echo().ok());
}

TEST_F(CtlSocket, StaleSocketFileIsReplaced) {
    ASSERT_TRUE(std::filesystem::create_directories(dir_ + "/run/xdpdk"));
    {
        // A server that died: its socket file stays, nobody listens.
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
        ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
        ::close(fd);
    }
    ASSERT_TRUE(S_ISSOCK(mode_of(path_)));
    start();
    EXPECT_TRUE(echo().ok());
}

TEST_F(CtlSocket, FileThatIsNotASocketIsLeftAlone) {
    ASSERT_TRUE(std::filesystem::create_directories(dir_ + "/run/xdpdk"));
    test::write_file(path_, "notes");
    auto server = Server::listen(path_, [](const Request&, Reply& r) { r.ok(); });
    ASSERT_FALSE(server.ok());
    EXPECT_EQ(server.error().str(), path_ + ": exists and is not a socket");
    EXPECT_EQ(test::read_file(path_), "notes");
}

TEST_F(CtlSocket, SecondServerOnALivePathIsRefused) {
    start();
    auto second = Server::listen(path_, [](const Request&, Reply& r) { r.ok("second"); });
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().str(), path_ + ": another server is listening");
    auto r = echo();
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_EQ((*r)["args"][0], "x");
}

TEST_F(CtlSocket, StopUnlinksThePathAndClientsSayWhy) {
    start();
    server_->stop();
    EXPECT_FALSE(exists(path_));
    auto r = echo();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().str(),
              "ctl: " + path_ + ": cannot connect: No such file or directory (is xdpdk run --ctl running?)");
    server_->stop();  // idempotent
}

TEST_F(CtlSocket, StopLeavesAFileThatReplacedItsSocket) {
    start();
    ASSERT_EQ(::unlink(path_.c_str()), 0);
    test::write_file(path_, "someone else's");
    server_->stop();
    EXPECT_EQ(test::read_file(path_), "someone else's");
}

TEST_F(CtlSocket, StreamDeliversItemsInOrderAndEndsWhenTheClientCloses) {
    ServerOptions options;
    options.follow_interval = 5ms;
    start(options);
    std::vector<uint64_t> seen;
    auto r = stream(path_, Request{"follow", "", {}, json::object()}, [&](const json& item) {
        seen.push_back(item.get<uint64_t>());
        return seen.size() < 5;
    });
    ASSERT_TRUE(r.ok()) << r.error().str();
    EXPECT_TRUE(r->is_null());
    EXPECT_EQ(seen, (std::vector<uint64_t>{0, 1, 2, 3, 4}));
    ASSERT_TRUE(wait_until([&] { return server_->clients() == 0; }));
    const uint64_t calls = follow_calls_;
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(follow_calls_, calls);
}

TEST_F(CtlSocket, StreamStopsOnRequestAndWhenTheServerStops) {
    start();
    std::atomic<bool> stop_now{false};
    size_t items = 0;
    std::thread stopper([&] {
        wait_until([&] { return follow_calls_ >= 3; });
        stop_now = true;
    });
    auto stopped = stream(
        path_, Request{"follow", "", {}, json::object()}, [&](const json&) { return ++items, true; },
        [&] { return stop_now.load(); });
    stopper.join();
    ASSERT_TRUE(stopped.ok()) << stopped.error().str();
    EXPECT_TRUE(stopped->is_null());
    EXPECT_GE(items, 2u);

    const uint64_t before = follow_calls_;
    std::thread closer([&] {
        wait_until([&] { return follow_calls_ >= before + 2; });
        server_->stop();
    });
    auto ended = stream(path_, Request{"follow", "", {}, json::object()}, [](const json&) { return true; });
    closer.join();
    ASSERT_FALSE(ended.ok());
    EXPECT_EQ(ended.error().str(), "ctl: server stopping");
}

TEST_F(CtlSocket, FollowerThatThrowsEndsItsStreamWithAnError) {
    ServerOptions options;
    options.follow_interval = 5ms;
    start(options);
    std::vector<uint64_t> seen;
    auto r = stream(path_, Request{"follow", "", {}, {{"fail_at", 3}}}, [&](const json& item) {
        seen.push_back(item.get<uint64_t>());
        return true;
    });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().str(), "ctl: stream failed: trace buffer gone");
    EXPECT_EQ(seen, (std::vector<uint64_t>{0, 1, 2}));
    EXPECT_TRUE(echo().ok());
}

// Runs `child` in a forked process as uid/gid 65534 (nobody) and returns what
// it wrote to the pipe it gets.
std::string as_nobody(const std::function<void(int out)>& child) {
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) return "pipe failed";
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(pipe_fds[0]);
        if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
            ::setresuid(65534, 65534, 65534) != 0) {
            _exit(10);
        }
        child(pipe_fds[1]);
        _exit(0);
    }
    ::close(pipe_fds[1]);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(pipe_fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
    return out;
}

TEST_F(CtlSocket, OtherUidIsRefusedByPeerCredentials) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a client as another uid";
    start();
    // Open the path up so that only the SO_PEERCRED check stands in the way.
    for (const std::string& d : {dir_, dir_ + "/run", dir_ + "/run/xdpdk"}) ASSERT_EQ(::chmod(d.c_str(), 0755), 0);
    ASSERT_EQ(::chmod(path_.c_str(), 0666), 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);

    const std::string got = as_nobody([&](int out) {
        // Only system calls here: the parent has other threads.
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        // A server that wrongly serves this peer would never close on it.
        const timeval two_seconds{2, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof two_seconds);
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) _exit(11);
        static const char req[] = "{\"noun\":\"echo\"}\n";
        [[maybe_unused]] ssize_t sent = ::send(fd, req, sizeof req - 1, MSG_NOSIGNAL);
        char buf[4096];
        ssize_t n;
        while ((n = ::read(fd, buf, sizeof buf)) > 0) {
            if (::write(out, buf, static_cast<size_t>(n)) != n) _exit(12);
        }
    });
    const auto end = got.find('\n');
    ASSERT_NE(end, std::string::npos) << got;
    EXPECT_EQ(end + 1, got.size()) << "one line, then closed: " << got;
    const json reply = json::parse(got.substr(0, end), nullptr, false);
    ASSERT_TRUE(reply.is_object() && reply.contains("error")) << got;
    EXPECT_EQ(reply["error"]["message"], "peer uid 65534: refused: only root may control this dataplane") << got;
    EXPECT_EQ(calls_, 0);
    EXPECT_TRUE(echo().ok());
}

TEST_F(CtlSocket, OtherUidCannotEvenConnectToTheDefaultSocket) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a client as another uid";
    start();
    // Only the 0600 socket refuses: the directories are opened up.
    for (const std::string& d : {dir_, dir_ + "/run", dir_ + "/run/xdpdk"}) ASSERT_EQ(::chmod(d.c_str(), 0755), 0);
    const std::string path = path_;
    const std::string got = as_nobody([&](int out) {
        auto r = request(path, Request{"echo", "", {}, json::object()}, 2s);
        const std::string text = r.ok() ? "served" : r.error().str();
        if (::write(out, text.data(), text.size()) != static_cast<ssize_t>(text.size())) _exit(12);
    });
    EXPECT_EQ(got, "ctl: " + path_ +
                       ": cannot connect: Permission denied (only the dataplane's user and root may connect)");
    EXPECT_EQ(calls_, 0);
}

}  // namespace
}  // namespace xdpdk::control
