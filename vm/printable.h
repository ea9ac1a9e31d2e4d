// Text from a user (a filter expression, a path) as it goes into a one-line
// message: control characters escaped (a newline as \n), so an error or a
// header stays on one line.
#pragma once

#include <string>
#include <string_view>

namespace xdpdk::vm {

std::string printable(std::string_view text);

}  // namespace xdpdk::vm
