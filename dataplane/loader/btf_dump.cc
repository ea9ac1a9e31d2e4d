#include "btf_dump.h"

#include <bpf/btf.h>
#include <linux/btf.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace xdpdk::loader {

using json = nlohmann::ordered_json;

json& JsonSink::put(json v) {
    if (stack_.empty()) {
        root_ = std::move(v);
        return root_;
    }
    json& top = *stack_.back();
    if (top.is_array()) {
        top.push_back(std::move(v));
        return top.back();
    }
    // A repeated name (anonymous members are all "") keeps its first place
    // and the last value, as a JSON parser reads bpftool's output.
    json& slot = top[name_];
    slot = std::move(v);
    return slot;
}

void TextSink::separate() {
    if (sep_) out_ += sep_;
    sep_ = ',';
}

void TextSink::begin(char c) {
    separate();
    out_ += c;
    ++depth_;
    sep_ = 0;
}

void TextSink::end(char c) {
    --depth_;
    if (sep_) {
        out_ += '\n';
        out_.append(4 * depth_, ' ');
    }
    out_ += c;
    sep_ = ',';
}

void TextSink::name(std::string_view name) {
    separate();
    out_ += '\n';
    out_.append(4 * depth_, ' ');
    sep_ = 0;
    puts(name);
    out_ += ": ";
}

void TextSink::string(std::string_view s) {
    separate();
    puts(s);
}

void TextSink::scalar(std::string_view text, json) {
    separate();
    out_ += text;
}

void TextSink::puts(std::string_view s) {
    out_ += '"';
    for (char c : s) {
        switch (c) {
            case '\t': out_ += "\\t"; break;
            case '\n': out_ += "\\n"; break;
            case '\r': out_ += "\\r"; break;
            case '\f': out_ += "\\f"; break;
            case '\b': out_ += "\\b"; break;
            case '\\': out_ += "\\n"; break;  // sic: bpftool's json_writer
            case '"': out_ += "\\\""; break;
            default: out_ += c;
        }
    }
    out_ += '"';
}

namespace {

// A T at `off`, its bytes zero where `data` ends first.
template <class T>
T load(std::span<const uint8_t> data, size_t off = 0) {
    T v{};
    if (off < data.size()) std::memcpy(&v, data.data() + off, std::min(sizeof v, data.size() - off));
    return v;
}

std::span<const uint8_t> skip(std::span<const uint8_t> data, size_t off) {
    return off < data.size() ? data.subspan(off) : std::span<const uint8_t>();
}

template <class... Args>
std::string format(const char* fmt, Args... args) {
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, args...);
    return buf;
}

// The code point U+00XX as UTF-8: what a JSON parser makes of "\u00XX".
std::string latin1_to_utf8(uint8_t c) {
    if (c < 0x80) return std::string(1, static_cast<char>(c));
    return {static_cast<char>(0xc0 | (c >> 6)), static_cast<char>(0x80 | (c & 0x3f))};
}

// A name of the string section; "" where a damaged BTF has none.
const char* name_at(const struct btf* btf, uint32_t off) {
    const char* s = btf__name_by_offset(btf, off);
    return s ? s : "";
}

// isprint() in the C locale bpftool runs in.
bool printable(char c) { return c >= 0x20 && c <= 0x7e; }

class Dumper {
public:
    Dumper(const struct btf* btf, bool plain, BtfSink& out) : btf_(btf), plain_(plain), out_(out) {}

    // btf_dumper_do_type(): 0 or a negative errno, as bpftool returns.
    int type(uint32_t id, uint8_t bit_offset, std::span<const uint8_t> data) {
        // The kernel refuses a type that contains itself; an object's BTF
        // here has not been through the kernel.
        if (depth_ >= kMaxDepth) return -ELOOP;
        ++depth_;
        const int ret = dispatch(id, bit_offset, data);
        --depth_;
        return ret;
    }

private:
    static constexpr int kMaxDepth = 64;

    int dispatch(uint32_t id, uint8_t bit_offset, std::span<const uint8_t> data) {
        const btf_type* t = btf__type_by_id(btf_, id);
        if (!t) return -EINVAL;
        switch (btf_kind(t)) {
            case BTF_KIND_INT: return integer(t, bit_offset, data);
            case BTF_KIND_STRUCT: case BTF_KIND_UNION: return members(t, data);
            case BTF_KIND_ARRAY: return array(t, data);
            case BTF_KIND_ENUM: return enum32(t, data);
            case BTF_KIND_ENUM64: return enum64(t, data);
            case BTF_KIND_PTR: pointer(data); return 0;
            case BTF_KIND_UNKN: out_.scalar("(unknown)", "(unknown)"); return 0;
            case BTF_KIND_FWD: out_.scalar("(fwd-kind-invalid)", "(fwd-kind-invalid)"); return -EINVAL;
            case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST: case BTF_KIND_RESTRICT: {
                const int resolved = btf__resolve_type(btf_, id);
                return resolved < 0 ? resolved : type(static_cast<uint32_t>(resolved), bit_offset, data);
            }
            case BTF_KIND_VAR: return var(t, bit_offset, data);
            case BTF_KIND_DATASEC: return datasec(t, data);
            default:
                // bpftool prints this unclosed parenthesis and gives up.
                out_.scalar("(unsupported-kind", "(unsupported-kind");
                return -EINVAL;
        }
    }

