#include "xdp.h"

namespace xdpdk::vm {

const char* xdp_action_name(uint64_t action) {
    switch (action) {
        case XDP_DROP: return "XDP_DROP";
        case XDP_PASS: return "XDP_PASS";
        case XDP_TX: return "XDP_TX";
        case XDP_REDIRECT: return "XDP_REDIRECT";
        default: return "XDP_ABORTED";
    }
}

}  // namespace xdpdk::vm
