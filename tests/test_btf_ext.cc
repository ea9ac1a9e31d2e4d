// The .BTF.ext parser over every test object clang built: function records
// name the function symbols they sit on, line records lie inside their
// section in order, and every truncation or damaged record size of a good
// .BTF.ext is refused with a message, never a crash.
#include <dirent.h>
#include <elf.h>
#include <gtest/gtest.h>
#include <linux/btf.h>
#include <bpf/btf.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "test_support.h"
#include "vm/btf_ext.h"
#include "vm/btf_info.h"
#include "vm/elf_file.h"

namespace xdpdk::test {
namespace {

std::vector<std::string> built_objects() {
    const std::string dir = test_prog_path("x").substr(0, test_prog_path("x").rfind('/'));
    std::vector<std::string> paths;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d)) {
            const std::string n = e->d_name;
            if (n.size() > 2 && n.ends_with(".o")) paths.push_back(dir + "/" + n);
        }
        closedir(d);
    }
    std::sort(paths.begin(), paths.end());
    return paths;
}

struct Parsed {
    std::optional<vm::ElfFile> elf;
    std::optional<vm::BtfInfo> btf;
    std::span<const uint8_t> ext;
};

Parsed open_object(const std::string& path) {
    Parsed p;
    const std::string s = read_file(path);
    auto elf = vm::ElfFile::parse(std::vector<uint8_t>(s.begin(), s.end()), path);
    if (!elf.ok()) return p;
    p.elf = std::move(*elf);
    const vm::ElfSection* btf = p.elf->find_section(".BTF");
    const vm::ElfSection* ext = p.elf->find_section(".BTF.ext");
    if (!btf || !ext) return p;
    auto parsed = vm::BtfInfo::parse(p.elf->data(*btf), path);
    if (!parsed.ok()) return p;
    p.btf = std::move(*parsed);
    p.ext = p.elf->data(*ext);
    return p;
}

TEST(BtfExt, RecordsAgreeWithTheObjectsSymbols) {
    int objects = 0, funcs = 0, lines = 0;
    for (const std::string& path : built_objects()) {
        SCOPED_TRACE(path);
        Parsed p = open_object(path);
        if (!p.btf) continue;
        auto ext = vm::BtfExt::parse(p.ext, *p.btf, path);
        ASSERT_TRUE(ext.ok()) << ext.error().str();
        ++objects;
        for (const vm::BtfExtSection& sec : ext->sections()) {
            const vm::ElfSection* elf_sec = p.elf->find_section(sec.name);
            ASSERT_NE(elf_sec, nullptr) << sec.name;
            const uint32_t size = uint32_t(elf_sec->size / 8);
            for (const vm::BtfFuncRecord& f : sec.funcs) {
                const btf_type* t = btf__type_by_id(p.btf->get(), f.type_id);
                ASSERT_TRUE(t && btf_is_func(t)) << sec.name << " insn " << f.insn;
                const std::string name = btf__name_by_offset(p.btf->get(), t->name_off);
                bool found = false;
                for (const vm::ElfSymbol& s : p.elf->symbols())
                    found |= s.type == STT_FUNC && s.shndx == elf_sec->index && s.value / 8 == f.insn && s.name == name;
                EXPECT_TRUE(found) << name << " at " << sec.name << " insn " << f.insn;
                ++funcs;
            }
            uint32_t last = 0;
            for (const vm::BtfLineRecord& l : sec.lines) {
                EXPECT_LT(l.insn, size) << sec.name;
                EXPECT_GE(l.insn, last) << sec.name;
                EXPECT_TRUE(l.file.ends_with(".c") || l.file.ends_with(".h")) << l.file;
                last = l.insn;
                // Line 0 marks code the compiler made up (no source line).
                if (l.line_num > 0 && !l.line.empty()) ++lines;
            }
            for (const vm::BtfCoreRecord& r : sec.core_relos) EXPECT_LT(r.insn, size) << sec.name;
        }
    }
    EXPECT_GT(objects, 20);
    EXPECT_GT(funcs, objects);
    EXPECT_GT(lines, 10 * objects);
}

TEST(BtfExt, DamagedSectionsAreRefusedWithAReason) {
    Parsed p = open_object(test_prog_path("loader_calls"));
    ASSERT_TRUE(p.btf);
    const std::vector<uint8_t> good(p.ext.begin(), p.ext.end());
    for (size_t len = 0; len < good.size(); ++len) {
        std::vector<uint8_t> cut(good.begin(), good.begin() + long(len));
        auto r = vm::BtfExt::parse(cut, *p.btf, "elf 'x.o'");
        if (len < 24) {
            ASSERT_FALSE(r.ok()) << len;
        }
        if (!r.ok()) {
            EXPECT_NE(r.error().str().find("elf 'x.o': .BTF.ext"), std::string::npos) << r.error().str();
        }
    }
    // Every byte of the header and the first records replaced by each of a
    // few values: refused or parsed, never a crash.
    for (size_t at = 0; at < std::min<size_t>(good.size(), 96); ++at)
        for (uint8_t v : {0x00, 0x03, 0x7f, 0xff}) {
            std::vector<uint8_t> bad = good;
            bad[at] = v;
            auto r = vm::BtfExt::parse(bad, *p.btf, "elf 'x.o'");
            if (!r.ok()) {
                EXPECT_NE(r.error().str().find(".BTF.ext"), std::string::npos);
            }
        }
    // func_info's record size made 6: not a multiple of 4.
    uint32_t hdr_len, func_off;
    std::memcpy(&hdr_len, good.data() + 4, 4);
    std::memcpy(&func_off, good.data() + 8, 4);
    std::vector<uint8_t> odd = good;
    odd[hdr_len + func_off] = 6;
    auto r = vm::BtfExt::parse(odd, *p.btf, "elf 'x.o'");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().str(), "elf 'x.o': .BTF.ext func_info: record size 6 (at least 8, a multiple of 4)");
    ASSERT_FALSE(r.ok());
}

}  // namespace
}  // namespace xdpdk::test
