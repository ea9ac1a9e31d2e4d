// BPF_MAP_TYPE_XSKMAP: slots that hold AF_XDP sockets, for bpf_redirect_map
// to hand frames to a userspace application. Here a slot is bound to an
// xdpdk port instead (`xdpdk run --xsk MAP[SLOT]=port:N`: a net_memif or
// net_ring port towards another DPDK application, or a tap), stored as the
// port's ifindex; a redirect into it goes out of that port. An unbound slot
// is a slot without a socket: the redirect fails with the flags' action.
//
// Kernel semantics (net/xdp/xskmap.c): key and value 4 bytes, flags only
// NUMA_NODE/RDONLY/WRONLY; user-side lookups are -EOPNOTSUPP; a user-side
// update takes a socket fd, which does not exist here: -EBADF, as for an fd
// that is no file (bind with bind_port()); delete empties the slot (-EINVAL
// beyond max_entries). Programs may look a slot up (non-null when bound) and
// redirect into it; the verifier allows nothing else.
#pragma once

#include <atomic>
#include <memory>

#include "vm/map.h"

namespace xdpdk::vm::maps {

class Xskmap final : public Map {
public:
    static Result<std::unique_ptr<Map>> create(const MapSpec& spec, uint32_t ncpus);

    void* lookup(const void* key, uint32_t cpu) override;
    long update(const void*, const void*, uint64_t, uint32_t) override { return -95; }  // -EOPNOTSUPP
    long remove(const void* key) override;

    long user_lookup(const void*, void*) const override { return -95; }  // -EOPNOTSUPP, as the kernel's
    long user_update(const void* key, const void* value, uint64_t flags) override;
    long user_delete(const void* key) override;
    long next_key(const void* key, void* next_out) const override;

    // Binds `slot` to the port with this ifindex (0 unbinds); -E2BIG beyond max_entries.
    long bind_port(uint32_t slot, uint32_t ifindex);
    // The bound port's ifindex, 0 when the slot has no socket.
    uint32_t bound(uint32_t slot) const {
        return slot < spec_.max_entries ? slots_[slot].load(std::memory_order_acquire) : 0;
    }

private:
    Xskmap(const MapSpec& spec, uint32_t ncpus);

    std::unique_ptr<std::atomic<uint32_t>[]> slots_;
};

}  // namespace xdpdk::vm::maps
