// tail_calls.bpf.c: an Ethernet -> IP -> L4 pipeline whose stages hand over
// through a per-CPU scratch slot. The eBPF stages chain with bpf_tail_call
// through a prog array; here each stage calls the next directly (the
// compiler may inline them), which is what a C programmer would write.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "map_access.h"
#include "native_samples.h"

namespace xdpdk::bench::native {
namespace {

enum Stage : uint32_t { kStageIpv4 = 0, kStageIpv6, kStageL4, kStageCount };
constexpr uint32_t kEntrySlot = kStageCount;
constexpr uint32_t kHitSlots = kStageCount + 2;
constexpr uint32_t kMaxL4Offset = 128;

struct ParseState {
    uint16_t l3_offset;
    uint16_t l4_offset;
    uint8_t l4_proto;
    uint8_t pad[3];
};

class TailCalls final : public NativeProgram {
public:
    TailCalls(ArrayValues scratch, ArrayValues hits) : scratch_(scratch), hits_(hits) {}

    uint64_t run(vm::XdpBuff& x, vm::ExecContext& ex) override {
        ParseState* st = scratch_.at<ParseState>(0, ex.cpu);
        hit(kEntrySlot);
        if (x.data + sizeof(ethhdr) > x.data_end) return vm::XDP_DROP;
        st->l3_offset = sizeof(ethhdr);
        const uint16_t proto = reinterpret_cast<ethhdr*>(x.data)->h_proto;
        if (proto == htons(ETH_P_IP)) return stage_ipv4(x, st);
        if (proto == htons(ETH_P_IPV6)) return stage_ipv6(x, st);
        return vm::XDP_PASS;
    }

private:
    void hit(uint32_t slot) { __atomic_fetch_add(hits_.at<uint64_t>(slot, 0), 1, __ATOMIC_RELAXED); }

    uint64_t stage_ipv4(vm::XdpBuff& x, ParseState* st) {
        hit(kStageIpv4);
        const uint32_t off = st->l3_offset;
        if (off > kMaxL4Offset) return vm::XDP_PASS;
        auto* iph = reinterpret_cast<iphdr*>(x.data + off);
        if (x.data + off + sizeof(iphdr) > x.data_end || iph->ihl < 5) return vm::XDP_DROP;
        if (iph->ttl <= 1) return vm::XDP_PASS;
        st->l4_offset = static_cast<uint16_t>(off + iph->ihl * 4);
        st->l4_proto = iph->protocol;
        return stage_l4(x, st);
    }

    uint64_t stage_ipv6(vm::XdpBuff& x, ParseState* st) {
        hit(kStageIpv6);
        const uint32_t off = st->l3_offset;
        if (off > kMaxL4Offset) return vm::XDP_PASS;
        auto* ip6h = reinterpret_cast<ipv6hdr*>(x.data + off);
        if (x.data + off + sizeof(ipv6hdr) > x.data_end) return vm::XDP_DROP;
        if (ip6h->hop_limit <= 1) return vm::XDP_PASS;
        st->l4_offset = static_cast<uint16_t>(off + sizeof(ipv6hdr));
        st->l4_proto = ip6h->nexthdr;
        return stage_l4(x, st);
    }

    uint64_t stage_l4(vm::XdpBuff& x, ParseState* st) {
        hit(kStageL4);
        const uint32_t off = st->l4_offset;
        if (off > kMaxL4Offset) return vm::XDP_PASS;
        if (st->l4_proto == IPPROTO_TCP) {
            auto* tcp = reinterpret_cast<tcphdr*>(x.data + off);
            if (x.data + off + sizeof(tcphdr) > x.data_end) return vm::XDP_DROP;
            if (tcp->syn && tcp->fin) return vm::XDP_DROP;
            if (!(tcp->syn | tcp->ack | tcp->fin | tcp->rst | tcp->psh | tcp->urg)) return vm::XDP_DROP;
        } else if (st->l4_proto == IPPROTO_UDP) {
            auto* udp = reinterpret_cast<udphdr*>(x.data + off);
            if (x.data + off + sizeof(udphdr) > x.data_end) return vm::XDP_DROP;
            if (udp->dest == 0) return vm::XDP_DROP;
        }
        return vm::XDP_PASS;
    }

    ArrayValues scratch_, hits_;
};

}  // namespace

Result<std::unique_ptr<NativeProgram>> make_tail_calls(vm::Object& obj) {
    XDPDK_ASSIGN_OR_RETURN(ArrayValues scratch, find_array(obj, "scratch", sizeof(ParseState)));
    XDPDK_ASSIGN_OR_RETURN(ArrayValues hits, find_array(obj, "stage_hits", sizeof(uint64_t)));
    if (hits.max_entries < kHitSlots) return make_error("map 'stage_hits'", "fewer slots than stages");
    return std::unique_ptr<NativeProgram>(new TailCalls(scratch, hits));
}

}  // namespace xdpdk::bench::native
