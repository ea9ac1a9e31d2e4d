// struct bpf_devmap_val, the value of both devmap types: an ifindex and,
// with 8-byte values, a program (an fd on update, its id on lookup). Programs
// attached to devmap entries are not supported here: an update naming one is
// refused with -EINVAL, as the kernel refuses an fd that is not a devmap
// program, and lookups report id 0. Any nonzero ifindex is accepted: there
// is no netdev namespace to check it against; the dataplane resolves it.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace xdpdk::vm::maps {

struct DevmapValue {
    uint32_t ifindex = 0;
    uint32_t prog_id = 0;
};

// Reads a user-supplied value of `value_size` (4 or 8) bytes.
inline long parse_devmap_value(const void* value, uint32_t value_size, DevmapValue* out) {
    uint32_t raw[2] = {0, 0};
    std::memcpy(raw, value, value_size);
    if (static_cast<int32_t>(raw[1]) > 0) return -EINVAL;
    out->ifindex = raw[0];
    out->prog_id = 0;
    return 0;
}

}  // namespace xdpdk::vm::maps
