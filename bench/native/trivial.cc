// xdp_pass.bpf.c and xdp_drop.bpf.c, and mac_swap.bpf.c.
#include <linux/if_ether.h>

#include <cstring>

#include "native_samples.h"

namespace xdpdk::bench::native {
namespace {

class Pass final : public NativeProgram {
public:
    uint64_t run(vm::XdpBuff&, vm::ExecContext&) override { return vm::XDP_PASS; }
};

class Drop final : public NativeProgram {
public:
    uint64_t run(vm::XdpBuff&, vm::ExecContext&) override { return vm::XDP_DROP; }
};

class MacSwap final : public NativeProgram {
public:
    uint64_t run(vm::XdpBuff& x, vm::ExecContext&) override {
        auto* eth = reinterpret_cast<ethhdr*>(x.data);
        if (x.data + sizeof(ethhdr) > x.data_end) return vm::XDP_DROP;
        unsigned char tmp[ETH_ALEN];
        std::memcpy(tmp, eth->h_source, ETH_ALEN);
        std::memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
        std::memcpy(eth->h_dest, tmp, ETH_ALEN);
        return vm::XDP_TX;
    }
};

}  // namespace

Result<std::unique_ptr<NativeProgram>> make_pass(vm::Object&) { return std::unique_ptr<NativeProgram>(new Pass); }
Result<std::unique_ptr<NativeProgram>> make_drop(vm::Object&) { return std::unique_ptr<NativeProgram>(new Drop); }
Result<std::unique_ptr<NativeProgram>> make_mac_swap(vm::Object&) {
    return std::unique_ptr<NativeProgram>(new MacSwap);
}

}  // namespace xdpdk::bench::native
