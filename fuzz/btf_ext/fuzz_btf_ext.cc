// libFuzzer target: the .BTF.ext parser (vm/btf_ext) and the CO-RE resolver
// (vm/core_reloc*, vm/core_target_btf) reached the way a user reaches them:
// a real CO-RE object (tests/progs/core, embedded by the build) opened and
// loaded with one of its parts replaced by the input. The first byte picks
// the object (pair = byte / 3 % pairs) and what the rest is (byte % 3):
//   0: the object's .BTF.ext (its pair's target BTF as --btf)
//   1: the object's .BTF (its pair's target BTF as --btf)
//   2: the --btf target (ObjectOptions::target_btf; a memory file holds it)
//
// Besides crashes and sanitizer reports, the target stops when:
//   - a refusal, listing the relocations (`prog show --relocs`) or loading
//     under root's rules as Linux loads XDP, is not one line with subject and
//     reason (a verifier refusal may go on with its path, as load prints it);
//   - the interpreter loads the object under root's rules and the JIT does not;
//   - fuzz::check_engines_agree finds the engines differ on the object under
//     the strict rules (under root's a program may return a pointer, where
//     the engines rightly differ), its arrays first filled with a pattern
//     for the relocated reads to find.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "fuzz/btf_ext/core_objects.h"
#include "fuzz/engine_agreement.h"
#include "fuzz/fuzz_check.h"
#include "tests/tools/elf_sections.h"
#include "vm/map.h"
#include "vm/object.h"

using namespace xdpdk;

namespace {

// A memory file named by path (/proc/self/fd/N), since target_btf is a path.
class MemFile {
public:
    MemFile() : fd_(memfd_create("xdpdk-fuzz-btf", MFD_CLOEXEC)) {
        if (fd_ < 0) fuzz::fail("memfd_create", std::strerror(errno));
    }
    ~MemFile() { close(fd_); }
    MemFile(const MemFile&) = delete;
    MemFile& operator=(const MemFile&) = delete;

    const std::string& set(std::span<const uint8_t> bytes) {
        if (ftruncate(fd_, 0) != 0 || pwrite(fd_, bytes.data(), bytes.size(), 0) != ssize_t(bytes.size()))
            fuzz::fail("memfd write", std::strerror(errno));
        return path_;
    }

private:
    int fd_;
    std::string path_ = "/proc/self/fd/" + std::to_string(fd_);
};

struct Pair {
    std::span<const uint8_t> object;
    std::unique_ptr<MemFile> target;  // the pair's target BTF
    std::string target_path;
};

struct Fixture {
    std::vector<Pair> pairs;
    MemFile input_target;  // mode 2's input
};

Fixture& fixture() {
    static Fixture* f = [] {
        auto* fx = new Fixture;
        for (size_t i = 0; i + 1 < fuzz::kCoreFileCount; i += 2) {
            Pair p;
            p.object = {fuzz::kCoreFiles[i].data, fuzz::kCoreFiles[i].size};
            p.target = std::make_unique<MemFile>();
            p.target_path = p.target->set({fuzz::kCoreFiles[i + 1].data, fuzz::kCoreFiles[i + 1].size});
            fx->pairs.push_back(std::move(p));
        }
        return fx;
    }();
    return *f;
}

void check_refusal(const Error& e) {
    // A verifier refusal is one line followed by the path it took.
    Error first = e;
    first.reason = first.reason.substr(0, first.reason.find("\npath: "));
    fuzz::check_one_line_error(first);
}

// "Kernel memory" for the programs to read: a pattern in the first slot of
// each writable array.
void fill_arrays(vm::Object& obj) {
    for (const auto& map : obj.maps()) {
        if (map->type() != vm::MapType::Array || map->frozen() || map->spec().key_size != 4) continue;
        std::vector<uint8_t> value(map->user_value_size());
        for (size_t i = 0; i < value.size(); ++i) value[i] = uint8_t(i * 13 + 5);
        const uint32_t key = 0;
        (void)map->user_update(&key, value.data(), vm::kAny);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    Fixture& fx = fixture();
    const uint8_t mode = data[0] % 3;
    const Pair& pair = fx.pairs[data[0] / 3 % fx.pairs.size()];
    const std::span<const uint8_t> input(data + 1, size - 1);

    std::vector<uint8_t> elf;
    std::string target = pair.target_path;
    if (mode == 2) {
        elf.assign(pair.object.begin(), pair.object.end());
        target = fx.input_target.set(input);
    } else {
        elf = test::replace_section(pair.object, mode == 0 ? ".BTF.ext" : ".BTF", input);
    }

    vm::ObjectOptions opts = fuzz::bounded_object_options();
    opts.target_btf = target;
    opts.engine = vm::EngineKind::Interp;
    auto obj = vm::Object::open_memory(elf, "core.o", opts);
    if (!obj) {
        check_refusal(obj.error());
        return 0;
    }
    if (auto relocs = (*obj)->core_relocations(); !relocs) check_refusal(relocs.error());
    if (Status st = (*obj)->load(); !st) {
        check_refusal(st.error());
        return 0;
    }
    // What the interpreter loads under root's rules, the JIT loads too.
    opts.engine = vm::EngineKind::Jit;
    auto jit = vm::Object::open_memory(elf, "core.o", opts);
    if (!jit) fuzz::fail("the JIT engine cannot open what the interpreter loaded", jit.error().str());
    if (Status st = (*jit)->load(); !st) fuzz::fail("the JIT engine refuses what the interpreter loaded", st.error().str());
    opts.strict_verifier = true;
    fuzz::check_engines_agree(elf, opts, "core.o", fill_arrays);
    return 0;
}
