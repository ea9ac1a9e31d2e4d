#include "hex_bytes.h"

#include <cstring>

namespace xdpdk::vm {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

Error hex_error(std::string reason) { return make_error("hex", std::move(reason)); }

}  // namespace

Result<std::vector<uint8_t>> parse_hex_bytes(std::string_view text) {
    std::vector<uint8_t> out;
    size_t i = 0;
    while (i < text.size()) {
        if (is_space(text[i])) {
            ++i;
            continue;
        }
        size_t end = i;
        while (end < text.size() && !is_space(text[end])) ++end;
        std::string_view word = text.substr(i, end - i);
        i = end;
        // "0x" marks one byte; without it a word may hold several bytes.
        const bool prefixed = word.size() > 2 && word[0] == '0' && (word[1] == 'x' || word[1] == 'X');
        std::string_view digits = prefixed ? word.substr(2) : word;
        for (char c : digits)
            if (hex_digit(c) < 0)
                return hex_error("bad hex digit '" + std::string(1, c) + "' in '" + std::string(word) + "'");
        if (digits.size() % 2 != 0)
            return hex_error("odd number of hex digits in '" + std::string(word) + "'");
        if (prefixed && digits.size() != 2)
            return hex_error(std::string(word) + " is not one byte (write 0xNN per byte)");
        for (size_t d = 0; d < digits.size(); d += 2)
            out.push_back(static_cast<uint8_t>(hex_digit(digits[d]) * 16 + hex_digit(digits[d + 1])));
    }
    return out;
}

Result<std::vector<RawInsn>> parse_hex_program(std::string_view text) {
    auto bytes = parse_hex_bytes(text);
    if (!bytes) return bytes.error();
    if (bytes->size() % sizeof(RawInsn) != 0)
        return hex_error("program is " + std::to_string(bytes->size()) +
                         " bytes, not a multiple of 8 (one eBPF instruction is 8 bytes)");
    std::vector<RawInsn> insns(bytes->size() / sizeof(RawInsn));
    if (!insns.empty()) std::memcpy(insns.data(), bytes->data(), bytes->size());
    return insns;
}

std::string to_hex_bytes(std::span<const uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    s.reserve(bytes.size() * 3);
    for (uint8_t b : bytes) {
        if (!s.empty()) s += ' ';
        s += kDigits[b >> 4];
        s += kDigits[b & 15];
    }
    return s;
}

std::string to_hex_program(std::span<const RawInsn> insns) {
    return to_hex_bytes(std::span(reinterpret_cast<const uint8_t*>(insns.data()), insns.size_bytes()));
}

}  // namespace xdpdk::vm
