// Filter text to classic BPF: libpcap's own compiler for tcpdump
// expressions, and the `tcpdump -ddd` listing.
#include <pcap/pcap.h>

#include <charconv>
#include <cstdio>
#include <memory>
#include <optional>

#include "cbpf.h"
#include "classic_ops.h"
#include "vm/printable.h"

namespace xdpdk::vm::cbpf {
namespace {

struct PcapCloser {
    void operator()(pcap_t* p) const { pcap_close(p); }
};

// The next whitespace-separated unsigned decimal of `text` from `pos`
// (nullopt when there is none or it is not a number that fits).
std::optional<uint64_t> next_number(std::string_view text, size_t& pos, uint64_t max) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\r')) ++pos;
    uint64_t v = 0;
    const char* begin = text.data() + pos;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(begin, end, v);
    if (ec != std::errc() || ptr == begin || v > max) return std::nullopt;
    pos += static_cast<size_t>(ptr - begin);
    return v;
}

// The rest of the current line, blank or not, and moves past its newline.
std::string_view rest_of_line(std::string_view text, size_t& pos) {
    const size_t nl = text.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view rest = text.substr(pos, end - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    const size_t first = rest.find_first_not_of(" \t\r");
    return first == std::string_view::npos ? std::string_view{} : rest.substr(first);
}

}  // namespace

Result<std::vector<Insn>> compile_expression(const std::string& expression, int linktype, int snaplen) {
    const std::string subject = "filter '" + printable(expression) + "'";
    std::unique_ptr<pcap_t, PcapCloser> pcap(pcap_open_dead(linktype, snaplen));
    if (!pcap) return make_error(subject, "libpcap cannot open a handle for link type " + std::to_string(linktype));
    bpf_program prog{};
    if (pcap_compile(pcap.get(), &prog, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
        return make_error(subject, pcap_geterr(pcap.get()));
    std::vector<Insn> insns(prog.bf_len);
    for (u_int i = 0; i < prog.bf_len; ++i) {
        const bpf_insn& in = prog.bf_insns[i];
        insns[i] = Insn{in.code, in.jt, in.jf, in.k};
    }
    pcap_freecode(&prog);
    return insns;
}

Result<std::vector<Insn>> parse_ddd(std::string_view text, const std::string& subject) {
    // Blank lines before the count are allowed, as a file written by hand may have.
    size_t pos = 0;
    size_t line_no = 1;
    while (true) {
        size_t probe = pos;
        if (probe >= text.size()) return make_error(subject, "empty: expected the instruction count");
        if (!rest_of_line(text, probe).empty()) break;
        pos = probe;
        ++line_no;
    }
    const auto count = next_number(text, pos, UINT32_MAX);
    if (!count) return make_error(subject, "line " + std::to_string(line_no) + ": expected the instruction count");
    if (!rest_of_line(text, pos).empty())
        return make_error(subject, "line " + std::to_string(line_no) + ": junk after the instruction count");
    if (*count == 0 || *count > classic::kMaxInsns)
        return make_error(subject, "instruction count " + std::to_string(*count) + " is not in 1.." +
                                       std::to_string(classic::kMaxInsns));
    std::vector<Insn> insns;
    insns.reserve(*count);
    for (uint64_t i = 0; i < *count; ++i) {
        ++line_no;
        const std::string where = "line " + std::to_string(line_no) + " (instruction " + std::to_string(i) + ")";
        if (pos >= text.size())
            return make_error(subject, "ends after " + std::to_string(i) + " of " + std::to_string(*count) +
                                           " instructions");
        const auto code = next_number(text, pos, 0xffff);
        const auto jt = code ? next_number(text, pos, 0xff) : std::nullopt;
        const auto jf = jt ? next_number(text, pos, 0xff) : std::nullopt;
        const auto k = jf ? next_number(text, pos, UINT32_MAX) : std::nullopt;
        if (!k) return make_error(subject, where + ": expected \"code jt jf k\" (decimal; code < 65536, jt and jf < 256, k < 2^32)");
        if (!rest_of_line(text, pos).empty()) return make_error(subject, where + ": junk after \"code jt jf k\"");
        insns.push_back(Insn{static_cast<uint16_t>(*code), static_cast<uint8_t>(*jt), static_cast<uint8_t>(*jf),
                             static_cast<uint32_t>(*k)});
    }
    while (pos < text.size()) {
        ++line_no;
        if (!rest_of_line(text, pos).empty())
            return make_error(subject, "line " + std::to_string(line_no) + ": junk after the " +
                                           std::to_string(*count) + " instructions");
    }
    return insns;
}

}  // namespace xdpdk::vm::cbpf
