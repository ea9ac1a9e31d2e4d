#include "helper_protos.h"

#include "../helpers.h"

namespace xdpdk::vm::verifier {
namespace {

using A = ArgType;
using R = RetType;

struct Entry {
    int32_t id;
    HelperProto proto;
};

// From the kernel's bpf_func_proto definitions of each helper.
const Entry kProtos[] = {
    {helper_id::MapLookupElem, {"bpf_map_lookup_elem", R::PtrToMapValueOrNull, {A::ConstMapPtr, A::PtrToMapKey}}},
    {helper_id::MapUpdateElem,
     {"bpf_map_update_elem", R::Integer, {A::ConstMapPtr, A::PtrToMapKey, A::PtrToMapValue, A::Anything}}},
    {helper_id::MapDeleteElem, {"bpf_map_delete_elem", R::Integer, {A::ConstMapPtr, A::PtrToMapKey}}},
    {helper_id::KtimeGetNs, {"bpf_ktime_get_ns", R::Integer, {}}},
    {helper_id::TracePrintk, {"bpf_trace_printk", R::Integer, {A::PtrToMem, A::ConstSize}, false, true}},
    {helper_id::GetPrandomU32, {"bpf_get_prandom_u32", R::Integer, {}}},
    {helper_id::GetSmpProcessorId, {"bpf_get_smp_processor_id", R::Integer, {}}},
    {helper_id::TailCall, {"bpf_tail_call", R::Void, {A::PtrToCtx, A::ConstMapPtr, A::Anything}}},
    {helper_id::Redirect, {"bpf_redirect", R::Integer, {A::Anything, A::Anything}}},
    {helper_id::CsumDiff,
     {"bpf_csum_diff", R::Integer,
      {A::PtrToMemOrNull, A::ConstSizeOrZero, A::PtrToMemOrNull, A::ConstSizeOrZero, A::Anything}}},
    {helper_id::XdpAdjustHead, {"bpf_xdp_adjust_head", R::Integer, {A::PtrToCtx, A::Anything}, true}},
    {helper_id::RedirectMap, {"bpf_redirect_map", R::Integer, {A::ConstMapPtr, A::Anything, A::Anything}}},
    {helper_id::XdpAdjustMeta, {"bpf_xdp_adjust_meta", R::Integer, {A::PtrToCtx, A::Anything}, true}},
    {helper_id::XdpAdjustTail, {"bpf_xdp_adjust_tail", R::Integer, {A::PtrToCtx, A::Anything}, true}},
    {helper_id::XdpGetBuffLen, {"bpf_xdp_get_buff_len", R::Integer, {A::PtrToCtx}}},
    {helper_id::XdpLoadBytes,
     {"bpf_xdp_load_bytes", R::Integer, {A::PtrToCtx, A::Anything, A::PtrToUninitMem, A::ConstSize}}},
    // The buffer is only read: ARG_PTR_TO_MEM | MEM_RDONLY in current kernels
    // (older ones declared ARG_PTR_TO_UNINIT_MEM, a bug fixed upstream).
    {helper_id::XdpStoreBytes,
     {"bpf_xdp_store_bytes", R::Integer, {A::PtrToCtx, A::Anything, A::PtrToMem, A::ConstSize}}},
};

constexpr int32_t kMaxId = 256;

struct Table {
    std::array<HelperProto, kMaxId> by_id{};
    Table() {
        for (const Entry& e : kProtos) by_id[e.id] = e.proto;
    }
};

}  // namespace

const HelperProto* helper_proto(int32_t id) {
    static const Table table;
    if (id <= 0 || id >= kMaxId || table.by_id[id].name == nullptr) return nullptr;
    return &table.by_id[id];
}

const char* arg_type_name(ArgType t) {
    switch (t) {
        case A::None: return "none";
        case A::Anything: return "scalar";
        case A::ConstMapPtr: return "map_ptr";
        case A::PtrToMapKey: return "pointer to map key";
        case A::PtrToMapValue: return "pointer to map value";
        case A::PtrToMem: return "pointer to memory";
        case A::PtrToMemOrNull: return "pointer to memory or NULL";
        case A::PtrToUninitMem: return "pointer to writable memory";
        case A::ConstSize: return "size";
        case A::ConstSizeOrZero: return "size or zero";
        case A::PtrToCtx: return "ctx";
    }
    return "?";
}

}  // namespace xdpdk::vm::verifier
