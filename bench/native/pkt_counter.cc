// pkt_counter.bpf.c: per-protocol packet and byte counters in a per-CPU array.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>

#include "map_access.h"
#include "native_samples.h"

namespace xdpdk::bench::native {
namespace {

enum ProtoSlot : uint32_t {
    kNonIp = 0,
    kIpv4Tcp,
    kIpv4Udp,
    kIpv4Icmp,
    kIpv4Other,
    kIpv6Tcp,
    kIpv6Udp,
    kIpv6Icmp,
    kIpv6Other,
    kMalformed,
    kSlotCount,
};

struct ProtoCounter {
    uint64_t packets;
    uint64_t bytes;
};

struct VlanHeader {
    uint16_t tci;
    uint16_t encapsulated_proto;
};

bool is_vlan(uint16_t proto) { return proto == htons(ETH_P_8021Q) || proto == htons(ETH_P_8021AD); }

uint32_t l4_slot(uint8_t l4_proto, uint8_t icmp_proto, uint32_t first_slot) {
    if (l4_proto == IPPROTO_TCP) return first_slot;
    if (l4_proto == IPPROTO_UDP) return first_slot + 1;
    if (l4_proto == icmp_proto) return first_slot + 2;
    return first_slot + 3;
}

uint32_t classify(uint8_t* data, uint8_t* data_end) {
    auto* eth = reinterpret_cast<ethhdr*>(data);
    uint8_t* cursor = data + sizeof(ethhdr);
    if (cursor > data_end) return kMalformed;
    uint16_t proto = eth->h_proto;
    for (int i = 0; i < 2; ++i) {
        if (!is_vlan(proto)) break;
        auto* vlan = reinterpret_cast<VlanHeader*>(cursor);
        if (cursor + sizeof(VlanHeader) > data_end) return kMalformed;
        proto = vlan->encapsulated_proto;
        cursor += sizeof(VlanHeader);
    }
    if (proto == htons(ETH_P_IP)) {
        auto* iph = reinterpret_cast<iphdr*>(cursor);
        if (cursor + sizeof(iphdr) > data_end || iph->ihl < 5) return kMalformed;
        if (cursor + iph->ihl * 4 > data_end) return kMalformed;
        return l4_slot(iph->protocol, IPPROTO_ICMP, kIpv4Tcp);
    }
    if (proto == htons(ETH_P_IPV6)) {
        auto* ip6h = reinterpret_cast<ipv6hdr*>(cursor);
        if (cursor + sizeof(ipv6hdr) > data_end) return kMalformed;
        return l4_slot(ip6h->nexthdr, IPPROTO_ICMPV6, kIpv6Tcp);
    }
    return kNonIp;
}

class PktCounter final : public NativeProgram {
public:
    explicit PktCounter(ArrayValues stats) : stats_(stats) {}

    uint64_t run(vm::XdpBuff& x, vm::ExecContext& ex) override {
        ProtoCounter* counter = stats_.at<ProtoCounter>(classify(x.data, x.data_end), ex.cpu);
        counter->packets++;
        counter->bytes += static_cast<uint64_t>(x.data_end - x.data);
        return vm::XDP_PASS;
    }

private:
    ArrayValues stats_;
};

}  // namespace

Result<std::unique_ptr<NativeProgram>> make_pkt_counter(vm::Object& obj) {
    XDPDK_ASSIGN_OR_RETURN(ArrayValues stats, find_array(obj, "proto_stats", sizeof(ProtoCounter)));
    if (stats.max_entries < kSlotCount) return make_error("map 'proto_stats'", "fewer slots than protocols");
    return std::unique_ptr<NativeProgram>(new PktCounter(stats));
}

}  // namespace xdpdk::bench::native
