// Map helpers and redirects: thin adapters from registers to the Map interface.
#include <cerrno>

#include "helper_impl.h"
#include "maps/cpumap.h"
#include "maps/xskmap.h"
#include "maps/devmap_broadcast.h"
#include "map.h"
#include "xdp.h"

namespace xdpdk::vm {
namespace {
Map* as_map(uint64_t r) { return reinterpret_cast<Map*>(r); }
const void* as_ptr(uint64_t r) { return reinterpret_cast<const void*>(r); }
uint64_t ret(long v) { return static_cast<uint64_t>(static_cast<int64_t>(v)); }

constexpr uint64_t kActionMask = 3;  // XDP_ABORTED|XDP_DROP|XDP_PASS|XDP_TX
constexpr uint64_t kBroadcast = maps::kRedirectBroadcast, kExcludeIngress = maps::kRedirectExcludeIngress;
}  // namespace

XDPDK_HELPER(helper_map_lookup_elem) {
    (void)r3, (void)r4, (void)r5;
    return reinterpret_cast<uint64_t>(as_map(r1)->lookup(as_ptr(r2), ex->cpu));
}

XDPDK_HELPER(helper_map_update_elem) {
    (void)r5;
    return ret(as_map(r1)->update(as_ptr(r2), as_ptr(r3), r4, ex->cpu));
}

XDPDK_HELPER(helper_map_delete_elem) {
    (void)r3, (void)r4, (void)r5, (void)ex;
    return ret(as_map(r1)->remove(as_ptr(r2)));
}

XDPDK_HELPER(helper_map_push_elem) {
    (void)r4, (void)r5, (void)ex;
    return ret(as_map(r1)->push(as_ptr(r2), r3));
}

XDPDK_HELPER(helper_map_pop_elem) {
    (void)r3, (void)r4, (void)r5, (void)ex;
    return ret(as_map(r1)->pop(reinterpret_cast<void*>(r2)));
}

XDPDK_HELPER(helper_map_peek_elem) {
    (void)r3, (void)r4, (void)r5, (void)ex;
    return ret(as_map(r1)->peek(reinterpret_cast<void*>(r2)));
}

// bpf_map_lookup_percpu_elem(map, key, cpu): the kernel's cpu is a u32,
// checked against nr_cpu_ids; here against the map's CPU slots.
XDPDK_HELPER(helper_map_lookup_percpu_elem) {
    (void)r4, (void)r5, (void)ex;
    Map* map = as_map(r1);
    const uint32_t cpu = static_cast<uint32_t>(r3);
    if (cpu >= map->ncpus()) return 0;
    return reinterpret_cast<uint64_t>(map->lookup(as_ptr(r2), cpu));
}

// bpf_redirect(ifindex, flags): XDP accepts no flags.
XDPDK_HELPER(helper_redirect) {
    (void)r3, (void)r4, (void)r5;
    if (r2 != 0) return XDP_ABORTED;
    ex->redirect = RedirectTarget{RedirectTarget::Kind::Ifindex, static_cast<uint32_t>(r1), nullptr, 0, 0};
    return XDP_REDIRECT;
}

namespace {

// An XSKMAP slot (maps/xskmap.h) goes out of the port it is bound to. The
// kernel's xsk_map_redirect allows no flag besides the action bits, which
// are the verdict for a slot without a socket.
uint64_t redirect_to_xsk(const maps::Xskmap& map, uint32_t slot, uint64_t flags, ExecContext* ex) {
    if (flags & ~kActionMask) return XDP_ABORTED;
    const uint32_t ifindex = map.bound(slot);
    if (ifindex == 0) {
        // No socket: nothing to redirect to; the slot is kept for replay's record.
        ex->redirect = RedirectTarget{RedirectTarget::Kind::None, 0, &map, slot, flags};
        return flags & kActionMask;
    }
    ex->redirect = RedirectTarget{RedirectTarget::Kind::Map, ifindex, &map, slot, flags};
    return XDP_REDIRECT;
}

}  // namespace

// bpf_redirect_map(map, key, flags): the low two flag bits are the action to
// return when the key has no entry, as in the kernel.
XDPDK_HELPER(helper_redirect_map) {
    (void)r4, (void)r5;
    Map* map = as_map(r1);
    const uint64_t flags = r3;
    if (map->type() == MapType::Xskmap)
        return redirect_to_xsk(*static_cast<const maps::Xskmap*>(map), static_cast<uint32_t>(r2), flags, ex);
    const bool devmap = map->type() == MapType::Devmap || map->type() == MapType::DevmapHash;
    // Only devmaps take the broadcast flags (the kernel's flag_mask per map type).
    const uint64_t allowed = kActionMask | (devmap ? kBroadcast | kExcludeIngress : 0);
    if (flags & ~allowed) return XDP_ABORTED;
    const uint32_t key = static_cast<uint32_t>(r2);
    if (flags & kBroadcast) {
        // Whatever the key holds: the frame goes to every entry.
        ex->redirect = RedirectTarget{RedirectTarget::Kind::Broadcast, 0, map, key, flags};
        return XDP_REDIRECT;
    }
    if (map->type() == MapType::Cpumap) {
        // The kernel's cpu_map_redirect, like xsk_map_redirect, allows no flag
        // besides the action bits.
        if (flags & ~kActionMask) return XDP_ABORTED;
        if (static_cast<const maps::Cpumap*>(map)->entry(key) == nullptr) return flags & kActionMask;
        ex->redirect = RedirectTarget{RedirectTarget::Kind::Cpu, 0, map, key, flags};
        return XDP_REDIRECT;
    }
    if (map->type() != MapType::Devmap && map->type() != MapType::DevmapHash) return flags & kActionMask;
    const void* value = map->lookup(&key, ex->cpu);
    if (value == nullptr) return flags & kActionMask;
    uint32_t ifindex;
    __builtin_memcpy(&ifindex, value, sizeof ifindex);
    ex->redirect = RedirectTarget{RedirectTarget::Kind::Map, ifindex, map, key, flags};
    return XDP_REDIRECT;
}

}  // namespace xdpdk::vm
