// W^X memory for machine code: mapped read-write while the code is copied in,
// then switched to read-execute before anything can run it. A mapping is never
// writable and executable at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../error.h"
#include "jit.h"

namespace xdpdk::vm::jit {

class WritableCode {
public:
    // Whole pages, read-write, not executable.
    static Result<WritableCode> map(size_t code_size, const std::string& subject);
    WritableCode(WritableCode&& other) noexcept;
    WritableCode& operator=(WritableCode&&) = delete;
    ~WritableCode();  // unmaps unless ownership went to a JitCode

    void* data() const { return mem_; }
    size_t size() const { return mapped_size_; }

    // Drops write permission, adds execute, and hands the mapping to a JitCode.
    Result<std::unique_ptr<JitCode>> make_executable(size_t code_size, std::vector<uint32_t> insn_offsets,
                                                     uint32_t tail_entry) &&;

private:
    WritableCode(void* mem, size_t mapped_size, std::string subject);
    void* mem_;
    size_t mapped_size_;
    std::string subject_;
};

}  // namespace xdpdk::vm::jit
