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
    {.id = helper_id::KtimeGetNs, .fn = helper_ktime_get_ns, .varies = true},
    {.id = helper_id::KtimeGetBootNs, .fn = helper_ktime_get_boot_ns, .varies = true},
    {.id = helper_id::KtimeGetCoarseNs, .fn = helper_ktime_get_coarse_ns, .varies = true},
    {.id = helper_id::KtimeGetTaiNs, .fn = helper_ktime_get_tai_ns, .varies = true},
    // Offered to loaders with CAP_BPF, which the strict rules' loader has.
    {.id = helper_id::Jiffies64, .fn = helper_jiffies64, .varies = true},
    // Declares the format only; the kernel reads up to three arguments after
    // it from r3-r5 unchecked.
    {.id = helper_id::TracePrintk, .fn = helper_trace_printk, .args = {A::PtrToMem, A::ConstSize},
     .needs_perfmon = true, .reads_all_args = true},
    // The format, then an array of u64 arguments and its size in bytes
    // (what clang's bpf_printk passes for more than three arguments).
    {.id = helper_id::TraceVprintk, .fn = helper_trace_vprintk,
     .args = {A::PtrToMem, A::ConstSize, A::PtrToMemOrNull, A::ConstSizeOrZero}, .needs_perfmon = true},
    {.id = helper_id::GetPrandomU32, .fn = helper_get_prandom_u32, .varies = true},
    {.id = helper_id::GetSmpProcessorId, .fn = helper_get_smp_processor_id, .inline_form = InlineForm::CpuId},
    {.id = helper_id::TailCall, .fn = tail_call_placeholder, .ret = R::Void,
     .args = {A::PtrToCtx, A::ConstMapPtr, A::Anything}, .leaves_run_state = true, .may_not_return = true,
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
    // XDP's variant, bpf_xdp_event_output (flags: the perf event array slot
    // and BPF_F_CTXLEN_MASK, packet bytes appended to the sample).
    {.id = helper_id::PerfEventOutput, .fn = helper_perf_event_output,
     .args = {A::PtrToCtx, A::ConstMapPtr, A::Anything, A::PtrToMem, A::ConstSizeOrZero},
     .map_types = map_bit(MapType::PerfEventArray)},
    {.id = helper_id::RingbufOutput, .fn = helper_ringbuf_output,
     .args = {A::ConstMapPtr, A::PtrToMem, A::ConstSizeOrZero, A::Anything}, .map_types = map_bit(MapType::Ringbuf)},
    {.id = helper_id::RingbufReserve, .fn = helper_ringbuf_reserve, .ret = R::PtrToAllocMemOrNull,
     .args = {A::ConstMapPtr, A::ConstAllocSizeOrZero, A::Anything}, .map_types = map_bit(MapType::Ringbuf)},
    {.id = helper_id::RingbufSubmit, .fn = helper_ringbuf_submit, .ret = R::Void,
     .args = {A::PtrToAllocMem, A::Anything}},
    {.id = helper_id::RingbufDiscard, .fn = helper_ringbuf_discard, .ret = R::Void,
     .args = {A::PtrToAllocMem, A::Anything}},
    {.id = helper_id::RingbufQuery, .fn = helper_ringbuf_query, .args = {A::ConstMapPtr, A::Anything},
     .map_types = map_bit(MapType::Ringbuf)},
    {.id = helper_id::GetNumaNodeId, .fn = helper_get_numa_node_id},
    // The result is an aligned s64 / u64 the helper writes (0 on error).
    {.id = helper_id::Strtol, .fn = helper_strtol,
     .args = {A::PtrToMem, A::ConstSize, A::Anything, A::PtrToFixedSizeUninitMem}, .arg_size = {0, 0, 0, 8}},
    {.id = helper_id::Strtoul, .fn = helper_strtoul,
     .args = {A::PtrToMem, A::ConstSize, A::Anything, A::PtrToFixedSizeUninitMem}, .arg_size = {0, 0, 0, 8}},
    {.id = helper_id::Strncmp, .fn = helper_strncmp, .args = {A::PtrToMem, A::ConstSize, A::PtrToConstStr}},
    // struct iphdr (20 bytes) or ipv6hdr (40), then the TCP header and its
    // length; the check reads a fixed struct tcphdr (20).
    {.id = helper_id::TcpRawGenSyncookieIpv4, .fn = helper_tcp_raw_gen_syncookie_ipv4,
     .args = {A::PtrToFixedSizeMem, A::PtrToMem, A::ConstSize}, .varies = true, .arg_size = {20}},
    {.id = helper_id::TcpRawGenSyncookieIpv6, .fn = helper_tcp_raw_gen_syncookie_ipv6,
     .args = {A::PtrToFixedSizeMem, A::PtrToMem, A::ConstSize}, .varies = true, .arg_size = {40}},
    {.id = helper_id::TcpRawCheckSyncookieIpv4, .fn = helper_tcp_raw_check_syncookie_ipv4,
     .args = {A::PtrToFixedSizeMem, A::PtrToFixedSizeMem}, .varies = true, .arg_size = {20, 20}},
    {.id = helper_id::TcpRawCheckSyncookieIpv6, .fn = helper_tcp_raw_check_syncookie_ipv6,
     .args = {A::PtrToFixedSizeMem, A::PtrToFixedSizeMem}, .varies = true, .arg_size = {40, 20}},
    // params is read and written back (helpers_fib.cc); plen, then flags.
    {.id = helper_id::FibLookup, .fn = helper_fib_lookup,
     .args = {A::PtrToCtx, A::PtrToMemReadWrite, A::ConstSize, A::Anything}},
    // ifindex, &mtu_len (in and out), len_diff, flags.
    {.id = helper_id::CheckMtu, .fn = helper_check_mtu,
     .args = {A::PtrToCtx, A::Anything, A::PtrToU32, A::Anything, A::Anything}},
};

