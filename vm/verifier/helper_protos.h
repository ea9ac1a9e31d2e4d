// Helper signatures, keyed by the kernel's helper number, as the kernel's
// struct bpf_func_proto describes them: what each argument register must
// hold and what r0 holds after the call.
#pragma once

#include <array>
#include <cstdint>

namespace xdpdk::vm::verifier {

enum class ArgType : uint8_t {
    None,            // not an argument of this helper
    Anything,        // any initialised register
    ConstMapPtr,     // a map (lddw of a map)
    PtrToMapKey,     // readable memory of the map's key size
    PtrToMapValue,   // readable memory of the map's value size
    PtrToMem,        // readable memory; its size is the next argument
    PtrToMemOrNull,  // the same, or NULL with a zero size
    PtrToUninitMem,  // writable memory the helper fills; its size is the next argument
    ConstSize,       // a bounded size, > 0
    ConstSizeOrZero, // a bounded size, >= 0
    PtrToCtx,        // the unmodified context pointer
};

enum class RetType : uint8_t {
    Integer,
    Void,                  // r0 is not initialised (bpf_tail_call)
    PtrToMapValueOrNull,   // into the value of the map in argument 1
};

struct HelperProto {
    const char* name = nullptr;  // nullptr: the verifier does not know this helper
    RetType ret = RetType::Integer;
    std::array<ArgType, 5> args{};
    bool changes_packet = false;  // invalidates every packet pointer
    // Linux offers it only to loaders with CAP_PERFMON (bpf_base_func_proto):
    // the strict, unprivileged rules refuse it.
    bool needs_perfmon = false;
};

// The signature of helper `id`, or nullptr when the verifier does not know it.
const HelperProto* helper_proto(int32_t id);

const char* arg_type_name(ArgType t);

}  // namespace xdpdk::vm::verifier
