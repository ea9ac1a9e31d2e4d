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
//   - a refusal is not one line with subject and reason (a verifier refusal
//     may go on with its path, as load prints it);
//   - the interpreter loads the object and the JIT engine does not;
//   - a loaded object's programs, run in both engines on the same packet
//     with the same map contents, differ in verdict, packet or any map.
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
#include "vm/engine.h"
#include "vm/exec_context.h"
#include "vm/map.h"
#include "vm/object.h"
#include "vm/packet.h"

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

// Opened and loaded, or the refusal (checked) and nullptr.
std::unique_ptr<vm::Object> open_and_load(std::span<const uint8_t> elf, const std::string& target,
                                          vm::EngineKind engine, Error* refusal) {
    vm::ObjectOptions opts = fuzz::bounded_object_options();
    opts.engine = engine;
    opts.target_btf = target;
    auto obj = vm::Object::open_memory(elf, "core.o", opts);
    if (!obj) {
        *refusal = obj.error();
        return nullptr;
    }
    // `prog show --relocs` lists them before any load: it must survive them.
    if (auto relocs = (*obj)->core_relocations(); !relocs) check_refusal(relocs.error());
    if (Status st = (*obj)->load(); !st) {
        *refusal = st.error();
        return nullptr;
    }
    return std::move(*obj);
}

// What a run leaves: each program's r0 and packet, then every map's
// contents, in one byte string to compare.
std::vector<uint8_t> run_all(vm::Object& obj) {
    std::vector<uint8_t> out;
    auto append = [&out](const void* p, size_t n) {
        const auto* b = static_cast<const uint8_t*>(p);
        out.insert(out.end(), b, b + n);
    };
    // Kernel memory for the programs to read: a pattern in each array's first slot.
    for (const auto& map : obj.maps()) {
        if (map->type() != vm::MapType::Array || map->frozen() || map->spec().key_size != 4) continue;
        std::vector<uint8_t> value(map->user_value_size());
        for (size_t i = 0; i < value.size(); ++i) value[i] = uint8_t(i * 13 + 5);
        const uint32_t key = 0;
        (void)map->user_update(&key, value.data(), vm::kAny);
    }
    std::vector<uint8_t> packet(96);
    for (size_t i = 0; i < packet.size(); ++i) packet[i] = uint8_t(i * 7 + 1);
    for (const auto& prog : obj.programs()) {
        if (prog->type != vm::ProgType::Xdp || prog->insns.empty()) continue;
        vm::PacketFrame pf(packet);
        vm::ExecContext ex;
        const uint64_t r0 = vm::run_xdp(*prog, pf.xdp(), ex);
        append(&r0, sizeof r0);
        const std::vector<uint8_t> after = pf.packet();
        append(after.data(), after.size());
        const char* fault = ex.fault ? ex.fault : "";
        append(fault, std::strlen(fault) + 1);
    }
    for (const auto& map : obj.maps()) {
        if (map->is_event_map()) continue;
        append(map->name().data(), map->name().size() + 1);
        std::vector<uint8_t> key(map->spec().key_size), next(key.size()), value(map->user_value_size());
        if (key.empty()) {
            std::vector<uint8_t> elems;
            (void)map->user_elements(elems);
            append(elems.data(), elems.size());
            continue;
        }
        const void* prev = nullptr;
        for (uint64_t n = 0; n <= map->spec().max_entries && map->next_key(prev, next.data()) == 0; ++n) {
            key = next;
            prev = key.data();
            append(key.data(), key.size());
            if (map->user_lookup(key.data(), value.data()) == 0) append(value.data(), value.size());
        }
    }
    return out;
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

    Error refusal;
    auto interp = open_and_load(elf, target, vm::EngineKind::Interp, &refusal);
    if (!interp) {
        check_refusal(refusal);
        return 0;
    }
    Error jit_refusal;
    auto jit = open_and_load(elf, target, vm::EngineKind::Jit, &jit_refusal);
    if (!jit) fuzz::fail("the JIT engine refuses what the interpreter loaded", jit_refusal.str());
    if (run_all(*interp) != run_all(*jit)) fuzz::fail("engines disagree", "verdicts, packets or maps differ");
    return 0;
}
