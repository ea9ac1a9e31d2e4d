#include "reg_state.h"

#include "../map.h"
#include "text.h"

namespace xdpdk::vm::verifier {

const char* reg_type_name(RegType t) {
    switch (t) {
        case RegType::NotInit: return "uninit";
        case RegType::Scalar: return "scalar";
        case RegType::Ctx: return "ctx";
        case RegType::Packet: return "pkt";
        case RegType::PacketEnd: return "pkt_end";
        case RegType::PacketMeta: return "pkt_meta";
        case RegType::MapPtr: return "map_ptr";
        case RegType::MapPtrOrNull: return "map_ptr_or_null";
        case RegType::MapValue: return "map_value";
        case RegType::MapValueOrNull: return "map_value_or_null";
        case RegType::Stack: return "fp";
        case RegType::Mem: return "mem";
        case RegType::MemOrNull: return "mem_or_null";
        case RegType::MapKey: return "map_key";
        case RegType::FuncPtr: return "func";
    }
    return "?";
}

bool is_pointer(RegType t) { return t != RegType::NotInit && t != RegType::Scalar; }
bool is_packet(RegType t) { return t == RegType::Packet || t == RegType::PacketMeta; }
bool is_or_null(RegType t) {
    return t == RegType::MapValueOrNull || t == RegType::MapPtrOrNull || t == RegType::MemOrNull;
}
RegType non_null_type(RegType t) {
    if (t == RegType::MapValueOrNull) return RegType::MapValue;
    if (t == RegType::MapPtrOrNull) return RegType::MapPtr;
    if (t == RegType::MemOrNull) return RegType::Mem;
    return t;
}

std::string RegState::str() const {
    if (type == RegType::NotInit) return "uninit";
    if (type == RegType::Scalar) {
        if (value.is_const()) return value.str();
        return cat("scalar(", value.str(), ")");
    }
    if (type == RegType::Stack && value.is_zero()) {
        std::string s = cat("fp", off);
        if (frame) s += cat("[frame", frame, "]");
        return s;
    }
    std::string s = reg_type_name(type);
    s += "(";
    std::string inner;
    auto add = [&](const std::string& part) {
        if (!inner.empty()) inner += ",";
        inner += part;
    };
    if (id && type != RegType::Ctx) add(cat("id=", id));
    if (map) add(cat("map=", map->name()));
    if (type == RegType::Stack) add(cat("frame=", frame));
    if (off) add(cat("off=", off));
    if (is_packet(type)) add(cat("r=", range));
    if (type == RegType::Mem || type == RegType::MemOrNull) add(cat("size=", mem_size));
    if (!value.is_zero()) add(cat("var=", value.str()));
    return cat(s, inner, ")");
}

}  // namespace xdpdk::vm::verifier