// Reasons for refusing what Linux offers XDP programs and xdpdk lacks.
constexpr const char* kSocketTable =
    "it works on the kernel's socket table (struct sock), and a userspace dataplane has no sockets to look up";
constexpr const char* kKernelTask =
    "it reads the kernel task a packet happened to interrupt; xdpdk's workers are not kernel tasks";
constexpr const char* kCgroup = "it reads the cgroup of the kernel task a packet happened to interrupt, which has "
                                "no counterpart in a userspace worker";
constexpr const char* kKernelMemory =
    "it reads kernel or user memory by address, which a userspace process cannot reach";
constexpr const char* kKernelObjects =
    "it reaches kernel objects (per-CPU variables, BTF-typed kernel pointers), which userspace cannot";
constexpr const char* kPerfCounters =
    "it reads hardware performance counters through the kernel's perf events, which userspace cannot reach";
constexpr const char* kSignal = "it sends a signal to the kernel task a packet happened to interrupt";
constexpr const char* kTimers = "BPF timers (struct bpf_timer in map values, with callbacks) are not provided yet";
constexpr const char* kKptr = "kptrs (referenced kernel pointers in map values) have no userspace counterpart";
constexpr const char* kDynptr = "dynptrs are not provided yet (xdpdk's verifier does not track them)";
constexpr const char* kNotYet = "not provided yet";

struct UnavailableHelper {
    int32_t id;
    const char* reason;
};

