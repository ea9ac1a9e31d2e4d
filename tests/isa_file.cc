#include "isa_file.h"

#include <algorithm>
#include <charconv>
#include <filesystem>

#include "data_file.h"
#include "test_support.h"
#include "vm/assembler.h"
#include "vm/hex_bytes.h"

namespace xdpdk::test {
namespace {

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
    XDPDK_ASSIGN_OR_RETURN(DataFile file, split_data_file(subject, text, {"asm", "mem", "result", "error"}));
    if (!file.has_asm) return make_error(subject, "no '-- asm' section");
    auto joined = [&](std::string_view section) {
        std::string out;
        if (const auto* lines = file.lines(section))
            for (std::string_view line : *lines) out.append(line).push_back('\n');
        return out;
    };
    const std::string mem_text = joined("mem"), result_text = joined("result"), error_text = joined("error");
    const bool seen_mem = file.lines("mem") != nullptr;
    auto program = vm::assemble(file.asm_text);
    if (!program) return make_error(subject, program.error().str());
    c.program = std::move(program).value();
    if (seen_mem) {
        auto mem = vm::parse_hex_bytes(mem_text);
        if (!mem) return make_error(subject, "-- mem: " + mem.error().str());
        c.mem = std::move(mem).value();
    }
    const std::string_view result = trim_data(result_text), error = trim_data(error_text);
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
