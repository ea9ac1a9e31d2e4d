// The helper table (helpers.h). Each helper's implementation lives in the
// file of its family (helpers_map.cc, helpers_xdp.cc, helpers_misc.cc); its
// prototype comes from the kernel's bpf_func_proto of the same name.
#include "helpers.h"

#include <linux/bpf.h>

#include "helper_impl.h"
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

constexpr uint64_t map_bit(uint32_t type) { return uint64_t{1} << type; }
constexpr uint64_t map_bit(MapType type) { return map_bit(static_cast<uint32_t>(type)); }
// BPF_MAP_TYPE_CPUMAP and BPF_MAP_TYPE_XSKMAP: bpf_redirect_map takes them
// too, though this runtime creates neither.
constexpr uint32_t kCpumap = 16, kXskmap = 17;
// bpf_map_push/pop/peek_elem take queues, stacks and bloom filters (30),
// which this runtime does not create.
constexpr uint64_t kQueueStackBloom = map_bit(MapType::Queue) | map_bit(MapType::Stack) | map_bit(30u);

using A = ArgType;
using R = RetType;

// One row per helper, from the kernel's bpf_func_proto of each.
constexpr HelperSpec kHelpers[] = {
    {.id = helper_id::MapLookupElem, .fn = helper_map_lookup_elem, .ret = R::PtrToMapValueOrNull,
     .args = {A::ConstMapPtr, A::PtrToMapKey}, .inline_form = InlineForm::MapLookup},
    {.id = helper_id::MapUpdateElem, .fn = helper_map_update_elem,
     .args = {A::ConstMapPtr, A::PtrToMapKey, A::PtrToMapValue, A::Anything}, .writes_map = true},
    {.id = helper_id::MapDeleteElem, .fn = helper_map_delete_elem, .args = {A::ConstMapPtr, A::PtrToMapKey},
     .writes_map = true},
    {.id = helper_id::MapPushElem, .fn = helper_map_push_elem,
     .args = {A::ConstMapPtr, A::PtrToMapValue, A::Anything}, .writes_map = true, .map_types = kQueueStackBloom},
    {.id = helper_id::MapPopElem, .fn = helper_map_pop_elem, .args = {A::ConstMapPtr, A::PtrToUninitMapValue},
     .writes_map = true, .map_types = kQueueStackBloom},
    {.id = helper_id::MapPeekElem, .fn = helper_map_peek_elem, .args = {A::ConstMapPtr, A::PtrToUninitMapValue},
     .map_types = kQueueStackBloom},
    // A cpu beyond the map's slots gives NULL (the kernel: cpu >= nr_cpu_ids).
    {.id = helper_id::MapLookupPercpuElem, .fn = helper_map_lookup_percpu_elem, .ret = R::PtrToMapValueOrNull,
     .args = {A::ConstMapPtr, A::PtrToMapKey, A::Anything},
     .map_types = map_bit(MapType::PercpuArray) | map_bit(MapType::PercpuHash) | map_bit(MapType::LruPercpuHash)},
    // The callback runs nr_loops times (at most 1 << 23, else -E2BIG) unless
    // it returns 1; flags other than 0 give -EINVAL at run time.
    {.id = helper_id::Loop, .fn = helper_loop, .args = {A::Anything, A::PtrToFunc, A::PtrToStackOrNull, A::Anything},
     .callback = CallbackArgs::Loop},
    // The maps with a map_for_each_callback in the kernel.
    {.id = helper_id::ForEachMapElem, .fn = helper_for_each_map_elem,
     .args = {A::ConstMapPtr, A::PtrToFunc, A::PtrToStackOrNull, A::Anything}, .callback = CallbackArgs::MapElem,
     .map_types = map_bit(MapType::Hash) | map_bit(MapType::Array) | map_bit(MapType::PercpuHash) |
                  map_bit(MapType::PercpuArray) | map_bit(MapType::LruHash) | map_bit(MapType::LruPercpuHash)},
    // The verifier pairs them (check_call.cc): one lock held at a time, no
    // calls while held, released before exit.
    {.id = helper_id::SpinLock, .fn = helper_spin_lock, .ret = R::Void, .args = {A::PtrToSpinLock}},
    {.id = helper_id::SpinUnlock, .fn = helper_spin_unlock, .ret = R::Void, .args = {A::PtrToSpinLock}},
    {.id = helper_id::KtimeGetNs, .fn = helper_ktime_get_ns},
    {.id = helper_id::KtimeGetBootNs, .fn = helper_ktime_get_boot_ns},
    {.id = helper_id::KtimeGetCoarseNs, .fn = helper_ktime_get_coarse_ns},
    {.id = helper_id::KtimeGetTaiNs, .fn = helper_ktime_get_tai_ns},
    // Offered to loaders with CAP_BPF, which the strict rules' loader has.
    {.id = helper_id::Jiffies64, .fn = helper_jiffies64},
    // Declares the format only; the kernel reads up to three arguments after
    // it from r3-r5 unchecked.
    {.id = helper_id::TracePrintk, .fn = helper_trace_printk, .args = {A::PtrToMem, A::ConstSize},
     .needs_perfmon = true, .reads_all_args = true},
    // The format, then an array of u64 arguments and its size in bytes
    // (what clang's bpf_printk passes for more than three arguments).
    {.id = helper_id::TraceVprintk, .fn = helper_trace_vprintk,
     .args = {A::PtrToMem, A::ConstSize, A::PtrToMemOrNull, A::ConstSizeOrZero}, .needs_perfmon = true},
    {.id = helper_id::GetPrandomU32, .fn = helper_get_prandom_u32},
    {.id = helper_id::GetSmpProcessorId, .fn = helper_get_smp_processor_id, .inline_form = InlineForm::CpuId},
    {.id = helper_id::TailCall, .fn = tail_call_placeholder, .ret = R::Void,
     .args = {A::PtrToCtx, A::ConstMapPtr, A::Anything}, .leaves_run_state = true,
     .map_types = map_bit(MapType::ProgArray)},
    {.id = helper_id::Redirect, .fn = helper_redirect, .args = {A::Anything, A::Anything}, .leaves_run_state = true},
    {.id = helper_id::CsumDiff, .fn = helper_csum_diff,
     .args = {A::PtrToMemOrNull, A::ConstSizeOrZero, A::PtrToMemOrNull, A::ConstSizeOrZero, A::Anything},
     .inline_form = InlineForm::CsumDiff},
    {.id = helper_id::XdpAdjustHead, .fn = helper_xdp_adjust_head, .args = {A::PtrToCtx, A::Anything},
     .changes_packet = true, .inline_form = InlineForm::AdjustHead},
    {.id = helper_id::RedirectMap, .fn = helper_redirect_map, .args = {A::ConstMapPtr, A::Anything, A::Anything},
     .leaves_run_state = true,
     .map_types = map_bit(MapType::Devmap) | map_bit(MapType::DevmapHash) | map_bit(kCpumap) | map_bit(kXskmap)},
    {.id = helper_id::XdpAdjustMeta, .fn = helper_xdp_adjust_meta, .args = {A::PtrToCtx, A::Anything},
     .changes_packet = true},
    {.id = helper_id::XdpAdjustTail, .fn = helper_xdp_adjust_tail, .args = {A::PtrToCtx, A::Anything},
     .changes_packet = true},
    {.id = helper_id::XdpGetBuffLen, .fn = helper_xdp_get_buff_len, .args = {A::PtrToCtx}},
    {.id = helper_id::XdpLoadBytes, .fn = helper_xdp_load_bytes,
     .args = {A::PtrToCtx, A::Anything, A::PtrToUninitMem, A::ConstSize}},
    // The buffer is only read: ARG_PTR_TO_MEM | MEM_RDONLY in current kernels
    // (older ones declared ARG_PTR_TO_UNINIT_MEM, a bug fixed upstream).
    {.id = helper_id::XdpStoreBytes, .fn = helper_xdp_store_bytes,
     .args = {A::PtrToCtx, A::Anything, A::PtrToMem, A::ConstSize}},
};

struct ById {
    std::array<const HelperSpec*, kNumKernelHelpers> rows{};
};

constexpr ById index_by_id() {
    ById t{};
    for (const HelperSpec& h : kHelpers) t.rows[h.id] = &h;
    return t;
}

constexpr ById kById = index_by_id();

// Every row names a kernel helper, once, with an implementation.
constexpr bool table_is_consistent() {
    for (size_t i = 0; i < std::size(kHelpers); ++i) {
        if (kHelpers[i].id <= 0 || kHelpers[i].id >= kNumKernelHelpers || kHelpers[i].fn == nullptr) return false;
        for (size_t j = 0; j < i; ++j)
            if (kHelpers[j].id == kHelpers[i].id) return false;
    }
    return true;
}
static_assert(table_is_consistent(), "kHelpers: an id out of range, twice, or without an implementation");

}  // namespace

const HelperSpec* helper_spec(int32_t id) {
    if (id <= 0 || id >= kNumKernelHelpers) return nullptr;
    return kById.rows[id];
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
