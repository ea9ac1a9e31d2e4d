// The abstract value of one register or spilled stack slot: its type, and
// for pointers the fixed offset, the variable offset (a Scalar) and what the
// pointer points into.
#pragma once

#include <cstdint>
#include <string>

#include "scalar.h"

namespace xdpdk::vm {
class Map;
}

namespace xdpdk::vm::verifier {

enum class RegType : uint8_t {
    NotInit,
    Scalar,
    Ctx,            // the program's xdp_md
    Packet,         // into the packet, between data_meta/data and data_end
    PacketEnd,      // data_end
    PacketMeta,     // data_meta
    MapPtr,         // a map itself (lddw of a map)
    MapValue,       // into a map value
    MapValueOrNull, // a lookup result not yet checked against NULL
    MapPtrOrNull,   // a lookup in a map of maps: the inner map (map = the template), or NULL
    Stack,          // into a frame's stack
    Mem,            // raw programs: the r1 memory region; a global function's memory argument
    MemOrNull,      // a global function's memory argument not yet checked against NULL
    MapKey,         // a map element's key, read only (bpf_for_each_map_elem's callback)
    FuncPtr,        // a subprogram's address (lddw, BPF_PSEUDO_FUNC), for a callback argument
};

const char* reg_type_name(RegType t);
bool is_pointer(RegType t);
bool is_packet(RegType t);  // Packet or PacketMeta
// MapValueOrNull, MapPtrOrNull or MemOrNull: the pointer a NULL check resolves.
bool is_or_null(RegType t);
RegType non_null_type(RegType t);

struct RegState {
    RegType type = RegType::NotInit;
    // Pointers: constant offset from the object start. Stack: from the frame
    // pointer (negative).
    int32_t off = 0;
    // Shared by copies of the same value: a packet pointer and the ones
    // derived from it by constant offsets; a lookup result and its copies
    // (the NULL check resolves them all); equal scalars (a bound learned on
    // one holds for the others).
    uint32_t id = 0;
    // Packet pointers: bytes from the pointer's origin (off 0) proven to be
    // inside the packet.
    uint32_t range = 0;
    uint8_t frame = 0;        // Stack: which call frame
    const Map* map = nullptr; // MapPtr, MapPtrOrNull (the inner template), MapValue, MapValueOrNull
    uint32_t mem_size = 0;    // Mem: bytes in the region
    uint32_t func_pc = 0;     // FuncPtr: the subprogram's first instruction
    // Scalar: the value. Pointers: the variable part of the offset.
    Scalar value = Scalar::constant(0);

    static RegState scalar(const Scalar& s) {
        RegState r;
        r.type = RegType::Scalar;
        r.value = s;
        return r;
    }
    static RegState unknown() { return scalar(Scalar::unknown()); }
    static RegState constant(uint64_t v) { return scalar(Scalar::constant(v)); }
    static RegState pointer(RegType t, int32_t off = 0) {
        RegState r;
        r.type = t;
        r.off = off;
        return r;
    }

    bool is_scalar() const { return type == RegType::Scalar; }
    bool is_null_const() const { return type == RegType::Scalar && value.is_zero(); }
    bool var_off_is_zero() const { return value.is_zero(); }
    bool operator==(const RegState&) const = default;

    // Compact text as in the kernel's verifier log: "pkt(off=14,r=34)", "fp-8",
    // "map_value(map=counts,off=0)", "42", "scalar(umax=255)".
    std::string str() const;
};

}  // namespace xdpdk::vm::verifier
