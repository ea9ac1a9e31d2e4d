// The client side of the control channel (`xdpdk ctl`): connects to the
// socket of `xdpdk run --ctl`, sends one request (ctl_protocol.h) and reads
// what comes back.
//
// Errors of the channel itself have the subject `ctl: <socket path>`:
//   ctl: /run/xdpdk/x.sock: cannot connect: No such file or directory (is xdpdk run --ctl running?)
// An error reply from the server comes back as the server's Error, whole
// (subject, instruction index, reason).
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "ctl_protocol.h"
#include "vm/error.h"

namespace xdpdk::control {

// One request, one reply: the reply's "result", or its error. The timeout
// covers connecting, sending and the whole reply (a program swap verifies and
// compiles before it answers, so callers give it seconds, not milliseconds).
Result<nlohmann::json> request(const std::string& socket_path, const Request& request,
                               std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Called with each stream item; returning false ends the stream.
using ItemCallback = std::function<bool(const nlohmann::json& item)>;
// Asked every 100 ms and after a signal interrupts the wait (install a
// SIGINT handler without SA_RESTART); true ends the stream.
using StopCheck = std::function<bool()>;

// A followed command (trace): items go to `on_item` until the server sends a
// final reply (returned like request()'s), the callback or `stop` ends the
// stream (returns null: the caller chose to stop), or the server closes the
// connection (an error). Connecting and sending have `connect_timeout`; the
// stream itself has none.
Result<nlohmann::json> stream(const std::string& socket_path, const Request& request, const ItemCallback& on_item,
                              const StopCheck& stop = {},
                              std::chrono::milliseconds connect_timeout = std::chrono::seconds(5));

}  // namespace xdpdk::control
