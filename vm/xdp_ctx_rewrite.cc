#include "xdp_ctx_rewrite.h"

#include <cstddef>

#include "xdp.h"

namespace xdpdk::vm {
namespace {

struct CtxField {
    int16_t xdp_md_off;
    int16_t runtime_off;
    uint8_t runtime_code;
};

constexpr CtxField kFields[] = {
    {xdp_md::data, offsetof(XdpBuff, data), 0x79},
    {xdp_md::data_end, offsetof(XdpBuff, data_end), 0x79},
    {xdp_md::data_meta, offsetof(XdpBuff, data_meta), 0x79},
    {xdp_md::ingress_ifindex, offsetof(XdpBuff, ingress_ifindex), 0x61},
    {xdp_md::rx_queue_index, offsetof(XdpBuff, rx_queue_index), 0x61},
    {xdp_md::egress_ifindex, offsetof(XdpBuff, egress_ifindex), 0x61},
};

}  // namespace

Status rewrite_xdp_ctx(const std::string& subject, std::vector<RawInsn>& insns, std::span<const uint32_t> ctx_loads) {
    for (const uint32_t pc : ctx_loads) {
        if (pc >= insns.size()) return make_insn_error(subject, pc, "xdp_md load outside the program");
        RawInsn& in = insns[pc];
        const CtxField* field = nullptr;
        for (const auto& f : kFields)
            if (f.xdp_md_off == in.off) field = &f;
        // The verifier only reports 4-byte loads of known fields; anything
        // else means the two disagree, which must not run.
        if (in.code != 0x61 || field == nullptr)
            return make_insn_error(subject, pc, "not a 4-byte load of an xdp_md field; cannot rewrite it");
        in.code = field->runtime_code;
        in.off = field->runtime_off;
    }
    return {};
}

}  // namespace xdpdk::vm
