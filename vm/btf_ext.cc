#include "btf_ext.h"

#include <bpf/btf.h>

#include <cstring>

#include "btf_info.h"

namespace xdpdk::vm {
namespace {

constexpr uint16_t kBtfMagic = 0xeB9F;
constexpr uint32_t kInsnSize = 8;
// Header up to line_info_len; core_relo_off/len follow when hdr_len says so.
constexpr uint32_t kBaseHeaderLen = 24;
constexpr uint32_t kCoreHeaderLen = 32;

uint32_t read_u32(std::span<const uint8_t> data, size_t at) {
    uint32_t v;
    std::memcpy(&v, data.data() + at, sizeof v);
    return v;
}

// One of the three info blocks: rec_size, then per section {sec_name_off,
// num_info, records}. `min_record` is the smallest record this version
// defines; larger records (a newer clang) are read by their known prefix.
class InfoBlock {
public:
    InfoBlock(std::span<const uint8_t> block, const char* what, uint32_t min_record, const struct btf* btf,
              const std::string& subject)
        : block_(block), what_(what), min_record_(min_record), btf_(btf), subject_(subject) {}

    // Calls add(section_name, record_bytes) for every record.
    template <typename Add>
    Status read(Add&& add) const {
        if (block_.empty()) return {};
        if (block_.size() < 4) return fail("shorter than its record size field");
        const uint32_t rec_size = read_u32(block_, 0);
        if (rec_size < min_record_ || rec_size % 4 != 0)
            return fail("record size " + std::to_string(rec_size) + " (at least " + std::to_string(min_record_) +
                        ", a multiple of 4)");
        size_t at = 4;
        while (at < block_.size()) {
            if (block_.size() - at < 8) return fail("section header at byte " + std::to_string(at) + " is truncated");
            const uint32_t name_off = read_u32(block_, at);
            const uint32_t count = read_u32(block_, at + 4);
            const char* name = btf__name_by_offset(btf_, name_off);
            if (!name || !*name) return fail("section name offset " + std::to_string(name_off) + " is not a BTF string");
            if (count == 0) return fail("section '" + std::string(name) + "' has no records");
            at += 8;
            if (uint64_t(count) * rec_size > block_.size() - at)
                return fail(std::to_string(count) + " records of section '" + name + "' end past the data");
            for (uint32_t i = 0; i < count; ++i, at += rec_size)
                XDPDK_RETURN_IF_ERROR(add(std::string_view(name), i, block_.subspan(at, rec_size)));
        }
        return {};
    }

    Error fail(const std::string& reason) const { return make_error(subject_, std::string(".BTF.ext ") + what_ + ": " + reason); }

    // A string of the BTF the record points at; refused when out of range.
    Result<std::string_view> string(uint32_t off, std::string_view section, uint32_t record, const char* field) const {
        const char* s = btf__name_by_offset(btf_, off);
        if (!s) return fail(std::string(field) + " of record " + std::to_string(record) + " of section '" +
                            std::string(section) + "' is not a BTF string");
        return std::string_view(s);
    }

