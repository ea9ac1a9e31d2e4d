// How the native programs reach the VM's maps: array values by address,
// everything else through the vm::Map interface.
#pragma once

#include <cstdint>
#include <string_view>

#include "vm/error.h"
#include "vm/map.h"
#include "vm/object.h"

namespace xdpdk::bench::native {

// An array or per-CPU array map's value memory.
struct ArrayValues {
    uint8_t* base = nullptr;
    uint64_t value_stride = 0;  // round_up(value_size, 8)
    uint64_t cpu_stride = 0;    // 0 unless per-CPU
    uint32_t max_entries = 0;

    template <class T>
    T* at(uint32_t index, uint32_t cpu) const {
        return reinterpret_cast<T*>(base + cpu * cpu_stride + index * value_stride);
    }
};

// The map `name` of `obj`, which must have type `type`.
Result<vm::Map*> find_typed_map(vm::Object& obj, std::string_view name, vm::MapType type);

// The value memory of array map `name` (array or per-CPU array) whose values
// must be `value_size` bytes.
Result<ArrayValues> find_array(vm::Object& obj, std::string_view name, uint32_t value_size);

// Where the global variable `name` lives (in its global-data map's value),
// checked to be `size` bytes.
Result<uint8_t*> find_global(vm::Object& obj, std::string_view name, uint32_t size);

}  // namespace xdpdk::bench::native
