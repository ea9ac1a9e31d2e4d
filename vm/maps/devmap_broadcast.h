// bpf_redirect_map(devmap, key, BPF_F_BROADCAST [| BPF_F_EXCLUDE_INGRESS]):
// the frame goes to every entry of the map, as the kernel's
// dev_map_enqueue_multi sends it (a devmap in index order, a devmap_hash
// bucket by bucket), leaving out the ingress device with
// BPF_F_EXCLUDE_INGRESS. Lock-free: callable from a program's run.
#pragma once

#include <cstdint>
#include <vector>

#include "devmap.h"
#include "devmap_hash.h"

namespace xdpdk::vm::maps {

constexpr uint64_t kRedirectBroadcast = 1u << 3;       // BPF_F_BROADCAST
constexpr uint64_t kRedirectExcludeIngress = 1u << 4;  // BPF_F_EXCLUDE_INGRESS

struct BroadcastTarget {
    uint32_t key;
    uint32_t ifindex;
};

// fn(target) for each target of a broadcast into `map` (a devmap or
// devmap_hash) of a frame received on `ingress_ifindex`.
template <typename Fn>
void for_each_broadcast_target(const Map& map, uint32_t ingress_ifindex, uint64_t flags, Fn&& fn) {
    const bool exclude = (flags & kRedirectExcludeIngress) != 0;
    auto visit = [&](uint32_t key, const DevmapValue& v) {
        if (exclude && v.ifindex == ingress_ifindex) return;
        fn(BroadcastTarget{key, v.ifindex});
    };
    if (map.type() == MapType::Devmap) static_cast<const Devmap&>(map).for_each_entry(visit);
    else if (map.type() == MapType::DevmapHash) static_cast<const DevmapHash&>(map).for_each_entry(visit);
}

inline std::vector<BroadcastTarget> broadcast_targets(const Map& map, uint32_t ingress_ifindex, uint64_t flags) {
    std::vector<BroadcastTarget> out;
    for_each_broadcast_target(map, ingress_ifindex, flags, [&](const BroadcastTarget& t) { out.push_back(t); });
    return out;
}

}  // namespace xdpdk::vm::maps
