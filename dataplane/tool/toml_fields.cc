#include "toml_fields.h"

#include <algorithm>
#include <cmath>

#include "vm/printable.h"

namespace xdpdk::cli {
namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t above = row[j];
            const size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string name_list(std::initializer_list<std::string_view> names) {
    std::string out;
    for (std::string_view n : names) {
        if (!out.empty()) out += ", ";
        out += n;
    }
    return out;
}

// Appending, not `"'" + std::string`: GCC 12 warns falsely (-Wrestrict) on
// the latter once inlined.
std::string key_message(const std::string& path, std::string_view reason) {
    std::string message;
    message += '\'';
    message += path;
    message += "': ";
    message += reason;
    return message;
}

}  // namespace

std::string toml_location(const std::string& file, const toml::source_region& where) {
    if (where.begin.line == 0) return file;
    return file + ":" + std::to_string(where.begin.line) + ":" + std::to_string(where.begin.column);
}

std::string nearest_name(std::string_view key, std::initializer_list<std::string_view> valid) {
    std::string_view best;
    size_t best_distance = SIZE_MAX;
    for (std::string_view name : valid) {
        const size_t d = edit_distance(key, name);
        if (d < best_distance) {
            best = name;
            best_distance = d;
        }
    }
    // Two edits, or a third of the name: "duraton", "stats-interval", "rxqueues".
    const size_t limit = std::max<size_t>(2, key.size() / 3);
    return best_distance <= limit ? std::string(best) : std::string();
}

std::string_view toml_type_name(toml::node_type type) {
    switch (type) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
        case toml::node_type::none: break;
    }
    return "nothing";
}

TomlFields::TomlFields(const toml::table& table, const std::string& file, std::string path)
    : table_(table), file_(file), path_(std::move(path)) {}

std::string TomlFields::key_path(std::string_view key) const {
    if (path_.empty()) return std::string(key);
    if (key.empty()) return path_;
    return path_ + "." + std::string(key);
}

Error TomlFields::error_at(const toml::node& node, std::string_view key, std::string reason) const {
    return make_error(toml_location(file_, node.source()), key_message(key_path(key), reason));
}

Error TomlFields::error(std::string_view key, std::string reason) const {
    const toml::node* node = key.empty() ? nullptr : table_.get(key);
    return error_at(node != nullptr ? *node : static_cast<const toml::node&>(table_), key, std::move(reason));
}

Error TomlFields::type_error(const toml::node& node, std::string_view key, std::string_view expected) const {
    return error_at(node, key,
                    "expected " + std::string(expected) + ", got " + std::string(toml_type_name(node.type())));
}

Status TomlFields::check_keys(std::initializer_list<std::string_view> valid) const {
    for (auto&& [key, node] : table_) {
        const std::string_view name = key.str();
        if (std::find(valid.begin(), valid.end(), name) != valid.end()) continue;
        const std::string nearest = nearest_name(name, valid);
        std::string reason = "unknown key";
        reason += nearest.empty() ? " (valid keys: " + name_list(valid) + ")" : "; did you mean '" + nearest + "'?";
        return make_error(toml_location(file_, key.source()), key_message(key_path(name), reason));
    }
    return {};
}

Status TomlFields::read_string(std::string_view key, std::string& out) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return {};
    const auto* s = node->as_string();
    if (s == nullptr) return type_error(*node, key, "a string");
    out = s->get();
    return {};
}

Status TomlFields::read_bool(std::string_view key, bool& out) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return {};
    const auto* b = node->as_boolean();
    if (b == nullptr) return type_error(*node, key, "true or false");
    out = b->get();
    return {};
}

Status TomlFields::read_integer(std::string_view key, int64_t min, int64_t max, int64_t& out) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return {};
    const auto* i = node->as_integer();
    if (i == nullptr) return type_error(*node, key, "an integer");
    const int64_t v = i->get();
    if (v < min || v > max)
        return error_at(*node, key,
                        std::to_string(v) + " is out of range (" + std::to_string(min) + " to " + std::to_string(max) + ")");
    out = v;
    return {};
}

Status TomlFields::read_seconds(std::string_view key, double& out) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return {};
    double v = 0;
    if (const auto* i = node->as_integer()) {
        v = static_cast<double>(i->get());
    } else if (const auto* f = node->as_floating_point()) {
        v = f->get();
    } else {
        return type_error(*node, key, "a number of seconds");
    }
    if (!std::isfinite(v) || v < 0) return error_at(*node, key, "must be a finite number of seconds >= 0");
    out = v;
    return {};
}

Status TomlFields::read_string_array(std::string_view key, std::vector<std::string>& out) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return {};
    const auto* arr = node->as_array();
    if (arr == nullptr) return type_error(*node, key, "an array of strings");
    std::vector<std::string> values;
    for (size_t i = 0; i < arr->size(); ++i) {
        const toml::node& elem = *arr->get(i);
        const auto* s = elem.as_string();
        if (s == nullptr) return type_error(elem, std::string(key) + "[" + std::to_string(i) + "]", "a string");
        values.push_back(s->get());
    }
    out = std::move(values);
    return {};
}

Error one_line(Error e) {
    e.subject = vm::printable(e.subject);
    e.reason = vm::printable(e.reason);
    return e;
}

}  // namespace xdpdk::cli
