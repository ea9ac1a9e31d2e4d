// firewall.bpf.c: blocked source prefixes (LPM trie) and destination ports
// (hash), hits per rule (hash), verdict totals (array).
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

struct Ipv4LpmKey {
    uint32_t prefixlen;
    uint32_t addr;
};

struct PortKey {
    uint16_t port;
    uint8_t proto;
    uint8_t pad;
};

struct RuleHits {
    uint64_t packets;
    uint64_t bytes;
};

enum VerdictSlot : uint32_t { kPass = 0, kDropPrefix, kDropPort, kDropRunt, kVerdictCount };

struct FlowInfo {
    uint16_t dport;
    uint8_t l4_proto;
    uint8_t has_ports;
};

void add(uint64_t* counter, uint64_t n) { __atomic_fetch_add(counter, n, __ATOMIC_RELAXED); }

bool parse_l4(uint8_t* l4, uint8_t* data_end, uint8_t proto, FlowInfo& flow) {
    flow.l4_proto = proto;
    flow.has_ports = 0;
    if (proto == IPPROTO_TCP) {
        if (l4 + sizeof(tcphdr) > data_end) return false;
        flow.dport = reinterpret_cast<tcphdr*>(l4)->dest;
        flow.has_ports = 1;
    } else if (proto == IPPROTO_UDP) {
        if (l4 + sizeof(udphdr) > data_end) return false;
        flow.dport = reinterpret_cast<udphdr*>(l4)->dest;
        flow.has_ports = 1;
    }
    return true;
}

class Firewall final : public NativeProgram {
public:
    Firewall(vm::Map* blocked_src, vm::Map* blocked_ports, vm::Map* rule_counters, ArrayValues verdicts)
        : blocked_src_(blocked_src),
          blocked_ports_(blocked_ports),
          rule_counters_(rule_counters),
          verdicts_(verdicts) {}

    uint64_t run(vm::XdpBuff& x, vm::ExecContext& ex) override {
        uint8_t* data = x.data;
        uint8_t* data_end = x.data_end;
        const uint64_t bytes = static_cast<uint64_t>(data_end - data);
        auto* eth = reinterpret_cast<ethhdr*>(data);
        FlowInfo flow{};
        const uint32_t cpu = ex.cpu;

        if (data + sizeof(ethhdr) > data_end) return finish(kDropRunt, vm::XDP_DROP);
        uint8_t* l3 = data + sizeof(ethhdr);
        if (eth->h_proto == htons(ETH_P_IP)) {
            auto* iph = reinterpret_cast<iphdr*>(l3);
            if (l3 + sizeof(iphdr) > data_end || iph->ihl < 5) return finish(kPass, vm::XDP_PASS);
            const Ipv4LpmKey key{32, iph->saddr};
            if (auto* rule_id = static_cast<uint32_t*>(blocked_src_->lookup(&key, cpu))) {
                count_rule_hit(*rule_id, bytes, cpu);
                return finish(kDropPrefix, vm::XDP_DROP);
            }
            if (iph->frag_off & htons(0x1fff)) return finish(kPass, vm::XDP_PASS);
            if (!parse_l4(l3 + iph->ihl * 4, data_end, iph->protocol, flow)) return finish(kPass, vm::XDP_PASS);
        } else if (eth->h_proto == htons(ETH_P_IPV6)) {
            auto* ip6h = reinterpret_cast<ipv6hdr*>(l3);
            if (l3 + sizeof(ipv6hdr) > data_end) return finish(kPass, vm::XDP_PASS);
            if (!parse_l4(l3 + sizeof(ipv6hdr), data_end, ip6h->nexthdr, flow)) return finish(kPass, vm::XDP_PASS);
        } else {
            return finish(kPass, vm::XDP_PASS);
        }

        if (flow.has_ports) {
            const PortKey key{flow.dport, flow.l4_proto, 0};
            if (auto* rule_id = static_cast<uint32_t*>(blocked_ports_->lookup(&key, cpu))) {
                count_rule_hit(*rule_id, bytes, cpu);
                return finish(kDropPort, vm::XDP_DROP);
            }
        }
        return finish(kPass, vm::XDP_PASS);
    }

private:
    uint64_t finish(uint32_t slot, uint64_t action) {
        add(verdicts_.at<uint64_t>(slot, 0), 1);
        return action;
    }

    void count_rule_hit(uint32_t rule_id, uint64_t bytes, uint32_t cpu) {
        auto* hits = static_cast<RuleHits*>(rule_counters_->lookup(&rule_id, cpu));
        if (hits == nullptr) {
            const RuleHits first{1, bytes};
            if (rule_counters_->update(&rule_id, &first, vm::kNoExist, cpu) == 0) return;
            hits = static_cast<RuleHits*>(rule_counters_->lookup(&rule_id, cpu));
            if (hits == nullptr) return;
        }
        add(&hits->packets, 1);
        add(&hits->bytes, bytes);
    }

    vm::Map* blocked_src_;
    vm::Map* blocked_ports_;
    vm::Map* rule_counters_;
    ArrayValues verdicts_;
};

}  // namespace

Result<std::unique_ptr<NativeProgram>> make_firewall(vm::Object& obj) {
    XDPDK_ASSIGN_OR_RETURN(vm::Map * blocked_src, find_typed_map(obj, "blocked_src_v4", vm::MapType::LpmTrie));
    XDPDK_ASSIGN_OR_RETURN(vm::Map * blocked_ports, find_typed_map(obj, "blocked_dst_ports", vm::MapType::Hash));
    XDPDK_ASSIGN_OR_RETURN(vm::Map * rule_counters, find_typed_map(obj, "rule_counters", vm::MapType::Hash));
    XDPDK_ASSIGN_OR_RETURN(ArrayValues verdicts, find_array(obj, "verdicts", sizeof(uint64_t)));
    if (verdicts.max_entries < kVerdictCount) return make_error("map 'verdicts'", "fewer slots than verdicts");
    return std::unique_ptr<NativeProgram>(new Firewall(blocked_src, blocked_ports, rule_counters, verdicts));
}

}  // namespace xdpdk::bench::native
