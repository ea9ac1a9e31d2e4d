// The helper table: one row per helper this runtime provides, with the
// kernel's helper number, holding every fact about it that a consumer needs
// (helpers.cc's kHelpers): the implementation (interpreter and JIT calls),
// the prototype the verifier checks (the kernel's struct bpf_func_proto), the
// registers it reads (the JIT's register use and the verifier's liveness),
// the JIT's inline form, whether it leaves per-run state behind (the
// worker's reset), and the map types its map argument may be. Names for
// every number the kernel defines come from linux/bpf.h's __BPF_FUNC_MAPPER,
// so a refusal can name a helper this runtime lacks.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "exec_context.h"

namespace xdpdk::vm {

namespace helper_id {
constexpr int32_t MapLookupElem = 1, MapUpdateElem = 2, MapDeleteElem = 3, KtimeGetNs = 5,
                  TracePrintk = 6, GetPrandomU32 = 7, GetSmpProcessorId = 8, TailCall = 12,
                  Redirect = 23, XdpAdjustHead = 44, CsumDiff = 28, RedirectMap = 51,
                  XdpAdjustMeta = 54, FibLookup = 69, XdpAdjustTail = 65, MapPushElem = 87, MapPopElem = 88,
                  MapPeekElem = 89, SpinLock = 93, SpinUnlock = 94, Jiffies64 = 118, KtimeGetBootNs = 125, KtimeGetCoarseNs = 160, CheckMtu = 163,
                  TraceVprintk = 177, PerfEventOutput = 25, RingbufOutput = 130, RingbufReserve = 131,
                  RingbufSubmit = 132, RingbufDiscard = 133, RingbufQuery = 134, ForEachMapElem = 164, Loop = 181,
                  XdpGetBuffLen = 188, XdpLoadBytes = 189, XdpStoreBytes = 190,
                  MapLookupPercpuElem = 195, KtimeGetTaiNs = 208, GetNumaNodeId = 42, Strtol = 105,
                  Strtoul = 106, Strncmp = 182, TcpRawGenSyncookieIpv4 = 204, TcpRawGenSyncookieIpv6 = 205,
                  TcpRawCheckSyncookieIpv4 = 206, TcpRawCheckSyncookieIpv6 = 207;
}

// What an argument register must hold (the kernel's enum bpf_arg_type, for
// the kinds these helpers use).
enum class ArgType : uint8_t {
    None,            // not an argument of this helper
    Anything,        // any initialised register
    ConstMapPtr,     // a map (lddw of a map)
    PtrToMapKey,     // readable memory of the map's key size
    PtrToMapValue,   // readable memory of the map's value size
    PtrToUninitMapValue,  // writable memory of the map's value size, which the helper fills
    PtrToMem,        // readable memory; its size is the next argument
    PtrToMemOrNull,  // the same, or NULL with a zero size
    PtrToUninitMem,  // writable memory the helper fills; its size is the next argument
    // Initialised memory the helper reads and may write back (ARG_PTR_TO_MEM
    // without MEM_RDONLY: bpf_fib_lookup's params); its size is the next argument.
    PtrToMemReadWrite,
    // An initialised, writable u32 the helper reads and writes (ARG_PTR_TO_INT:
    // bpf_check_mtu's mtu_len).
    PtrToU32,
    ConstSize,       // a bounded size, > 0
    ConstSizeOrZero, // a bounded size, >= 0
    PtrToCtx,        // the unmodified context pointer
    // A known constant, the size of the memory the helper returns
    // (ARG_CONST_ALLOC_SIZE_OR_ZERO).
    ConstAllocSizeOrZero,
    // Memory a reservation returned, at its start; the call releases the
    // reservation (ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE).
    PtrToAllocMem,
    PtrToFunc,       // a subprogram's address (lddw, BPF_PSEUDO_FUNC): the callback
    PtrToStackOrNull,  // a pointer into the stack (any frame), or NULL
    PtrToFixedSizeMem,       // readable memory of HelperSpec::arg_size bytes
    PtrToFixedSizeUninitMem, // writable memory of arg_size bytes the helper fills
    PtrToConstStr,   // a NUL-terminated string in a read-only map (.rodata) at a known offset
    PtrToSpinLock,   // the struct bpf_spin_lock of a map value (BTF-described)
};

// What a helper that calls back into the program passes its callback: the
// kernel's set_loop_callback_state and set_map_elem_callback_state. The
// callback's r0 must be 0 (go on) or 1 (stop).
enum class CallbackArgs : uint8_t {
    None,
    Loop,     // (u64 index, void *ctx): bpf_loop
    MapElem,  // (struct bpf_map *map, key *, value *, void *ctx): bpf_for_each_map_elem
};

// What r0 holds after the call.
enum class RetType : uint8_t {
    Integer,
    Void,                  // r0 is not initialised (bpf_tail_call)
    PtrToMapValueOrNull,   // into the value of the map in argument 1
    // Writable memory of the ConstAllocSizeOrZero argument's size, or NULL;
    // a reference the program must release on every path before it exits
    // (RET_PTR_TO_RINGBUF_MEM_OR_NULL with OBJ acquire).
    PtrToAllocMemOrNull,
};

// Machine code the JIT may emit instead of the call (vm/jit/emit_inline.cc).
enum class InlineForm : uint8_t { None, CpuId, MapLookup, CsumDiff, AdjustHead };

struct HelperSpec {
    int32_t id = 0;
    // Called with r1-r5 and the run's context. bpf_tail_call has a
    // placeholder: the engines carry it out themselves (tail_call_target).
    HelperFn fn = nullptr;
    RetType ret = RetType::Integer;
    std::array<ArgType, 5> args{};
    bool changes_packet = false;  // invalidates every packet pointer
    // Changes the map in argument 1: refused on a map read-only for programs
    // (BPF_F_RDONLY_PROG), as the kernel's record_func_map refuses it.
    bool writes_map = false;
    // Linux offers it only to loaders with CAP_PERFMON (bpf_base_func_proto):
    // the strict rules (a loader with CAP_BPF only) refuse it.
    bool needs_perfmon = false;
    // Reads r1-r5 whatever the prototype declares (bpf_trace_printk's
    // arguments after the format, which the kernel does not check).
    bool reads_all_args = false;
    // Leaves state in the ExecContext that the next run must not see (a
    // redirect target, the tail-call count).
    bool leaves_run_state = false;
    // Its result is not a function of its arguments, the context and the
    // maps (time, randomness, syncookies of the current minute): two runs of
    // one program on one frame may differ, so engine comparisons
    // (fuzz/engine_agreement) skip programs calling it.
    bool varies = false;
    InlineForm inline_form = InlineForm::None;
    // Does not come back when it succeeds (bpf_tail_call): refused while the
    // program holds references, which would leak.
    bool may_not_return = false;
    // The callback in its PtrToFunc argument gets these arguments; the
    // context (PtrToStackOrNull) is passed on as the last of them.
    CallbackArgs callback = CallbackArgs::None;
    // Bit (1 << type) for each map type its map argument may be (the
    // helper's half of the kernel's check_map_func_compatibility); 0: any
    // map whose own type allows the helper.
    uint64_t map_types = 0;
    // Bytes of each PtrToFixedSize* argument (the kernel's argN_size).
    std::array<uint8_t, 5> arg_size{};

