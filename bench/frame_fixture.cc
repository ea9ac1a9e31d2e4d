#include "frame_fixture.h"

#include <algorithm>
#include <cstring>

namespace xdpdk::bench {

namespace {
constexpr size_t kHeaderRestoreLen = 64;
}

std::string RunOutcome::summary() const {
    return std::string(vm::xdp_action_name(action)) + ", " + std::to_string(data.size()) + " bytes, meta " +
           std::to_string(meta.size()) + ", redirect " + std::to_string(redirect_ifindex);
}

FrameFixture::FrameFixture(const test::Bytes& packet, uint32_t ingress_ifindex)
    : packet_(packet), frame_(packet, ingress_ifindex), initial_(frame_.xdp()), restore_len_(packet.size()) {}

void FrameFixture::learn_restore_len() {
    frame_.xdp() = initial_;
    const size_t header_len = std::min(packet_.size(), kHeaderRestoreLen);
    std::memcpy(initial_.data, packet_.data(), header_len);
    const bool rest_untouched = std::memcmp(initial_.data, packet_.data(), packet_.size()) == 0;
    restore_len_ = rest_untouched ? header_len : packet_.size();
    restore();
}

}  // namespace xdpdk::bench
