// The frame every xdpdk-side benchmark row runs on (interpreter, JIT, native
// C): a scenario's main-path packet in a kernel-like frame, put back between
// runs, and what a run produced, so that rows can be checked against the
// interpreter before they are timed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "tests/tools/sample_scenarios.h"
#include "vm/exec_context.h"
#include "vm/packet.h"
#include "vm/xdp.h"

namespace xdpdk::bench {

// What one run left behind: verdict, packet, metadata, redirect target.
struct RunOutcome {
    uint64_t action = 0;
    test::Bytes data;
    test::Bytes meta;
    uint32_t redirect_ifindex = 0;

    bool operator==(const RunOutcome&) const = default;
    // "XDP_TX, 84 bytes, meta 0, redirect 0"
    std::string summary() const;
};

class FrameFixture {
public:
    FrameFixture(const test::Bytes& packet, uint32_t ingress_ifindex);

    vm::XdpBuff& xdp() { return frame_.xdp(); }

    // Back to the original packet: the frame pointers and the bytes the
    // programs write. Call learn_restore_len() after a first run to find
    // out how many bytes that is.
    void restore() {
        frame_.xdp() = initial_;
        std::memcpy(initial_.data, packet_.data(), restore_len_);
    }

    // The samples rewrite headers only: 64 bytes are restored unless the
    // first run wrote further in, then the whole packet.
    void learn_restore_len();

    RunOutcome outcome(uint64_t action, const vm::ExecContext& ex) {
        return {action, to_bytes(frame_.data()), to_bytes(frame_.meta()), ex.redirect.ifindex};
    }

private:
    static test::Bytes to_bytes(std::span<const uint8_t> s) { return test::Bytes(s.begin(), s.end()); }

    test::Bytes packet_;
    vm::PacketFrame frame_;
    vm::XdpBuff initial_;
    size_t restore_len_;
};

}  // namespace xdpdk::bench
