// libFuzzer target: arbitrary bytes as one request line of the control
// channel (dataplane/control/ctl_protocol.h), as the server hands a line
// from a client to parse_request, and as the client reads a reply line.
//
// Besides crashes and sanitizer reports, the target stops when:
//   - a refusal is not one clear error: subject "request", no instruction
//     index, a reason that is short printable ASCII (it is sent back, and
//     quotes the client's bytes), and an error reply that reads back whole;
//   - an accepted request does not survive encode_request -> parse_request
//     unchanged (what the client sends is what the server reads).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dataplane/control/ctl_protocol.h"
#include "fuzz/fuzz_check.h"

using namespace xdpdk;
using namespace xdpdk::control;

namespace {

using fuzz::fail;

void check_refusal(const Error& e) {
    if (e.subject != "request" || e.insn != -1 || e.reason.empty()) fail("malformed error", e.str());
    if (e.reason.size() > 400) fail("reason too long", e.str().substr(0, 400));
    for (unsigned char c : e.reason) {
        if (c < 0x20 || c >= 0x7f) fail("reason not printable ASCII", e.str());
    }
    auto back = parse_reply(encode_line(error_reply(e)));
    if (!back) fail("error reply does not read back", back.error().str());
    if (back->kind != ReplyLine::Kind::Error || back->error.subject != e.subject || back->error.reason != e.reason ||
        back->error.insn != e.insn) {
        fail("error reply reads back different", e.str());
    }
}

void check_round_trip(const Request& request) {
    if (request.noun.empty()) fail("accepted an empty noun", "");
    if (!request.options.is_object()) fail("options not an object", request.options.dump());
    const std::string line = encode_request(request);
    if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1) fail("not one line", line);
    auto back = parse_request(std::string_view(line).substr(0, line.size() - 1));
    if (!back) fail("encoded request refused", back.error().str() + " for " + line);
    if (!(*back == request)) fail("encoded request reads back different", line);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    auto request = parse_request(line);
    if (request) {
        check_round_trip(*request);
    } else {
        check_refusal(request.error());
    }
    // The client's side of the same bytes: an error or a reply, never a crash.
    (void)parse_reply(line);
    return 0;
}
