#include "ctx_access.h"

#include "../xdp.h"

namespace xdpdk::vm::verifier {

std::optional<CtxRead> xdp_ctx_read(int64_t off, unsigned size, std::string* why) {
    const std::string where = "invalid bpf_context access off=" + std::to_string(off) + " size=" + std::to_string(size);
    if (off < 0 || off >= xdp_md::size || size != 4 || off % 4 != 0) {
        *why = where;
        return std::nullopt;
    }
    switch (off) {
        case xdp_md::data: return CtxRead{RegType::Packet};
        case xdp_md::data_end: return CtxRead{RegType::PacketEnd};
        case xdp_md::data_meta: return CtxRead{RegType::PacketMeta};
        case xdp_md::egress_ifindex:
            *why = where + " (egress_ifindex is only readable by devmap programs)";
            return std::nullopt;
        default: return CtxRead{RegType::Scalar};
    }
}

}  // namespace xdpdk::vm::verifier
