// Messages are built by appending: GCC 12 misreports `"x" + std::string&&`
// (-Wrestrict), so cat("R", 3, " is ", name) instead of chains of +.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

namespace xdpdk::vm::verifier {

inline void append_part(std::string& s, std::string_view p) { s += p; }

template <class T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, char> && !std::is_same_v<T, bool>)
void append_part(std::string& s, T v) {
    s += std::to_string(v);
}

template <class... Parts>
std::string cat(const Parts&... parts) {
    std::string s;
    (append_part(s, parts), ...);
    return s;
}

}  // namespace xdpdk::vm::verifier