    // Hex of a 128-bit number: bitfields and __int128, quoted under -j.
    void hex128(unsigned __int128 v) {
        const auto upper = static_cast<unsigned long long>(v >> 64);
        const auto lower = static_cast<unsigned long long>(v);
        const std::string hex = upper ? format("0x%llx%016llx", upper, lower) : format("0x%llx", lower);
        out_.scalar(plain_ ? hex : "\"" + hex + "\"", hex);
    }

    // btf_dumper_bitfield(): `nr_bits` from `bit_offset` of the first byte.
    void bitfield(uint32_t nr_bits, uint8_t bit_offset, std::span<const uint8_t> data) {
        const uint32_t bits = bit_offset + nr_bits;
        const size_t bytes = std::min<size_t>((bits + 7) / 8, 16);
        unsigned __int128 v = 0;
        for (size_t i = 0; i < bytes; ++i) v |= static_cast<unsigned __int128>(load<uint8_t>(data, i)) << (8 * i);
        if (bits < 128) v <<= 128 - bits;
        if (nr_bits < 128) v >>= 128 - nr_bits;
        hex128(v);
    }

    void int_bits(uint32_t int_type, uint8_t bit_offset, std::span<const uint8_t> data) {
        const uint32_t total = bit_offset + BTF_INT_OFFSET(int_type);
        bitfield(BTF_INT_BITS(int_type), total % 8, skip(data, total / 8));
    }

    template <class T>
    void number(const char* fmt, T v) {
        out_.scalar(format(fmt, v), v);
    }

    int integer(const btf_type* t, uint8_t bit_offset, std::span<const uint8_t> data) {
        const uint32_t int_type = *reinterpret_cast<const uint32_t*>(t + 1);
        const uint32_t nr_bits = BTF_INT_BITS(int_type);
        if (bit_offset || BTF_INT_OFFSET(int_type) || nr_bits % 8) {
            int_bits(int_type, bit_offset, data);
            return 0;
        }
        if (nr_bits == 128) {
            hex128(load<unsigned __int128>(data));
            return 0;
        }
        switch (BTF_INT_ENCODING(int_type)) {
            case 0:
                if (nr_bits == 64) number("%" PRIu64, load<uint64_t>(data));
                else if (nr_bits == 32) number("%" PRIu32, load<uint32_t>(data));
                else if (nr_bits == 16) number("%" PRIu16, load<uint16_t>(data));
                else if (nr_bits == 8) number("%" PRIu8, load<uint8_t>(data));
                else int_bits(int_type, bit_offset, data);
                return 0;
            case BTF_INT_SIGNED:
                if (nr_bits == 64) number("%" PRId64, load<int64_t>(data));
                else if (nr_bits == 32) number("%" PRId32, load<int32_t>(data));
                else if (nr_bits == 16) number("%" PRId16, load<int16_t>(data));
                else if (nr_bits == 8) number("%" PRId8, load<int8_t>(data));
                else int_bits(int_type, bit_offset, data);
                return 0;
            case BTF_INT_CHAR: {
                const char c = load<char>(data);
                const auto byte = static_cast<uint8_t>(c);
                if (printable(c)) out_.scalar(std::string{'"', c, '"'}, std::string(1, c));
                else if (plain_) out_.scalar(format("0x%x", byte), latin1_to_utf8(byte));
                else out_.scalar(format("\"\\u00%02x\"", byte), latin1_to_utf8(byte));
                return 0;
            }
            case BTF_INT_BOOL: {
                const bool b = load<uint8_t>(data) != 0;
                out_.scalar(b ? "true" : "false", b);
                return 0;
            }
            default:
                return -EINVAL;
        }
    }

    int members(const btf_type* t, std::span<const uint8_t> data) {
        const btf_member* m = btf_members(t);
        out_.begin_object();
        int ret = 0;
        for (uint16_t i = 0; i < btf_vlen(t); ++i) {
            const uint32_t bit_offset = btf_member_bit_offset(t, i);
            const uint32_t bitfield_size = btf_member_bitfield_size(t, i);
            out_.name(name_at(btf_, m[i].name_off));
            const auto at = skip(data, bit_offset / 8);
            if (bitfield_size) {
                bitfield(bitfield_size, bit_offset % 8, at);
            } else if ((ret = type(m[i].type, bit_offset % 8, at)) != 0) {
                break;
            }
        }
        out_.end_object();
        return ret;
    }

