// The wire format of the control channel between `xdpdk ctl` and
// `xdpdk run --ctl`: newline-delimited JSON on a UNIX stream socket, one
// UTF-8 object per line, in both directions.
//
// Client to server, one request per line (at most kMaxRequestBytes before the
// newline):
//
//   {"noun":"prog","verb":"swap","args":["lb.o"],"options":{"engine":"jit"}}
//
//   noun     string, required, not empty: what the command is about
//            (prog, map, stats, trace, ...)
//   verb     string, optional, "" when absent: what to do with it
//            (list, show, swap, dump, lookup, ...); `stats` and `trace` need none
//   args     array of strings, optional: the positional operands
//   options  object, optional: named settings whose values are strings,
//            numbers, booleans or null (no nesting, so handlers read them
//            with one type check)
//
// Any other top-level field is refused, so that a misspelt field is an error
// instead of an option silently ignored.
//
// Server to client, for each request: zero or more stream items, then one
// final reply:
//
//   {"item":<any JSON>}                   output of a followed command (trace)
//   {"ok":true,"result":<any JSON>}       success
//   {"ok":false,"error":{"subject":"prog 'x'","insn":12,"reason":"...",
//                        "message":"prog 'x': insn 12: ..."}}
//                                         failure; "insn" only when the error
//                                         is about one instruction, "source"
//                                         (its C line, "fw.bpf.c:88 '...'")
//                                         only when the object says it
//
// A followed command (trace) streams items until the client closes the
// connection, like trace_pipe; it gets a final reply only when the server
// ends the stream itself (it is stopping).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "vm/error.h"

namespace xdpdk::control {

// The longest request line the server reads, newline excluded. A longer one
// is answered with an error and the connection closed.
constexpr size_t kMaxRequestBytes = size_t{1} << 20;

struct Request {
    std::string noun;
    std::string verb;
    std::vector<std::string> args;
    nlohmann::json options = nlohmann::json::object();

    // "prog swap" / "stats": names the command in error messages.
    std::string command() const;
    bool operator==(const Request&) const = default;
};

// One request line (its trailing newline, if any, already removed). Errors
// have the subject "request": `request: not JSON: ...`, `request: missing
// "noun"`, `request: "args" must be an array of strings`, ...
Result<Request> parse_request(std::string_view line);

// The request as one JSON line, newline included; parse_request reads it back.
std::string encode_request(const Request& request);

// Replies.
nlohmann::json ok_reply(nlohmann::json result);
nlohmann::json error_reply(const Error& error);
nlohmann::json stream_item(nlohmann::json item);

// One line of the wire, newline included. Bytes that are not UTF-8 in strings
// (an error that quotes the client's input) become U+FFFD instead of failing.
std::string encode_line(const nlohmann::json& message);

// A line the client receives.
struct ReplyLine {
    enum class Kind { Item, Ok, Error };
    Kind kind = Kind::Ok;
    nlohmann::json value;  // the item or the result
    Error error;           // Kind::Error: the server's error, whole
};

// Errors have the subject "reply" (a line that is none of the three forms).
Result<ReplyLine> parse_reply(std::string_view line);

}  // namespace xdpdk::control
