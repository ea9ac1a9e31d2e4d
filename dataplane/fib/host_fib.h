// `--fib host`: the host kernel's routing and neighbour tables as xdpdk's
// FIB. A dump over rtnetlink at start (links with MAC, MTU and the
// forwarding sysctls, addresses, IPv4 and IPv6 routes of every table,
// neighbours in a valid state), then a thread that follows the kernel's
// RTM_NEW/DEL{ROUTE,NEIGH,LINK,ADDR} notifications and publishes a fresh
// snapshot after each batch of them. Everything happens in the network
// namespace of the thread that calls dump_host_fib / HostFibMirror::start.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "vm/error.h"
#include "vm/fib.h"
#include "vm/fib_table.h"

namespace xdpdk::fib {

// The host's tables as they are now.
Result<vm::FibEntries> dump_host_fib();

class HostFibMirror {
public:
    // Called on every dump before it is published: maps host ifindexes to
    // xdpdk ports (replacing host devices with the ports' MAC and MTU).
    using Adjust = std::function<void(vm::FibEntries&)>;

    // Dumps, publishes into `fib`, and starts following changes. `fib`
    // outlives the mirror.
    static Result<std::unique_ptr<HostFibMirror>> start(vm::Fib& fib, Adjust adjust = {});
    ~HostFibMirror();  // stops following
    HostFibMirror(const HostFibMirror&) = delete;
    HostFibMirror& operator=(const HostFibMirror&) = delete;

    // Snapshots published so far (the first dump counts).
    uint64_t published() const { return published_.load(std::memory_order_acquire); }

private:
    HostFibMirror(vm::Fib& fib, Adjust adjust, int events_fd);
    void follow();
    Status republish();

    vm::Fib& fib_;
    Adjust adjust_;
    int events_fd_;
    std::atomic<bool> stop_{false};
    std::atomic<uint64_t> published_{0};
    std::thread thread_;
};

}  // namespace xdpdk::fib
