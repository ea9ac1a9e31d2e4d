#include "map_size_option.h"

#include <charconv>
#include <cstdint>

namespace xdpdk::loader {

Result<MapSizes> parse_map_sizes(const std::vector<std::string>& args) {
    MapSizes sizes;
    for (const std::string& arg : args) {
        const std::string subject = "--map-size '" + arg + "'";
        const size_t eq = arg.find('=');
        if (eq == std::string::npos || eq == 0) return make_error(subject, "expected NAME=N");
        const std::string name = arg.substr(0, eq);
        const std::string number = arg.substr(eq + 1);
        uint64_t n = 0;
        const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
        if (number.empty() || ec != std::errc() || end != number.data() + number.size() || n > UINT32_MAX)
            return make_error(subject, "N must be a whole number from 1 to 4294967295");
        if (n == 0) return make_error(subject, "a map needs at least one entry");
        for (const auto& [other, size] : sizes)
            if (other == name) return make_error(subject, "map '" + name + "' is given a size twice");
        sizes.emplace_back(name, static_cast<uint32_t>(n));
    }
    return sizes;
}

}  // namespace xdpdk::loader
