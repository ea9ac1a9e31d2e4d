#include "isa_file.h"

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "test_support.h"
#include "vm/assembler.h"
#include "vm/hex_bytes.h"

namespace xdpdk::test {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

std::optional<uint64_t> parse_result(std::string_view s) {
    const bool negative = !s.empty() && s.front() == '-';
    if (negative) s.remove_prefix(1);
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s.remove_prefix(2);
        base = 16;
    }
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return negative ? 0 - v : v;
}

}  // namespace

Result<IsaCase> parse_isa_case(std::string name, std::string_view text) {
    const std::string subject = "isa '" + name + "'";
    IsaCase c;
    c.name = std::move(name);
    std::string section;
    std::string asm_text, mem_text, result_text, error_text;
    bool seen_asm = false, seen_mem = false;
    while (!text.empty()) {
        const size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        // Every file line not in the asm section is a blank asm line, so
        // assembler errors give file line numbers.
        if (line.starts_with("--") || section != "asm") asm_text.push_back('\n');
        if (line.starts_with("--")) {
            section = std::string(trim(line.substr(2)));
            if (section == "asm") seen_asm = true;
            else if (section == "mem") seen_mem = true;
            else if (section != "result" && section != "error")
                return make_error(subject, "unknown section '-- " + section + "'");
            continue;
        }
        std::string* into = section == "asm" ? &asm_text : section == "mem" ? &mem_text
                           : section == "result" ? &result_text : section == "error" ? &error_text : nullptr;
        if (into) {
            into->append(line).push_back('\n');
        } else if (!trim(line).empty() && !trim(line).starts_with("#")) {
            return make_error(subject, "text before the first section: '" + std::string(line) + "'");
        }
    }
    if (!seen_asm) return make_error(subject, "no '-- asm' section");
    auto program = vm::assemble(asm_text);
    if (!program) return make_error(subject, program.error().str());
    c.program = std::move(program).value();
    if (seen_mem) {
        auto mem = vm::parse_hex_bytes(mem_text);
        if (!mem) return make_error(subject, "-- mem: " + mem.error().str());
        c.mem = std::move(mem).value();
    }
    const std::string_view result = trim(result_text), error = trim(error_text);
    if (result.empty() == error.empty())
        return make_error(subject, "needs exactly one of '-- result' and '-- error'");
    if (!result.empty()) {
        c.result = parse_result(result);
        if (!c.result) return make_error(subject, "bad result '" + std::string(result) + "'");
    } else {
        c.error = std::string(error);
    }
    return c;
}

Result<IsaCase> load_isa_case(const std::string& path) {
    const std::string name = std::filesystem::path(path).stem().string();
    if (!std::filesystem::is_regular_file(path)) return make_error("isa '" + name + "'", "cannot read " + path);
    return parse_isa_case(name, read_file(path));
}

std::vector<std::string> list_isa_files(const std::string& dir) {
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.is_regular_file() && entry.path().extension() == ".data") files.push_back(entry.path().string());
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace xdpdk::test
