#include "error.h"

namespace xdpdk {

std::string Error::str() const {
    std::string s = subject;
    if (!s.empty()) s += ": ";
    if (insn >= 0) s += "insn " + std::to_string(insn) + (source.empty() ? "" : " (" + source + ")") + ": ";
    s += reason;
    return s;
}

Error make_error(std::string subject, std::string reason) {
    return Error{std::move(subject), -1, std::move(reason), {}};
}

Error make_insn_error(std::string subject, int64_t insn, std::string reason) {
    return Error{std::move(subject), insn, std::move(reason), {}};
}

}  // namespace xdpdk
