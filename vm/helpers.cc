// Helper registry: the kernel's helper numbers mapped to this runtime's
// implementations. Each helper lives in the file of its family
// (helpers_map.cc, helpers_xdp.cc, helpers_misc.cc).
#include "helpers.h"

#include <array>

#include "helper_impl.h"
#include <linux/bpf.h>

#include "map.h"
#include "opcodes.h"

namespace xdpdk::vm {
namespace {

#define XDPDK_HELPER_NAME_(x) "bpf_" #x
constexpr const char* kKernelHelperNames[] = {__BPF_FUNC_MAPPER(XDPDK_HELPER_NAME_)};
#undef XDPDK_HELPER_NAME_
constexpr int32_t kNumKernelHelpers = sizeof(kKernelHelperNames) / sizeof(kKernelHelperNames[0]);

// Never called: engines carry out tail calls themselves (see tail_call_target).
uint64_t tail_call_placeholder(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, ExecContext*) {
    return static_cast<uint64_t>(-22);
}

constexpr std::array<HelperFn, kNumKernelHelpers> build_registry() {
    std::array<HelperFn, kNumKernelHelpers> t{};
    using namespace helper_id;
    t[MapLookupElem] = helper_map_lookup_elem;
    t[MapUpdateElem] = helper_map_update_elem;
    t[MapDeleteElem] = helper_map_delete_elem;
    t[KtimeGetNs] = helper_ktime_get_ns;
    t[TracePrintk] = helper_trace_printk;
    t[GetPrandomU32] = helper_get_prandom_u32;
    t[GetSmpProcessorId] = helper_get_smp_processor_id;
    t[TailCall] = tail_call_placeholder;
    t[Redirect] = helper_redirect;
    t[RedirectMap] = helper_redirect_map;
    t[XdpAdjustHead] = helper_xdp_adjust_head;
    t[XdpAdjustTail] = helper_xdp_adjust_tail;
    t[XdpAdjustMeta] = helper_xdp_adjust_meta;
    t[CsumDiff] = helper_csum_diff;
    t[XdpGetBuffLen] = helper_xdp_get_buff_len;
    t[XdpLoadBytes] = helper_xdp_load_bytes;
    t[XdpStoreBytes] = helper_xdp_store_bytes;
    return t;
}

constexpr std::array<HelperFn, kNumKernelHelpers> kRegistry = build_registry();

}  // namespace

HelperFn find_helper(int32_t id) {
    if (id <= 0 || id >= kNumKernelHelpers) return nullptr;
    return kRegistry[id];
}

std::string helper_name(int32_t id) {
    if (id <= 0 || id >= kNumKernelHelpers) return "helper#" + std::to_string(id);
    return kKernelHelperNames[id];
}

const Program* tail_call_target(uint64_t prog_array, uint64_t index, ExecContext* ex) {
    auto* map = reinterpret_cast<const Map*>(prog_array);
    if (map == nullptr || map->type() != MapType::ProgArray) return nullptr;
    // The kernel compares the 32-bit index against max_entries.
    const uint32_t i = static_cast<uint32_t>(index);
    if (i >= map->spec().max_entries) return nullptr;
    if (ex->tail_calls >= static_cast<uint32_t>(bpf::kMaxTailCalls)) return nullptr;
    const Program* next = map->program_at(i);
    if (next == nullptr) return nullptr;
    ++ex->tail_calls;
    return next;
}

}  // namespace xdpdk::vm
