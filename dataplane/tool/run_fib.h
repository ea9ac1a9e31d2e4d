// The FIB of `xdpdk run`: every DPDK port as a device (its ifindex, MAC and
// MTU), the config's [[interface]]/[[route]]/[[neighbor]] tables (and those
// of --fib FILE), and with --fib host the host kernel's routes and
// neighbours, followed while running: host ifindexes are xdpdk ports through
// --ifindex PORT=N (a port given the ifindex of a host device stands for it).
#pragma once

#include <memory>

#include "dataplane/fib/host_fib.h"
#include "run_config.h"
#include "vm/fib.h"

namespace xdpdk::cli {

// The ifindex port `id` has for programs: --ifindex, else id + 1.
uint32_t port_ifindex(const RunConfig& config, uint16_t id);

class RunFib {
public:
    // After EAL has probed the ports.
    static Result<std::unique_ptr<RunFib>> start(const RunConfig& config);
    const vm::Fib* fib() const { return &fib_; }

private:
    vm::Fib fib_;
    std::unique_ptr<fib::HostFibMirror> mirror_;
};

}  // namespace xdpdk::cli
