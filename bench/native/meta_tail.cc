// meta_tail.bpf.c: metadata in front of the frame, then the frame cut to a
// snap length or padded to the Ethernet minimum.
#include <linux/if_ether.h>

#include "map_access.h"
#include "native_samples.h"
#include "xdp_ops.h"

namespace xdpdk::bench::native {
namespace {

constexpr int kSnapLen = 128;
constexpr int kMinFrameLen = 60;
constexpr uint16_t kMetaMagic = 0x7a9e;

struct TapMeta {
    uint16_t magic;
    uint16_t ether_type;
    uint16_t orig_len;
    uint8_t ingress_port;
    uint8_t rx_queue;
};

enum TapStat : uint32_t { kSeen = 0, kTrimmed, kPadded, kNoMeta, kAdjustFailed, kTapStats };

class MetaTail final : public NativeProgram {
public:
    explicit MetaTail(ArrayValues stats) : stats_(stats) {}

    uint64_t run(vm::XdpBuff& x, vm::ExecContext&) override {
        const int len = static_cast<int>(x.data_end - x.data);
        bump(kSeen);
        if (!write_meta(x, static_cast<uint16_t>(len))) bump(kNoMeta);
        if (len > kSnapLen) {
            if (!adjust_tail(x, kSnapLen - len)) {
                bump(kAdjustFailed);
                return vm::XDP_DROP;
            }
            bump(kTrimmed);
        } else if (len < kMinFrameLen) {
            if (!adjust_tail(x, kMinFrameLen - len)) {
                bump(kAdjustFailed);
                return vm::XDP_DROP;
            }
            bump(kPadded);
        }
        return vm::XDP_PASS;
    }

private:
    void bump(uint32_t slot) { __atomic_fetch_add(stats_.at<uint64_t>(slot, 0), 1, __ATOMIC_RELAXED); }

    static bool write_meta(vm::XdpBuff& x, uint16_t len) {
        if (!adjust_meta(x, -static_cast<int32_t>(sizeof(TapMeta)))) return false;
        auto* meta = reinterpret_cast<TapMeta*>(x.data_meta);
        auto* eth = reinterpret_cast<ethhdr*>(x.data);
        if (x.data_meta + sizeof(TapMeta) > x.data || x.data + sizeof(ethhdr) > x.data_end) return false;
        meta->magic = kMetaMagic;
        meta->ether_type = eth->h_proto;
        meta->orig_len = len;
        meta->ingress_port = static_cast<uint8_t>(x.ingress_ifindex);
        meta->rx_queue = static_cast<uint8_t>(x.rx_queue_index);
        return true;
    }

    ArrayValues stats_;
};

}  // namespace

Result<std::unique_ptr<NativeProgram>> make_meta_tail(vm::Object& obj) {
    XDPDK_ASSIGN_OR_RETURN(ArrayValues stats, find_array(obj, "tap_stats", sizeof(uint64_t)));
    if (stats.max_entries < kTapStats) return make_error("map 'tap_stats'", "fewer slots than counters");
    return std::unique_ptr<NativeProgram>(new MetaTail(stats));
}

}  // namespace xdpdk::bench::native
