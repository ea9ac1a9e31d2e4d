// A translated filter as a BPF ELF object, so every loader path opens it as
// it opens a clang-built one: the instructions in SEC("xdp.frags") under a global
// function symbol, the licence, and the symbol and string tables libbpf and
// vm::Object look for. libelf writes it into a memory file.
#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "cbpf.h"

namespace xdpdk::vm::cbpf {
namespace {

constexpr char kLicense[] = "GPL";
// xdp.frags: the program takes multi-buffer frames whole (its loads reach
// the frags through bpf_xdp_load_bytes, and `len` counts them).
constexpr char kSection[] = "xdp.frags";

class FdCloser {
public:
    explicit FdCloser(int fd) : fd_(fd) {}
    ~FdCloser() {
        if (fd_ >= 0) close(fd_);
    }
    FdCloser(const FdCloser&) = delete;
    FdCloser& operator=(const FdCloser&) = delete;

private:
    int fd_;
};

// Appends a section whose single data block is `bytes` (kept alive by the
// caller until elf_update).
Elf_Scn* add_section(Elf* elf, uint32_t name, uint32_t type, uint64_t flags, const void* bytes, size_t size,
                     Elf_Type data_type, uint64_t align) {
    Elf_Scn* scn = elf_newscn(elf);
    if (!scn) return nullptr;
    Elf_Data* data = elf_newdata(scn);
    if (!data) return nullptr;
    data->d_buf = const_cast<void*>(bytes);
    data->d_size = size;
    data->d_type = data_type;
    data->d_align = align;
    data->d_version = EV_CURRENT;
    Elf64_Shdr* sh = elf64_getshdr(scn);
    if (!sh) return nullptr;
    sh->sh_name = name;
    sh->sh_type = type;
    sh->sh_flags = flags;
    sh->sh_addralign = align;
    return scn;
}

// libelf's last error, as the reason of a "filter object" error.
Error elf_failure() { return make_error("filter object", elf_errmsg(-1)); }

Result<std::vector<uint8_t>> write_object(Elf* elf, int fd, std::span<const RawInsn> insns, const std::string& name) {
    // One string table names the sections and the symbol.
    std::string strings(1, '\0');
    auto intern = [&strings](const std::string& s) {
        const uint32_t at = static_cast<uint32_t>(strings.size());
        strings += s;
        strings += '\0';
        return at;
    };
    const uint32_t strtab_name = intern(".strtab"), section_name = intern(kSection),
                   license_name = intern("license"), symtab_name = intern(".symtab"), func_name = intern(name);

    Elf64_Ehdr* eh = elf64_newehdr(elf);
    if (!eh) return elf_failure();
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_type = ET_REL;
    eh->e_machine = EM_BPF;
    eh->e_version = EV_CURRENT;
    Elf_Scn* strtab = add_section(elf, strtab_name, SHT_STRTAB, 0, strings.data(), strings.size(), ELF_T_BYTE, 1);
    Elf_Scn* text = strtab ? add_section(elf, section_name, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, insns.data(),
                                         insns.size_bytes(), ELF_T_BYTE, 8)
                           : nullptr;
    Elf_Scn* license = text ? add_section(elf, license_name, SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, kLicense,
                                          sizeof kLicense, ELF_T_BYTE, 1)
                            : nullptr;
    if (!license) return elf_failure();
    Elf64_Sym syms[2] = {};
    syms[1].st_name = func_name;
    syms[1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC);
    syms[1].st_shndx = static_cast<uint16_t>(elf_ndxscn(text));
    syms[1].st_size = insns.size_bytes();
    Elf_Scn* symtab = add_section(elf, symtab_name, SHT_SYMTAB, 0, syms, sizeof syms, ELF_T_SYM, 8);
    Elf64_Shdr* sh = symtab ? elf64_getshdr(symtab) : nullptr;
    if (!sh) return elf_failure();
    sh->sh_link = static_cast<uint32_t>(elf_ndxscn(strtab));
    sh->sh_info = 1;  // the first global symbol
    sh->sh_entsize = sizeof(Elf64_Sym);
    eh->e_shstrndx = static_cast<uint16_t>(elf_ndxscn(strtab));
    if (elf_update(elf, ELF_C_WRITE) <= 0) return elf_failure();
    const off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0) return make_error("filter object", std::string("lseek: ") + std::strerror(errno));
    std::vector<uint8_t> out(static_cast<size_t>(size));
    const ssize_t got = pread(fd, out.data(), out.size(), 0);
    if (got != static_cast<ssize_t>(out.size()))
        return make_error("filter object", got < 0 ? std::string("pread: ") + std::strerror(errno)
                                                   : std::string("pread: short read"));
    return out;
}

}  // namespace

Result<std::vector<uint8_t>> filter_object(std::span<const RawInsn> insns, const std::string& name) {
    if (elf_version(EV_CURRENT) == EV_NONE) return elf_failure();
    const int fd = memfd_create("xdpdk-filter", MFD_CLOEXEC);
    if (fd < 0) return make_error("memfd_create", std::strerror(errno));
    FdCloser closer(fd);
    Elf* elf = elf_begin(fd, ELF_C_WRITE, nullptr);
    if (!elf) return elf_failure();
    auto out = write_object(elf, fd, insns, name);
    elf_end(elf);
    return out;
}

}  // namespace xdpdk::vm::cbpf
