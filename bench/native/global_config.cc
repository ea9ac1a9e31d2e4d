// global_config.bpf.c: knobs in .rodata (read at run time, as set before
// load), counters in .bss, a log budget in .data.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>

#include "map_access.h"
#include "native_samples.h"

namespace xdpdk::bench::native {
namespace {

struct Globals {
    const uint8_t* blocked_proto;
    const uint16_t* max_frame_len;
    const uint8_t* log_drops;
    uint64_t* packets_seen;
    uint64_t* bytes_seen;
    uint64_t* packets_dropped;
    int32_t* log_budget;
};

void add(uint64_t* counter, uint64_t n) { __atomic_fetch_add(counter, n, __ATOMIC_RELAXED); }

class GlobalConfig final : public NativeProgram {
public:
    explicit GlobalConfig(Globals g) : g_(g) {}

    uint64_t run(vm::XdpBuff& x, vm::ExecContext&) override {
        const uint32_t len = static_cast<uint32_t>(x.data_end - x.data);
        auto* eth = reinterpret_cast<ethhdr*>(x.data);
        uint8_t proto = 0;

        add(g_.packets_seen, 1);
        add(g_.bytes_seen, len);
        if (x.data + sizeof(ethhdr) > x.data_end) return vm::XDP_DROP;
        uint8_t* l3 = x.data + sizeof(ethhdr);
        if (eth->h_proto == htons(ETH_P_IP)) {
            if (l3 + sizeof(iphdr) > x.data_end) return vm::XDP_DROP;
            proto = reinterpret_cast<iphdr*>(l3)->protocol;
        } else if (eth->h_proto == htons(ETH_P_IPV6)) {
            if (l3 + sizeof(ipv6hdr) > x.data_end) return vm::XDP_DROP;
            proto = reinterpret_cast<ipv6hdr*>(l3)->nexthdr;
        }
        if (*g_.max_frame_len && len > *g_.max_frame_len) return drop();
        if (*g_.blocked_proto && proto == *g_.blocked_proto) return drop();
        return vm::XDP_PASS;
    }

private:
    // The sample also prints the drop with bpf_printk; the benchmark's main
    // paths pass, so that is left out here.
    uint64_t drop() {
        add(g_.packets_dropped, 1);
        if (*g_.log_drops && *g_.log_budget > 0) --*g_.log_budget;
        return vm::XDP_DROP;
    }

    Globals g_;
};

}  // namespace

Result<std::unique_ptr<NativeProgram>> make_global_config(vm::Object& obj) {
    Globals g{};
    XDPDK_ASSIGN_OR_RETURN(g.blocked_proto, find_global(obj, "blocked_proto", 1));
    XDPDK_ASSIGN_OR_RETURN(const uint8_t* max_frame_len, find_global(obj, "max_frame_len", 2));
    g.max_frame_len = reinterpret_cast<const uint16_t*>(max_frame_len);
    XDPDK_ASSIGN_OR_RETURN(g.log_drops, find_global(obj, "log_drops", 1));
    XDPDK_ASSIGN_OR_RETURN(uint8_t* seen, find_global(obj, "packets_seen", 8));
    XDPDK_ASSIGN_OR_RETURN(uint8_t* bytes, find_global(obj, "bytes_seen", 8));
    XDPDK_ASSIGN_OR_RETURN(uint8_t* dropped, find_global(obj, "packets_dropped", 8));
    XDPDK_ASSIGN_OR_RETURN(uint8_t* budget, find_global(obj, "log_budget", 4));
    g.packets_seen = reinterpret_cast<uint64_t*>(seen);
    g.bytes_seen = reinterpret_cast<uint64_t*>(bytes);
    g.packets_dropped = reinterpret_cast<uint64_t*>(dropped);
    g.log_budget = reinterpret_cast<int32_t*>(budget);
    return std::unique_ptr<NativeProgram>(new GlobalConfig(g));
}

}  // namespace xdpdk::bench::native
