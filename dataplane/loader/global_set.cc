#include "global_set.h"

#include <bit>
#include <charconv>
#include <cstring>

#include "maps_json.h"

namespace xdpdk::loader {
namespace {

std::string plural_bytes(size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

std::string global_names(std::span<const vm::GlobalVar> globals) {
    std::string names;
    for (const auto& g : globals) names += (names.empty() ? "" : ", ") + g.name;
    return names.empty() ? "the object has none" : "globals: " + names;
}

// An integer as the user wrote it: magnitude and sign, so that both the
// signed and the unsigned range of the variable's size can be accepted.
struct Integer {
    uint64_t magnitude;
    bool negative;
};

// std::errc::invalid_argument when `text` is no integer at all,
// result_out_of_range when it has more than 64 bits.
std::errc parse_integer(std::string_view text, Integer& out) {
    out.negative = !text.empty() && text.front() == '-';
    if (out.negative) text.remove_prefix(1);
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    }
    if (text.empty()) return std::errc::invalid_argument;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out.magnitude, base);
    if (ec == std::errc::result_out_of_range) return ec;
    if (ec != std::errc() || end != text.data() + text.size()) return std::errc::invalid_argument;
    return {};
}

bool fits(const Integer& v, uint32_t size) {
    const uint32_t bits = size * 8;
    const uint64_t umax = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
    if (!v.negative) return v.magnitude <= umax;
    return v.magnitude <= (uint64_t{1} << (bits - 1));  // down to -2^(bits-1)
}

}  // namespace

Result<GlobalAssignment> parse_global_assignment(std::span<const vm::GlobalVar> globals, std::string_view arg) {
    const std::string subject = "--set '" + std::string(arg) + "'";
    const size_t eq = arg.find('=');
    if (eq == std::string_view::npos || eq == 0) return make_error(subject, "expected NAME=VALUE");
    const std::string_view name = arg.substr(0, eq), value = arg.substr(eq + 1);
    const vm::GlobalVar* var = nullptr;
    for (const auto& g : globals)
        if (g.name == name) var = &g;
    if (var == nullptr)
        return make_error(subject, "no global variable '" + std::string(name) + "' (" + global_names(globals) + ")");
    const std::string what = "'" + var->name + "' (" + var->section + ", " + plural_bytes(var->size) + ")";

    GlobalAssignment out{var->name, {}};
    if (value.starts_with("hex:")) {
        auto bytes = parse_hex(value.substr(4));
        if (!bytes) return make_error(subject, bytes.error().reason);
        if (bytes->size() != var->size)
            return make_error(subject, "hex value is " + plural_bytes(bytes->size()) + ", " + what + " needs " +
                                           std::to_string(var->size));
        out.bytes = std::move(bytes.value());
        return out;
    }
    Integer v{};
    const std::errc parsed = parse_integer(value, v);
    if (parsed == std::errc::invalid_argument) return make_error(subject, "VALUE must be an integer or hex:BYTES");
    if (var->size != 1 && var->size != 2 && var->size != 4 && var->size != 8)
        return make_error(subject, what + " is not an integer size; give its bytes as hex:...");
    if (parsed == std::errc::result_out_of_range || !fits(v, var->size))
        return make_error(subject, std::string(value) + " does not fit " + what);
    const uint64_t raw = v.negative ? ~v.magnitude + 1 : v.magnitude;
    out.bytes.resize(var->size);
    // Host byte order: the low `size` bytes of the 64-bit value on a
    // little-endian host, the high ones on a big-endian host.
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(out.bytes.data(), &raw, var->size);
    } else {
        std::memcpy(out.bytes.data(), reinterpret_cast<const uint8_t*>(&raw) + (8 - var->size), var->size);
    }
    return out;
}

Status apply_global_assignments(vm::Object& obj, const std::vector<std::string>& args) {
    for (const auto& arg : args) {
        XDPDK_ASSIGN_OR_RETURN(GlobalAssignment a, parse_global_assignment(obj.globals(), arg));
        auto st = obj.set_global(a.name, a.bytes);
        if (!st) return make_error("--set '" + arg + "'", st.error().str());
    }
    return {};
}

}  // namespace xdpdk::loader
