// load_balancer.bpf.c: VIP lookup (hash), connection table (LRU hash),
// consistent-hash ring and backends (arrays), IP-in-IP encapsulation.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include <cstring>

#include "map_access.h"
#include "native_samples.h"
#include "xdp_ops.h"

namespace xdpdk::bench::native {
namespace {

constexpr uint32_t kMaxVips = 64;
constexpr uint32_t kRingSize = 1021;
constexpr uint32_t kHashSeed = 0x5eed1b00;
constexpr uint8_t kDefaultTtl = 64;
constexpr uint32_t kAllPorts = 1u << 0, kNoSrcPort = 1u << 1, kNoLru = 1u << 2;
enum StatSlot : uint32_t { kLruMiss = kMaxVips, kNoBackend, kEncapFail, kStatSlots };

struct VipKey {
    uint32_t addr;
    uint16_t port;
    uint8_t proto;
    uint8_t pad;
};
struct VipMeta {
    uint32_t flags;
    uint32_t vip_num;
};
struct RealDef {
    uint32_t addr;
    uint32_t flags;
};
struct FlowKey {
    uint32_t src;
    uint32_t dst;
    uint16_t sport;
    uint16_t dport;
    uint8_t proto;
    uint8_t pad[3];
};
struct ConnValue {
    uint32_t real_index;
    uint32_t packets;
};
struct LbConfig {
    unsigned char gw_mac[ETH_ALEN];
    uint16_t pad;
    uint32_t tunnel_src_net;
};
struct LbCounter {
    uint64_t packets;
    uint64_t bytes;
};

uint32_t rol32(uint32_t word, unsigned shift) { return (word << shift) | (word >> ((-shift) & 31)); }

uint32_t jhash_3words(uint32_t a, uint32_t b, uint32_t c, uint32_t initval) {
    initval += 0xdeadbeef + (3 << 2);
    a += initval;
    b += initval;
    c += initval;
    c ^= b; c -= rol32(b, 14);
    a ^= c; a -= rol32(c, 11);
    b ^= a; b -= rol32(a, 25);
    c ^= b; c -= rol32(b, 16);
    a ^= c; a -= rol32(c, 4);
    b ^= a; b -= rol32(a, 14);
    c ^= b; c -= rol32(b, 24);
    return c;
}

uint32_t flow_hash(const FlowKey& flow, uint32_t vip_flags) {
    const uint32_t sport = (vip_flags & kNoSrcPort) ? 0 : ntohs(flow.sport);
    const uint32_t ports = (sport << 16) | ntohs(flow.dport);
    return jhash_3words(ntohl(flow.src), ntohl(flow.dst), ports ^ flow.proto, kHashSeed);
}

class LoadBalancer final : public NativeProgram {
public:
    LoadBalancer(vm::Map* vips, vm::Map* conns, ArrayValues rings, ArrayValues reals, ArrayValues config,
                 ArrayValues stats)
        : vips_(vips), conns_(conns), rings_(rings), reals_(reals), config_(config), stats_(stats) {}

    uint64_t run(vm::XdpBuff& x, vm::ExecContext& ex) override {
        uint8_t* data = x.data;
        uint8_t* data_end = x.data_end;
        const uint64_t bytes = static_cast<uint64_t>(data_end - data);
        const uint32_t cpu = ex.cpu;
        auto* eth = reinterpret_cast<ethhdr*>(data);
        FlowKey flow{};
        bool is_syn = false;

        if (data + sizeof(ethhdr) > data_end) return vm::XDP_DROP;
        if (eth->h_proto != htons(ETH_P_IP)) return vm::XDP_PASS;
        uint8_t* l3 = data + sizeof(ethhdr);
        auto* iph = reinterpret_cast<iphdr*>(l3);
        if (l3 + sizeof(iphdr) > data_end) return vm::XDP_DROP;
        if (iph->ihl != 5 || (iph->frag_off & htons(0x3fff))) return vm::XDP_PASS;

        flow.src = iph->saddr;
        flow.dst = iph->daddr;
        flow.proto = iph->protocol;
        uint8_t* l4 = l3 + sizeof(iphdr);
        if (iph->protocol == IPPROTO_TCP) {
            auto* tcp = reinterpret_cast<tcphdr*>(l4);
            if (l4 + sizeof(tcphdr) > data_end) return vm::XDP_DROP;
            flow.sport = tcp->source;
            flow.dport = tcp->dest;
            is_syn = tcp->syn && !tcp->ack;
        } else if (iph->protocol == IPPROTO_UDP) {
            auto* udp = reinterpret_cast<udphdr*>(l4);
            if (l4 + sizeof(udphdr) > data_end) return vm::XDP_DROP;
            flow.sport = udp->source;
            flow.dport = udp->dest;
        } else {
            return vm::XDP_PASS;
        }

        VipKey vkey{flow.dst, flow.dport, flow.proto, 0};
        auto* vip = static_cast<VipMeta*>(vips_->lookup(&vkey, cpu));
        if (vip == nullptr) {
            vkey.port = 0;
            vip = static_cast<VipMeta*>(vips_->lookup(&vkey, cpu));
            if (vip == nullptr || !(vip->flags & kAllPorts)) return vm::XDP_PASS;
        }
        if (vip->vip_num < kMaxVips) count(vip->vip_num, bytes, cpu);

        const auto* cfg = config_.at<LbConfig>(0, 0);
        const RealDef* real = pick_real(flow, *vip, is_syn, cpu);
        if (real == nullptr) {
            count(kNoBackend, bytes, cpu);
            return vm::XDP_DROP;
        }
        if (!encap_ipip(x, *real, *cfg, flow.src)) {
            count(kEncapFail, bytes, cpu);
            return vm::XDP_DROP;
        }
        return vm::XDP_TX;
    }

private:
    void count(uint32_t slot, uint64_t bytes, uint32_t cpu) {
        auto* counter = stats_.at<LbCounter>(slot, cpu);
        counter->packets++;
        counter->bytes += bytes;
    }

