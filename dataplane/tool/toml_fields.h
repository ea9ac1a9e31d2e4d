// Typed reading of one TOML table for configuration files: each accessor
// checks the value's type and range and, on failure, returns one error that
// names the file, the line and column, and the key's full path
// ("run.toml:7:8: 'port[1].pass': ..."). check_keys() turns a misspelled key
// into an error that suggests the nearest valid one, so a typo never silently
// leaves a default in place.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "vm/error.h"

namespace xdpdk::cli {

// "file:line:column" of a node, or of the file when the node has no source.
std::string toml_location(const std::string& file, const toml::source_region& where);

// The name of `key` in `valid` closest to it by edit distance, if it is close
// enough to be a plausible typo; empty otherwise.
std::string nearest_name(std::string_view key, std::initializer_list<std::string_view> valid);

class TomlFields {
public:
    // `path` is the key path of `table` in error messages ("" for the root,
    // "port[1]" for the second [[port]] table).
    TomlFields(const toml::table& table, const std::string& file, std::string path);

    // Every key of the table must be one of `valid`.
    Status check_keys(std::initializer_list<std::string_view> valid) const;

    bool has(std::string_view key) const { return table_.contains(key); }

    // Each reader leaves `out` unchanged when the key is absent.
    Status read_string(std::string_view key, std::string& out) const;
    Status read_bool(std::string_view key, bool& out) const;
    Status read_integer(std::string_view key, int64_t min, int64_t max, int64_t& out) const;
    // A duration or period in seconds: an integer or a float, >= 0, finite.
    Status read_seconds(std::string_view key, double& out) const;
    Status read_string_array(std::string_view key, std::vector<std::string>& out) const;

    template <class Unsigned>
    Status read_unsigned(std::string_view key, int64_t min, int64_t max, Unsigned& out) const {
        int64_t v = static_cast<int64_t>(out);
        XDPDK_RETURN_IF_ERROR(read_integer(key, min, max, v));
        out = static_cast<Unsigned>(v);
        return {};
    }

    // Errors about the value of `key` (or about the table itself when `key`
    // is empty), located at the value.
    Error error(std::string_view key, std::string reason) const;
    Error error_at(const toml::node& node, std::string_view key, std::string reason) const;

    std::string key_path(std::string_view key) const;
    const toml::table& table() const { return table_; }
    const std::string& file() const { return file_; }

private:
    Error type_error(const toml::node& node, std::string_view key, std::string_view expected) const;

    const toml::table& table_;
    const std::string& file_;
    std::string path_;
};

// A refusal as it leaves a config reader: the file's text that went into it
// (a string value, a quoted key, the character toml++ stopped at) with
// control characters escaped, so that the error stays one line.
Error one_line(Error e);

// "a string", "an integer", ... as a message says what it found.
std::string_view toml_type_name(toml::node_type type);

}  // namespace xdpdk::cli
