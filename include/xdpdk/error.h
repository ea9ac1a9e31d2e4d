// Errors as values: every loader, decoder, verifier and runtime failure is an
// Error carrying its subject (a file, section, map, program or port), the eBPF
// instruction index where there is one, and a stable reason. No exceptions
// cross the library boundary; the dataplane handle returns these too.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace xdpdk {

struct Error {
    std::string subject;  // "elf 'x.o'", "prog 'xdp_main'", "map 'counts'", ...
    int64_t insn = -1;    // instruction index, -1 when not about one instruction
    std::string reason;
    // The C source line of `insn`, from the object's BTF line info, when it
    // has one: "fw.bpf.c:88 '  if (ip->ihl < 5)'".
    std::string source;

    // "prog 'p': insn 12: reason", "prog 'p': insn 12 (fw.bpf.c:88 '...'):
    // reason" / "subject: reason"
    std::string str() const;
};

Error make_error(std::string subject, std::string reason);
Error make_insn_error(std::string subject, int64_t insn, std::string reason);

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error err) : v_(std::move(err)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const T& value() const& { return std::get<0>(v_); }
    T* operator->() { return &std::get<0>(v_); }
    T& operator*() & { return std::get<0>(v_); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

// Result<void>
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error err) : err_(std::move(err)), ok_(false) {}
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return err_; }

private:
    Error err_;
    bool ok_ = true;
};

using Status = Result<void>;

}  // namespace xdpdk

// Propagate an error from an expression returning Result<T>/Status.
#define XDPDK_CONCAT_(a, b) a##b
#define XDPDK_CONCAT(a, b) XDPDK_CONCAT_(a, b)
#define XDPDK_RETURN_IF_ERROR(expr)                        \
    do {                                                   \
        auto xdpdk_status_ = (expr);                       \
        if (!xdpdk_status_.ok()) return xdpdk_status_.error(); \
    } while (0)
#define XDPDK_ASSIGN_OR_RETURN(lhs, expr) \
    XDPDK_ASSIGN_OR_RETURN_IMPL_(XDPDK_CONCAT(xdpdk_res_, __LINE__), lhs, expr)
#define XDPDK_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
    auto tmp = (expr);                               \
    if (!tmp.ok()) return tmp.error();               \
    lhs = std::move(tmp).value()
