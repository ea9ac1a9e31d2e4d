// A worker's transmit buffer for one port: packets collect during a burst
// and leave in one rte_eth_tx_burst on this worker's tx queue. What the ring
// does not take is counted as tx drops and freed.
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "dp_counters.h"
#include "dp_runtime.h"

namespace xdpdk::dataplane {

class TxBuffer {
public:
    void init(uint16_t port, uint16_t queue, rte_spinlock_t* shared_queue_lock, uint16_t capacity,
              PortCounters* counters) {
        port_ = port;
        queue_ = queue;
        lock_ = shared_queue_lock;
        capacity_ = capacity;
        counters_ = counters;
    }

    // Sends at once when the buffer fills; else at the worker's flush.
    void push(rte_mbuf* m) {
        pkts_[count_++] = m;
        bytes_ += m->pkt_len;
        if (count_ == capacity_) [[unlikely]]
            flush();
    }

    // A burst's worth at once (n <= capacity), in order after what is buffered.
    void push_burst(rte_mbuf* const* pkts, uint16_t n, uint64_t bytes) {
        if (count_ + n > capacity_) flush();
        std::memcpy(pkts_ + count_, pkts, n * sizeof(rte_mbuf*));
        count_ = static_cast<uint16_t>(count_ + n);
        bytes_ += bytes;
        if (count_ == capacity_) flush();
    }

    void flush() {
        if (count_ == 0) return;
        uint16_t sent;
        if (lock_ == nullptr) [[likely]] {
            sent = rte_eth_tx_burst(port_, queue_, pkts_, count_);
        } else {
            rte_spinlock_lock(lock_);
            sent = rte_eth_tx_burst(port_, queue_, pkts_, count_);
            rte_spinlock_unlock(lock_);
        }
        if (sent < count_) [[unlikely]] {
            for (uint16_t i = sent; i < count_; ++i) bytes_ -= pkts_[i]->pkt_len;
            counters_->tx_drops.add(count_ - sent);
            rte_pktmbuf_free_bulk(pkts_ + sent, count_ - sent);
        }
        counters_->tx_packets.add(sent);
        counters_->tx_bytes.add(bytes_);
        count_ = 0;
        bytes_ = 0;
    }

    bool empty() const { return count_ == 0; }

private:
    uint16_t port_ = 0, queue_ = 0, capacity_ = 1, count_ = 0;
    uint64_t bytes_ = 0;
    rte_spinlock_t* lock_ = nullptr;
    PortCounters* counters_ = nullptr;
    rte_mbuf* pkts_[kMaxBurst];
};

}  // namespace xdpdk::dataplane
