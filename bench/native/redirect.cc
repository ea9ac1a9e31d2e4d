// redirect.bpf.c: per-port counters (per-CPU array), LLDP to a monitor port,
// everything else to the paired port of a devmap.
#include <arpa/inet.h>
#include <linux/if_ether.h>

#include <cstring>

#include "map_access.h"
#include "native_samples.h"

namespace xdpdk::bench::native {
namespace {

constexpr uint16_t kEthPLldp = 0x88cc;

struct RedirectConfig {
    uint32_t monitor_ifindex;
};
struct PortCounter {
    uint64_t packets;
    uint64_t bytes;
};

class Redirect final : public NativeProgram {
public:
    Redirect(vm::Map* tx_port, ArrayValues config, ArrayValues stats)
        : tx_port_(tx_port), config_(config), stats_(stats) {}

    uint64_t run(vm::XdpBuff& x, vm::ExecContext& ex) override {
        const uint32_t ingress = x.ingress_ifindex;
        auto* eth = reinterpret_cast<ethhdr*>(x.data);
        if (x.data + sizeof(ethhdr) > x.data_end) return vm::XDP_DROP;

        if (ingress < stats_.max_entries) {
            auto* counter = stats_.at<PortCounter>(ingress, ex.cpu);
            counter->packets++;
            counter->bytes += static_cast<uint64_t>(x.data_end - x.data);
        }
        if (eth->h_proto == htons(kEthPLldp)) {
            const auto* cfg = config_.at<RedirectConfig>(0, 0);
            if (cfg->monitor_ifindex) {
                ex.redirect =
                    vm::RedirectTarget{vm::RedirectTarget::Kind::Ifindex, cfg->monitor_ifindex, nullptr, 0, 0};
                return vm::XDP_REDIRECT;
            }
        }
        // bpf_redirect_map(&tx_port, ingress, XDP_PASS).
        const void* pair = tx_port_->lookup(&ingress, ex.cpu);
        if (pair == nullptr) return vm::XDP_PASS;
        uint32_t ifindex;
        std::memcpy(&ifindex, pair, sizeof ifindex);
        ex.redirect = vm::RedirectTarget{vm::RedirectTarget::Kind::Map, ifindex, tx_port_, ingress, vm::XDP_PASS};
        return vm::XDP_REDIRECT;
    }

private:
    vm::Map* tx_port_;
    ArrayValues config_, stats_;
};

}  // namespace

Result<std::unique_ptr<NativeProgram>> make_redirect(vm::Object& obj) {
    XDPDK_ASSIGN_OR_RETURN(vm::Map * tx_port, find_typed_map(obj, "tx_port", vm::MapType::Devmap));
    XDPDK_ASSIGN_OR_RETURN(ArrayValues config, find_array(obj, "redirect_cfg", sizeof(RedirectConfig)));
    XDPDK_ASSIGN_OR_RETURN(ArrayValues stats, find_array(obj, "rx_stats", sizeof(PortCounter)));
    return std::unique_ptr<NativeProgram>(new Redirect(tx_port, config, stats));
}

}  // namespace xdpdk::bench::native
