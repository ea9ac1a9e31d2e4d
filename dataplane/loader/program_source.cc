#include "program_source.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "vm/printable.h"
#include "vm/xdp.h"

namespace xdpdk::loader {
namespace {

Result<std::string> read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(path, std::string("cannot open: ") + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return make_error(path, std::string("cannot read: ") + std::strerror(errno));
    return text.str();
}

// The filter's cBPF: libpcap's compilation of the expression for the link
// type, or the -ddd file's instructions.
Result<std::vector<vm::cbpf::Insn>> classic_program(const FilterSource& f) {
    if (f.kind == FilterSource::Kind::expression) return vm::cbpf::compile_expression(f.expression, f.linktype);
    if (f.ddd_path.empty()) return make_error("filter-ddd", "no file given");
    XDPDK_ASSIGN_OR_RETURN(const std::string text, read_text_file(f.ddd_path));
    return vm::cbpf::parse_ddd(text, f.ddd_path);
}

std::string filter_subject(const FilterSource& f) {
    if (f.kind == FilterSource::Kind::expression) return "filter '" + vm::printable(f.expression) + "'";
    return vm::printable(f.ddd_path);
}

Result<std::vector<uint8_t>> filter_elf(const FilterSource& f) {
    XDPDK_ASSIGN_OR_RETURN(const auto classic, classic_program(f));
    XDPDK_ASSIGN_OR_RETURN(const auto ebpf, vm::cbpf::translate(classic, f.verdicts, filter_subject(f)));
    return vm::cbpf::filter_object(ebpf, kFilterProgramName);
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// One level of matching quotes, as a config file may keep them around the
// expression (a shell has already taken them off).
std::string_view unquoted(std::string_view s) {
    if (s.size() >= 2 && (s.front() == '\'' || s.front() == '"') && s.back() == s.front())
        return s.substr(1, s.size() - 2);
    return s;
}

}  // namespace

std::string ProgramSource::label() const {
    if (!filter) return object_path;
    if (filter->kind == FilterSource::Kind::expression)
        return std::string(kFilterPrefix) + "'" + vm::printable(filter->expression) + "'";
    return std::string(kFilterDddPrefix) + "'" + vm::printable(filter->ddd_path) + "'";
}

Result<std::vector<uint8_t>> program_source_elf(const ProgramSource& source) {
    if (source.filter) return filter_elf(*source.filter);
    std::ifstream in(source.object_path, std::ios::binary);
    if (!in) return make_error("elf '" + source.object_path + "'", std::string("cannot open: ") + std::strerror(errno));
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Result<std::unique_ptr<vm::Object>> open_program_source(const ProgramSource& source,
                                                        const vm::ObjectOptions& options) {
    if (!source.filter) return vm::Object::open(source.object_path, options);
    XDPDK_ASSIGN_OR_RETURN(const auto elf, filter_elf(*source.filter));
    return vm::Object::open_memory(elf, kFilterProgramName, options);
}

Result<uint32_t> parse_filter_verdict(std::string_view name, const std::string& subject) {
    std::string n = lower(name);
    if (n.rfind("xdp_", 0) == 0) n = n.substr(4);
    if (n == "pass") return uint32_t{vm::XDP_PASS};
    if (n == "drop") return uint32_t{vm::XDP_DROP};
    if (n == "tx") return uint32_t{vm::XDP_TX};
    if (n == "aborted") return uint32_t{vm::XDP_ABORTED};
    // A redirect needs a target that only a helper call sets.
    return make_error(subject, "unknown verdict '" + std::string(name) + "': choose from pass, drop, tx, aborted");
}

Result<vm::cbpf::Verdicts> parse_filter_action(std::string_view text) {
    const std::string subject = "--filter-action '" + std::string(text) + "'";
    vm::cbpf::Verdicts v;
    const size_t comma = text.find(',');
    XDPDK_ASSIGN_OR_RETURN(v.match, parse_filter_verdict(text.substr(0, comma), subject));
    if (comma == std::string_view::npos) return v;
    const std::string_view rest = text.substr(comma + 1);
    if (rest.find(',') != std::string_view::npos)
        return make_error(subject, "expected MATCH[,NOMATCH], e.g. tx,drop");
    XDPDK_ASSIGN_OR_RETURN(v.no_match, parse_filter_verdict(rest, subject));
    return v;
}

std::string filter_action_text(const vm::cbpf::Verdicts& verdicts) {
    return lower(vm::xdp_action_name(verdicts.match)).substr(4) + "," +
           lower(vm::xdp_action_name(verdicts.no_match)).substr(4);
}

std::optional<std::string> ddd_path_of_word(std::string_view word) {
    if (word.rfind(kFilterDddPrefix, 0) != 0) return std::nullopt;
    return std::string(unquoted(word.substr(kFilterDddPrefix.size())));
}

Result<std::optional<FilterSource>> filter_from_word(std::string_view word, const std::string& subject) {
    FilterSource f;
    if (word.rfind(kFilterPrefix, 0) == 0) {
        f.expression = std::string(unquoted(word.substr(kFilterPrefix.size())));
        return std::optional<FilterSource>(std::move(f));
    }
    if (auto path = ddd_path_of_word(word)) {
        if (path->empty()) return make_error(subject, "expected filter-ddd:FILE, with a file");
        f.kind = FilterSource::Kind::ddd_file;
        f.ddd_path = std::move(*path);
        return std::optional<FilterSource>(std::move(f));
    }
    return std::optional<FilterSource>();
}

}  // namespace xdpdk::loader