    const RealDef* real_at(uint32_t index) const {
        return index < reals_.max_entries ? reals_.at<RealDef>(index, 0) : nullptr;
    }

    const RealDef* pick_real(const FlowKey& flow, const VipMeta& vip, bool is_syn, uint32_t cpu) {
        if (!is_syn && !(vip.flags & kNoLru)) {
            if (auto* conn = static_cast<ConnValue*>(conns_->lookup(&flow, cpu))) {
                const RealDef* real = real_at(conn->real_index);
                if (real != nullptr && real->addr) {
                    conn->packets++;
                    return real;
                }
            }
            count(kLruMiss, 0, cpu);
        }
        if (vip.vip_num >= kMaxVips) return nullptr;
        const uint32_t ring_pos = vip.vip_num * kRingSize + flow_hash(flow, vip.flags) % kRingSize;
        if (ring_pos >= rings_.max_entries) return nullptr;
        const uint32_t real_index = *rings_.at<uint32_t>(ring_pos, 0);
        const RealDef* real = real_at(real_index);
        if (real == nullptr || !real->addr) return nullptr;
        if (!(vip.flags & kNoLru)) {
            const ConnValue fresh{real_index, 1};
            conns_->update(&flow, &fresh, vm::kAny, cpu);
        }
        return real;
    }

    static bool encap_ipip(vm::XdpBuff& x, const RealDef& real, const LbConfig& cfg, uint32_t client_src) {
        auto* inner = reinterpret_cast<iphdr*>(x.data + sizeof(ethhdr));
        if (x.data + sizeof(ethhdr) + sizeof(iphdr) > x.data_end) return false;
        unsigned char our_mac[ETH_ALEN];
        std::memcpy(our_mac, reinterpret_cast<ethhdr*>(x.data)->h_dest, ETH_ALEN);
        const uint16_t inner_len = ntohs(inner->tot_len);
        const uint8_t tos = inner->tos;

        if (!adjust_head(x, -static_cast<int32_t>(sizeof(iphdr)))) return false;
        auto* eth = reinterpret_cast<ethhdr*>(x.data);
        auto* outer = reinterpret_cast<iphdr*>(x.data + sizeof(ethhdr));
        if (x.data + sizeof(ethhdr) + sizeof(iphdr) > x.data_end) return false;

        std::memcpy(eth->h_dest, cfg.gw_mac, ETH_ALEN);
        std::memcpy(eth->h_source, our_mac, ETH_ALEN);
        eth->h_proto = htons(ETH_P_IP);
        outer->version = 4;
        outer->ihl = sizeof(iphdr) / 4;
        outer->tos = tos;
        outer->tot_len = htons(static_cast<uint16_t>(inner_len + sizeof(iphdr)));
        outer->id = 0;
        outer->frag_off = htons(0x4000);
        outer->ttl = kDefaultTtl;
        outer->protocol = IPPROTO_IPIP;
        outer->check = 0;
        outer->saddr = (cfg.tunnel_src_net & htonl(0xffff0000)) | (client_src & htonl(0x0000ffff));
        outer->daddr = real.addr;
        outer->check = ipv4_header_checksum(outer);
        return true;
    }

    vm::Map* vips_;
    vm::Map* conns_;
    ArrayValues rings_, reals_, config_, stats_;
};

}  // namespace

Result<std::unique_ptr<NativeProgram>> make_load_balancer(vm::Object& obj) {
    XDPDK_ASSIGN_OR_RETURN(vm::Map * vips, find_typed_map(obj, "vip_map", vm::MapType::Hash));
    XDPDK_ASSIGN_OR_RETURN(vm::Map * conns, find_typed_map(obj, "conn_table", vm::MapType::LruHash));
    XDPDK_ASSIGN_OR_RETURN(ArrayValues rings, find_array(obj, "ch_rings", sizeof(uint32_t)));
    XDPDK_ASSIGN_OR_RETURN(ArrayValues reals, find_array(obj, "reals", sizeof(RealDef)));
    XDPDK_ASSIGN_OR_RETURN(ArrayValues config, find_array(obj, "lb_config", sizeof(LbConfig)));
    XDPDK_ASSIGN_OR_RETURN(ArrayValues stats, find_array(obj, "lb_stats", sizeof(LbCounter)));
    if (stats.max_entries < kStatSlots) return make_error("map 'lb_stats'", "fewer slots than counters");
    return std::unique_ptr<NativeProgram>(new LoadBalancer(vips, conns, rings, reals, config, stats));
}

}  // namespace xdpdk::bench::native