    // is_str_array(): a char array holding a NUL-terminated printable string.
    bool is_string(const struct btf_array* arr, std::span<const uint8_t> data) const {
        if (!arr->nelems) return false;
        const btf_type* elem = btf__type_by_id(btf_, arr->type);
        // Modifiers are skipped, typedefs are not: a typedef of char is no string.
        while (elem && btf_is_mod(elem)) elem = btf__type_by_id(btf_, elem->type);
        if (!elem || !btf_is_int(elem) || elem->size != 1) return false;
        if (btf_int_encoding(elem) != BTF_INT_CHAR && std::strcmp(name_at(btf_, elem->name_off), "char"))
            return false;
        for (uint32_t i = 0; i < arr->nelems; ++i) {
            const char c = load<char>(data, i);
            if (!c) return true;
            if (!printable(c)) return false;
        }
        return false;
    }

    int array(const btf_type* t, std::span<const uint8_t> data) {
        const struct btf_array* arr = btf_array(t);
        if (is_string(arr, data)) {
            const std::string_view bytes(reinterpret_cast<const char*>(data.data()), std::min<size_t>(data.size(), arr->nelems));
            out_.string(bytes.substr(0, bytes.find('\0')));
            return 0;
        }
        const int64_t elem_size = btf__resolve_size(btf_, arr->type);
        if (elem_size < 0) return static_cast<int>(elem_size);
        out_.begin_array();
        int ret = 0;
        for (uint32_t i = 0; i < arr->nelems; ++i)
            if ((ret = type(arr->type, 0, skip(data, i * static_cast<size_t>(elem_size)))) != 0) break;
        out_.end_array();
        return ret;
    }

    void enum_value(int64_t value) { number("%" PRId64, value); }

    int enum32(const btf_type* t, std::span<const uint8_t> data) {
        int64_t value;
        switch (t->size) {
            case 8: value = load<int64_t>(data); break;
            case 4: value = load<int32_t>(data); break;
            case 2: value = load<int16_t>(data); break;
            case 1: value = load<int8_t>(data); break;
            default: return -EINVAL;
        }
        const struct btf_enum* e = btf_enum(t);
        for (uint16_t i = 0; i < btf_vlen(t); ++i) {
            if (value == e[i].val) {
                out_.string(name_at(btf_, e[i].name_off));
                return 0;
            }
        }
        enum_value(value);
        return 0;
    }

    int enum64(const btf_type* t, std::span<const uint8_t> data) {
        const uint64_t value = load<uint64_t>(data);
        const struct btf_enum64* e = btf_enum64(t);
        for (uint16_t i = 0; i < btf_vlen(t); ++i) {
            if (static_cast<uint32_t>(value) == e[i].val_lo32 && value >> 32 == e[i].val_hi32) {
                out_.string(name_at(btf_, e[i].name_off));
                return 0;
            }
        }
        enum_value(static_cast<int64_t>(value));
        return 0;
    }

    void pointer(std::span<const uint8_t> data) {
        const uint64_t v = load<uint64_t>(data);
        // glibc's %p.
        if (plain_) out_.scalar(v ? format("0x%" PRIx64, v) : "(nil)", v);
        else number("%" PRIu64, v);
    }

    int var(const btf_type* t, uint8_t bit_offset, std::span<const uint8_t> data) {
        out_.begin_object();
        out_.name(name_at(btf_, t->name_off));
        const int ret = type(t->type, bit_offset, data);
        out_.end_object();
        return ret;
    }

    int datasec(const btf_type* t, std::span<const uint8_t> data) {
        const btf_var_secinfo* vars = btf_var_secinfos(t);
        out_.begin_object();
        out_.name(name_at(btf_, t->name_off));
        out_.begin_array();
        int ret = 0;
        for (uint16_t i = 0; i < btf_vlen(t); ++i)
            if ((ret = type(vars[i].type, 0, skip(data, vars[i].offset))) != 0) break;
        out_.end_array();
        out_.end_object();
        return ret;
    }

    const struct btf* btf_;
    bool plain_;
    BtfSink& out_;
    int depth_ = 0;
};

}  // namespace

bool dump_btf_type(const struct btf* btf, uint32_t type_id, std::span<const uint8_t> data, bool plain, BtfSink& out) {
    return Dumper(btf, plain, out).type(type_id, 0, data) == 0;
}

}  // namespace xdpdk::loader
