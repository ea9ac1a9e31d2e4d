#include "error.h"

#include "printable.h"

namespace xdpdk {

std::string Error::str() const {
    std::string s = subject;
    if (!s.empty()) s += ": ";
    if (insn >= 0) s += "insn " + std::to_string(insn) + (source.empty() ? "" : " (" + source + ")") + ": ";
    s += reason;
    return s;
}

// Names in errors come from the input (an ELF symbol, a BTF string, a file
// name) and may hold any byte: escaped here, once for every error, so that an
// error is always one line (the verifier adds its path line afterwards).
Error make_error(std::string subject, std::string reason) {
    return Error{vm::printable(subject), -1, vm::printable(reason), {}};
}

Error make_insn_error(std::string subject, int64_t insn, std::string reason) {
    return Error{vm::printable(subject), insn, vm::printable(reason), {}};
}

}  // namespace xdpdk
