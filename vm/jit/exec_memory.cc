#include "exec_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace xdpdk::vm {

JitCode::JitCode(void* mem, size_t mapped_size, size_t code_size, std::vector<uint32_t> insn_offsets,
                 uint32_t tail_entry)
    : tail_address_(static_cast<const uint8_t*>(mem) + tail_entry),
      mem_(mem),
      mapped_size_(mapped_size),
      code_size_(code_size),
      insn_offsets_(std::move(insn_offsets)) {}

JitCode::~JitCode() { ::munmap(mem_, mapped_size_); }

namespace jit {

Result<WritableCode> WritableCode::map(size_t code_size, const std::string& subject) {
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t size = (code_size + page - 1) / page * page;
    void* mem = ::mmap(nullptr, size == 0 ? page : size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return make_error(subject, "cannot map " + std::to_string(size) + " bytes for machine code: " +
                                       std::strerror(errno));
    return WritableCode(mem, size == 0 ? page : size, subject);
}

WritableCode::WritableCode(void* mem, size_t mapped_size, std::string subject)
    : mem_(mem), mapped_size_(mapped_size), subject_(std::move(subject)) {}

WritableCode::WritableCode(WritableCode&& other) noexcept
    : mem_(other.mem_), mapped_size_(other.mapped_size_), subject_(std::move(other.subject_)) {
    other.mem_ = nullptr;
}

WritableCode::~WritableCode() {
    if (mem_) ::munmap(mem_, mapped_size_);
}

Result<std::unique_ptr<JitCode>> WritableCode::make_executable(size_t code_size, std::vector<uint32_t> insn_offsets,
                                                               uint32_t tail_entry) && {
    if (::mprotect(mem_, mapped_size_, PROT_READ | PROT_EXEC) != 0)
        return make_error(subject_, std::string("cannot make machine code executable: ") + std::strerror(errno));
    auto code = std::make_unique<JitCode>(mem_, mapped_size_, code_size, std::move(insn_offsets), tail_entry);
    mem_ = nullptr;
    return code;
}

}  // namespace jit
}  // namespace xdpdk::vm
