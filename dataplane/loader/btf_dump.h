// bpftool's BTF dumper (tools/bpf/bpftool/btf_dumper.c) over a map's key or
// value bytes. One walk of the type feeds either a JSON value (what
// `bpftool -j map dump` prints, as a JSON parser reads it) or text (what
// bpftool's json_writer prints in pretty mode for a plain `map dump`), so
// the two outputs cannot drift apart.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

struct btf;

namespace xdpdk::loader {

// The calls bpftool's json_writer receives from its dumper.
class BtfSink {
public:
    virtual ~BtfSink() = default;
    virtual void begin_object() = 0;
    virtual void end_object() = 0;
    virtual void begin_array() = 0;
    virtual void end_array() = 0;
    virtual void name(std::string_view name) = 0;
    virtual void string(std::string_view s) = 0;
    // A jsonw_printf(): `text` as bpftool prints it, `value` what it means
    // as JSON (bpftool's text is not always valid JSON: a '"' char prints as
    // `"""`).
    virtual void scalar(std::string_view text, nlohmann::ordered_json value) = 0;
};

// Builds the JSON value.
class JsonSink final : public BtfSink {
public:
    void begin_object() override { open(nlohmann::ordered_json::object()); }
    void end_object() override { stack_.pop_back(); }
    void begin_array() override { open(nlohmann::ordered_json::array()); }
    void end_array() override { stack_.pop_back(); }
    void name(std::string_view name) override { name_ = name; }
    void string(std::string_view s) override { put(std::string(s)); }
    void scalar(std::string_view, nlohmann::ordered_json value) override { put(std::move(value)); }
    nlohmann::ordered_json take() { return std::move(root_); }

private:
    nlohmann::ordered_json& put(nlohmann::ordered_json v);
    void open(nlohmann::ordered_json v) { stack_.push_back(&put(std::move(v))); }

    nlohmann::ordered_json root_;
    // Open containers, innermost last; only the innermost grows, so the
    // pointers to its ancestors stay valid.
    std::vector<nlohmann::ordered_json*> stack_;
    std::string name_;
};

// Prints as bpftool's json_writer does with pretty printing on, its quirks
// included: 4-space indents, no line break before a scalar in an array, and
// jsonw_puts() escaping '\\' as "\\n" (bpftool 7.1; later versions also
// escape '\'' as "\\'").
class TextSink final : public BtfSink {
public:
    explicit TextSink(std::string& out) : out_(out) {}
    void begin_object() override { begin('{'); }
    void end_object() override { end('}'); }
    void begin_array() override { begin('['); }
    void end_array() override { end(']'); }
    void name(std::string_view name) override;
    void string(std::string_view s) override;
    void scalar(std::string_view text, nlohmann::ordered_json) override;
    // jsonw_destroy(): the final line break.
    void finish() { out_ += '\n'; }

private:
    void begin(char c);
    void end(char c);
    void separate();
    void puts(std::string_view s);

    std::string& out_;
    unsigned depth_ = 0;
    char sep_ = 0;
};

// btf_dumper_type(): type `type_id` over `data`. `plain` picks bpftool's
// non-JSON spellings (unquoted hex for bitfields and 128-bit integers, %p
// pointers, 0x.. for unprintable chars). Bytes past the end of `data` read
// as zero. Returns false where bpftool's dumper fails, having stopped as it
// stops.
bool dump_btf_type(const struct btf* btf, uint32_t type_id, std::span<const uint8_t> data, bool plain, BtfSink& out);

}  // namespace xdpdk::loader
