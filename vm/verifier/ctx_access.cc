#include "ctx_access.h"

#include "../xdp.h"
#include "text.h"

namespace xdpdk::vm::verifier {

std::optional<CtxRead> xdp_ctx_read(int64_t off, unsigned size, XdpAttach attach, std::string* why) {
    const std::string where = cat("invalid bpf_context access off=", off, " size=", size);
    if (off < 0 || off >= xdp_md::size || size != 4 || off % 4 != 0) {
        *why = where;
        return std::nullopt;
    }
    switch (off) {
        case xdp_md::data: return CtxRead{RegType::Packet};
        case xdp_md::data_end: return CtxRead{RegType::PacketEnd};
        case xdp_md::data_meta: return CtxRead{RegType::PacketMeta};
        case xdp_md::egress_ifindex:
            if (attach == XdpAttach::Devmap) return CtxRead{RegType::Scalar};
            *why = cat(where, " (egress_ifindex is only readable by devmap programs, sections xdp/devmap or xdp_devmap/...)");
            return std::nullopt;
        default: return CtxRead{RegType::Scalar};
    }
}

}  // namespace xdpdk::vm::verifier