// Every helper Linux 6.18 offers XDP programs (xdp_func_proto, then
// bpf_sk_base_func_proto and bpf_base_func_proto) that kHelpers lacks, with
// why. Together with kHelpers this covers the kernel's whole XDP set
// (tests/test_helper_set.cc holds the list and checks it).
constexpr UnavailableHelper kUnavailable[] = {
    {14, kKernelTask},     // get_current_pid_tgid
    {15, kKernelTask},     // get_current_uid_gid
    {16, kKernelTask},     // get_current_comm
    {17, kCgroup},         // get_cgroup_classid
    {22, kPerfCounters},   // perf_event_read
    {35, kKernelTask},     // get_current_task
    {37, kCgroup},         // current_task_under_cgroup
    {55, kPerfCounters},   // perf_event_read_value
    {80, kCgroup},         // get_current_cgroup_id
    {84, kSocketTable},    // sk_lookup_tcp
    {85, kSocketTable},    // sk_lookup_udp
    {86, kSocketTable},    // sk_release
    {99, kSocketTable},    // skc_lookup_tcp
    {100, kSocketTable},   // tcp_check_syncookie (the raw forms, 206 and 207, need no socket)
    {109, kSignal},        // send_signal
    {110, kSocketTable},   // tcp_gen_syncookie (the raw forms, 204 and 205, need no socket)
    {112, kKernelMemory},  // probe_read_user
    {113, kKernelMemory},  // probe_read_kernel
    {114, kKernelMemory},  // probe_read_user_str
    {115, kKernelMemory},  // probe_read_kernel_str
    {117, kSignal},        // send_signal_thread
    {120, kKernelTask},    // get_ns_current_pid_tgid
    {123, kCgroup},        // get_current_ancestor_cgroup_id
    {136, kSocketTable},   // skc_to_tcp6_sock
    {137, kSocketTable},   // skc_to_tcp_sock
    {138, kSocketTable},   // skc_to_tcp_timewait_sock
    {139, kSocketTable},   // skc_to_tcp_request_sock
    {140, kSocketTable},   // skc_to_udp6_sock
    {141, kKernelTask},    // get_task_stack
    {149, kKernelObjects}, // snprintf_btf
    {153, kKernelObjects}, // per_cpu_ptr
    {154, kKernelObjects}, // this_cpu_ptr
    {156, kKernelTask},    // task_storage_get
    {157, kKernelTask},    // task_storage_delete
    {158, kKernelTask},    // get_current_task_btf
    {169, kTimers},        // timer_init
    {170, kTimers},        // timer_set_callback
    {171, kTimers},        // timer_start
    {172, kTimers},        // timer_cancel
    {175, kKernelTask},    // task_pt_regs
    {176, kPerfCounters},  // get_branch_snapshot (the CPU's last branch records)
    {178, kSocketTable},   // skc_to_unix_sock
    {180, kKernelTask},    // find_vma
    {194, kKptr},          // kptr_xchg
    {196, kSocketTable},   // skc_to_mptcp_sock
    {197, kDynptr},        // dynptr_from_mem
    {198, kDynptr},        // ringbuf_reserve_dynptr
    {199, kDynptr},        // ringbuf_submit_dynptr
    {200, kDynptr},        // ringbuf_discard_dynptr
    {201, kDynptr},        // dynptr_read
    {202, kDynptr},        // dynptr_write
    {203, kDynptr},        // dynptr_data
    {209, "user ring buffers (BPF_MAP_TYPE_USER_RINGBUF, drained through a callback) are not provided yet"},
    {210, kCgroup},        // cgrp_storage_get
    {211, kCgroup},        // cgrp_storage_delete
    // Not provided on this branch yet; other parts of issue 15 bring them.
    // Delete a row when its helper gets a kHelpers row (table_is_consistent
    // refuses both).
    {165, kNotYet},        // snprintf
};

// Helpers newer than the linux/bpf.h this builds against (Debian's 6.1).
constexpr const char* kNewerHelperNames[] = {"bpf_cgrp_storage_get", "bpf_cgrp_storage_delete"};
constexpr int32_t kNumNamedHelpers = kNumKernelHelpers + int32_t(std::size(kNewerHelperNames));

struct KfuncReason {
    const char* prefix;  // the kfunc's name, or the start shared by a family
    const char* reason;
};

