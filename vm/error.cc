#include "error.h"

#include <string_view>

#include "printable.h"

namespace xdpdk {

std::string Error::str() const {
    std::string s = subject;
    if (!s.empty()) s += ": ";
    if (insn >= 0) s += "insn " + std::to_string(insn) + (source.empty() ? "" : " (" + source + ")") + ": ";
    s += reason;
    return s;
}

namespace {

// Names in errors come from the input (an ELF symbol, a BTF string, a file
// name) and may hold any byte: escaped here, once for every error, so that
// an error is always one line. The only second line is the verifier's own
// "\npath: ..." after the reason, which is our text.
std::string one_line(std::string_view text) {
    constexpr std::string_view kPath = "\npath: ";
    const size_t path = text.find(kPath);
    if (path == std::string_view::npos) return vm::printable(text);
    return vm::printable(text.substr(0, path)) + std::string(kPath) + vm::printable(text.substr(path + kPath.size()));
}

}  // namespace

Error make_error(std::string subject, std::string reason) {
    return Error{vm::printable(subject), -1, one_line(reason), {}};
}

Error make_insn_error(std::string subject, int64_t insn, std::string reason) {
    return Error{vm::printable(subject), insn, one_line(reason), {}};
}

}  // namespace xdpdk