    // r1..rN: the prototype's arguments, which the verifier checks.
    constexpr uint16_t arg_regs() const {
        unsigned n = 0;
        while (n < args.size() && args[n] != ArgType::None) ++n;
        return static_cast<uint16_t>(((1u << n) - 1) << 1);
    }
    // The registers the implementation reads.
    constexpr uint16_t read_regs() const { return reads_all_args ? uint16_t{0x3e} : arg_regs(); }
};

// The row of helper `id`, or nullptr when this runtime does not provide it.
const HelperSpec* helper_spec(int32_t id);

// The implementation of helper `id`; nullptr when this runtime lacks it.
inline HelperFn find_helper(int32_t id) {
    const HelperSpec* s = helper_spec(id);
    return s ? s->fn : nullptr;
}

// "bpf_map_lookup_elem" for 1; "helper#N" when the kernel has no such number.
std::string helper_name(int32_t id);

// Why xdpdk refuses helper `id`, which Linux offers XDP programs (a row of
// helpers.cc's kUnavailable, next to kHelpers); nullptr when xdpdk provides
// it, or when Linux does not offer it to XDP programs either.
const char* helper_unavailable_reason(int32_t id);

// The load-time refusal of a call to helper `id`, which xdpdk lacks:
// "helper bpf_sk_lookup_tcp#84 is not provided by xdpdk: <why>"; a helper
// Linux does not offer XDP programs, or a number it does not define, says so.
std::string helper_refusal(int32_t id);

// Why a call to kfunc `name` (an extern __ksym function) is refused: xdpdk
// resolves no kfunc. Names the kernel facility the kfunc needs where
// helpers.cc's kKfuncs knows it.
std::string kfunc_refusal(std::string_view name);

// bpf_tail_call is carried out by the engines, not called: it never returns
// to the caller on success. Returns the program to continue with, or nullptr.
const Program* tail_call_target(uint64_t prog_array, uint64_t index, ExecContext* ex);

}  // namespace xdpdk::vm