// Kfuncs XDP programs call, by family; any other kfunc gets kAnyKfunc.
constexpr KfuncReason kKfuncs[] = {
    {"bpf_xdp_ct_", "netfilter connection tracking: userspace has no kernel conntrack table"},
    {"bpf_ct_", "netfilter connection tracking: userspace has no kernel conntrack table"},
    {"bpf_skb_ct_", "netfilter connection tracking: userspace has no kernel conntrack table"},
    {"bpf_xdp_metadata_rx_", "device-bound XDP metadata (rx timestamp, hash, VLAN tag) is not provided yet"},
    {"bpf_xdp_get_xfrm_state", "the kernel's IPsec (xfrm) state table does not exist in userspace"},
    {"bpf_xdp_xfrm_state_release", "the kernel's IPsec (xfrm) state table does not exist in userspace"},
    {"bpf_dynptr_", "dynptrs are not provided yet (xdpdk's verifier does not track them)"},
    {"bpf_iter_", "open-coded iterators (bpf_for, bpf_repeat) are not provided yet"},
    {"bpf_rcu_read_", "kernel RCU read-side sections have no meaning outside the kernel"},
    {"bpf_obj_", "BPF-allocated objects and their graphs (lists, rbtrees) are not provided yet"},
    {"bpf_list_", "BPF-allocated objects and their graphs (lists, rbtrees) are not provided yet"},
    {"bpf_rbtree_", "BPF-allocated objects and their graphs (lists, rbtrees) are not provided yet"},
    {"bpf_refcount_", "BPF-allocated objects and their graphs (lists, rbtrees) are not provided yet"},
    {"bpf_percpu_obj_", "BPF-allocated objects and their graphs (lists, rbtrees) are not provided yet"},
    {"bpf_cast_to_kern_ctx", "the kernel's context (struct xdp_buff) is not what xdpdk runs programs on"},
    {"bpf_rdonly_cast", "it reads kernel objects through the kernel's BTF, which userspace cannot reach"},
    {"bpf_task_", "it works on kernel tasks; xdpdk's workers are not kernel tasks"},
    {"bpf_cgroup_", "it works on kernel cgroups, which have no counterpart in a userspace worker"},
    {"bpf_cpumask_", "kernel cpumask objects are not provided"},
    {"bpf_crypto_", "the kernel's crypto API is not provided"},
};
constexpr const char* kAnyKfunc = "kfuncs are kernel functions, resolved against the running kernel's BTF, and "
                                  "xdpdk provides none";

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

// A helper is provided or refused with a reason, never both, and once.
constexpr bool unavailable_is_consistent() {
    for (size_t i = 0; i < std::size(kUnavailable); ++i) {
        const UnavailableHelper& u = kUnavailable[i];
        if (u.id <= 0 || u.id >= kNumNamedHelpers || u.reason == nullptr) return false;
        if (u.id < kNumKernelHelpers && kById.rows[u.id] != nullptr) return false;
        for (size_t j = 0; j < i; ++j)
            if (kUnavailable[j].id == u.id) return false;
    }
    return true;
}
static_assert(unavailable_is_consistent(), "kUnavailable: an id out of range, twice, or also in kHelpers");

}  // namespace

const HelperSpec* helper_spec(int32_t id) {
    if (id <= 0 || id >= kNumKernelHelpers) return nullptr;
    return kById.rows[id];
}

std::string helper_name(int32_t id) {
    if (id <= 0 || id >= kNumNamedHelpers) return "helper#" + std::to_string(id);
    if (id >= kNumKernelHelpers) return kNewerHelperNames[id - kNumKernelHelpers];
    return kKernelHelperNames[id];
}

const char* helper_unavailable_reason(int32_t id) {
    if (helper_spec(id)) return nullptr;
    for (const UnavailableHelper& u : kUnavailable)
        if (u.id == id) return u.reason;
    return nullptr;
}

std::string helper_refusal(int32_t id) {
    const std::string name = helper_name(id) + "#" + std::to_string(id);
    if (const char* why = helper_unavailable_reason(id)) return "helper " + name + " is not provided by xdpdk: " + why;
    if (id > 0 && id < kNumNamedHelpers)
        return "helper " + name + " is not offered to XDP programs (Linux refuses it too)";
    return "unknown helper #" + std::to_string(id) + " (no such helper number)";
}

std::string kfunc_refusal(std::string_view name) {
    const char* why = kAnyKfunc;
    for (const KfuncReason& k : kKfuncs)
        if (name.substr(0, std::string_view(k.prefix).size()) == k.prefix) {
            why = k.reason;
            break;
        }
    return "kfunc " + std::string(name) + " is not provided by xdpdk: " + why;
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
