// Traffic for an application-owned net_ring port, for the embedded-dataplane
// test and the swap benchmark: numbered 64-byte frames put on the port's rx
// ring, and what the program sends back (XDP_TX) taken off its tx ring and
// checked (each number once, the program's version stamp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct rte_mempool;
struct rte_ring;

namespace xdpdk::test {

// EAL once per process, as an application does: lcore 0 is the calling
// thread (on CPU 0), the others the dataplane's workers, given as EAL's
// --lcores (several workers may share CPU 1 on a 2-core machine). False when
// EAL cannot start here.
bool init_eal_once(const std::string& name, const std::string& lcores = "0@0,1@1");

// A net_ring port over two rings of our own: what we enqueue on `rx` the
// port receives; what it sends lands on `tx`.
struct RingPort {
    rte_ring* rx = nullptr;
    rte_ring* tx = nullptr;
    uint16_t port = UINT16_MAX;  // UINT16_MAX: not created
};
RingPort make_ring_port(const std::string& name);

class RingTraffic {
public:
    static constexpr uint32_t kFrame = 64;
    static constexpr size_t kStampOffset = 14;  // where swap_stamp.h writes its version
    static constexpr size_t kSeqOffset = 16;

    explicit RingTraffic(RingPort port);
    bool ok() const { return pool_ != nullptr; }

    // Room for `n` packet numbers, touched now, so that what the test keeps
    // does not grow its memory while it measures the dataplane's.
    void reserve_numbers(size_t n) { seen_.assign(n, 0); }

    // Sends up to `n` (at most 32) more packets, as many as the ring takes,
    // and collects what came back.
    void pump(unsigned n);
    void collect();

    uint64_t sent() const { return sent_; }
    uint64_t received() const { return received_; }
    const std::vector<uint8_t>& seen() const { return seen_; }  // by number: times received
    uint64_t stamp_changes() const { return stamp_changes_; }

private:
    RingPort port_;
    rte_mempool* pool_ = nullptr;
    uint64_t next_seq_ = 0, sent_ = 0, received_ = 0, stamp_changes_ = 0;
    uint8_t last_stamp_ = 0;
    std::vector<uint8_t> seen_;
};

uint64_t resident_bytes();

}  // namespace xdpdk::test
