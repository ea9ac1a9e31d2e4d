#include "data_file.h"

#include <algorithm>

namespace xdpdk::test {

std::string_view trim_data(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return s;
}

const std::vector<std::string_view>* DataFile::lines(std::string_view section) const {
    for (const auto& [name, body] : sections)
        if (name == section) return &body;
    return nullptr;
}

Result<DataFile> split_data_file(const std::string& subject, std::string_view text,
                                 std::initializer_list<std::string_view> known) {
    DataFile f;
    std::vector<std::string_view>* body = nullptr;
    bool in_asm = false, in_section = false;
    while (!text.empty()) {
        const size_t nl = text.find('\n');
        const std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        if (line.starts_with("--")) {
            f.asm_text.push_back('\n');
            const std::string name(trim_data(line.substr(2)));
            if (std::find(known.begin(), known.end(), name) == known.end())
                return make_error(subject, "unknown section '-- " + name + "'");
            in_section = true;
            in_asm = name == "asm";
            f.has_asm |= in_asm;
            if (in_asm) continue;
            auto same = [&](const auto& section) { return section.first == name; };
            auto it = std::find_if(f.sections.begin(), f.sections.end(), same);
            body = it != f.sections.end() ? &it->second
                                          : &f.sections.emplace_back(name, std::vector<std::string_view>{}).second;
            continue;
        }
        if (in_asm) {
            f.asm_text.append(line).push_back('\n');
            continue;
        }
        f.asm_text.push_back('\n');
        if (in_section) {
            body->push_back(line);
        } else if (const std::string_view t = trim_data(line); !t.empty() && !t.starts_with("#")) {
            return make_error(subject, "text before the first section: '" + std::string(line) + "'");
        }
    }
    return f;
}

}  // namespace xdpdk::test