    Result<uint32_t> insn_index(uint32_t byte_off, std::string_view section, uint32_t record) const {
        if (byte_off % kInsnSize != 0)
            return fail("record " + std::to_string(record) + " of section '" + std::string(section) +
                        "' points inside an instruction (byte " + std::to_string(byte_off) + ")");
        return byte_off / kInsnSize;
    }

private:
    std::span<const uint8_t> block_;
    const char* what_;
    uint32_t min_record_;
    const struct btf* btf_;
    const std::string& subject_;
};

BtfExtSection& section_named(std::vector<BtfExtSection>& sections, std::string_view name) {
    for (auto& s : sections)
        if (s.name == name) return s;
    sections.push_back(BtfExtSection{std::string(name), {}, {}, {}});
    return sections.back();
}

}  // namespace

Result<BtfExt> BtfExt::parse(std::span<const uint8_t> data, const BtfInfo& btf, const std::string& subject) {
    auto fail = [&](const std::string& reason) { return make_error(subject, ".BTF.ext: " + reason); };
    if (data.size() < kBaseHeaderLen) return fail("shorter than its header");
    uint16_t magic;
    std::memcpy(&magic, data.data(), sizeof magic);
    if (magic != kBtfMagic) return fail("bad magic (not little-endian BTF.ext)");
    if (data[2] != 1) return fail("unsupported version " + std::to_string(data[2]));
    if (data[3] != 0) return fail("unsupported flags " + std::to_string(data[3]));
    const uint32_t hdr_len = read_u32(data, 4);
    if (hdr_len < kBaseHeaderLen || hdr_len > data.size()) return fail("header length " + std::to_string(hdr_len));
    const auto body = data.subspan(hdr_len);

    // A block given as (offset, length) after the header; length 0 = absent.
    auto block = [&](size_t field, const char* what) -> Result<std::span<const uint8_t>> {
        const uint32_t off = read_u32(data, field), len = read_u32(data, field + 4);
        if (len == 0) return std::span<const uint8_t>{};
        if (off % 4 != 0 || uint64_t(off) + len > body.size())
            return fail(std::string(what) + " (offset " + std::to_string(off) + ", length " + std::to_string(len) +
                        ") lies outside the section");
        return body.subspan(off, len);
    };

    BtfExt ext;
    ext.btf_ = btf.shared();
    const struct btf* b = btf.get();

    XDPDK_ASSIGN_OR_RETURN(auto func_block, block(8, "func_info"));
    const InfoBlock funcs(func_block, "func_info", 8, b, subject);
    XDPDK_RETURN_IF_ERROR(funcs.read([&](std::string_view sec, uint32_t i, std::span<const uint8_t> r) -> Status {
        XDPDK_ASSIGN_OR_RETURN(const uint32_t insn, funcs.insn_index(read_u32(r, 0), sec, i));
        section_named(ext.sections_, sec).funcs.push_back({insn, read_u32(r, 4)});
        return {};
    }));

    XDPDK_ASSIGN_OR_RETURN(auto line_block, block(16, "line_info"));
    const InfoBlock lines(line_block, "line_info", 16, b, subject);
    XDPDK_RETURN_IF_ERROR(lines.read([&](std::string_view sec, uint32_t i, std::span<const uint8_t> r) -> Status {
        XDPDK_ASSIGN_OR_RETURN(const uint32_t insn, lines.insn_index(read_u32(r, 0), sec, i));
        XDPDK_ASSIGN_OR_RETURN(const auto file, lines.string(read_u32(r, 4), sec, i, "file name"));
        XDPDK_ASSIGN_OR_RETURN(const auto text, lines.string(read_u32(r, 8), sec, i, "line text"));
        const uint32_t line_col = read_u32(r, 12);
        // BPF_LINE_INFO_LINE_NUM / _LINE_COL: line in the high 22 bits.
        section_named(ext.sections_, sec).lines.push_back({insn, file, text, line_col >> 10, line_col & 0x3ff});
        return {};
    }));

    if (hdr_len >= kCoreHeaderLen) {
        XDPDK_ASSIGN_OR_RETURN(auto core_block, block(24, "core_relo"));
        const InfoBlock relos(core_block, "core_relo", 16, b, subject);
        XDPDK_RETURN_IF_ERROR(relos.read([&](std::string_view sec, uint32_t i, std::span<const uint8_t> r) -> Status {
            XDPDK_ASSIGN_OR_RETURN(const uint32_t insn, relos.insn_index(read_u32(r, 0), sec, i));
            XDPDK_ASSIGN_OR_RETURN(const auto access, relos.string(read_u32(r, 8), sec, i, "access string"));
            section_named(ext.sections_, sec).core_relos.push_back({insn, read_u32(r, 4), access, read_u32(r, 12)});
            return {};
        }));
    }
    return ext;
}

const BtfExtSection* BtfExt::section(std::string_view name) const {
    for (const auto& s : sections_)
        if (s.name == name) return &s;
    return nullptr;
}

}  // namespace xdpdk::vm
