// --set NAME=VALUE: a global variable's initial value before load, the way a
// libbpf skeleton sets `const volatile` configuration knobs. VALUE is an
// integer (decimal, or 0x-prefixed hex; negative allowed) stored in the
// variable's size in host byte order, or `hex:` and the variable's raw bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vm/error.h"
#include "vm/object.h"

namespace xdpdk::loader {

struct GlobalAssignment {
    std::string name;
    std::vector<uint8_t> bytes;  // exactly the variable's size
};

Result<GlobalAssignment> parse_global_assignment(std::span<const vm::GlobalVar> globals, std::string_view arg);

// Parses and applies every assignment in order; call before Object::load().
Status apply_global_assignments(vm::Object& obj, const std::vector<std::string>& args);

}  // namespace xdpdk::loader
