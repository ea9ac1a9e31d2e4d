// Seed inputs for fuzz_load_jit: every tests/isa case as raw instructions,
// programs from the differential generator (valid, with calls, loops and
// atomics), and copies of the BPF objects given on the command line.
//
//   make_fuzz_corpus OUT_DIR ISA_DIR [OBJECT.o ...]
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/isa_file.h"
#include "tests/progfuzz/program_generator.h"

namespace fs = std::filesystem;
using namespace xdpdk;

namespace {

constexpr uint64_t kGeneratedPrograms = 300;

bool write_bytes(const fs::path& path, const void* data, size_t size) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    return static_cast<bool>(f);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s OUT_DIR ISA_DIR [OBJECT.o ...]\n", argv[0]);
        return 2;
    }
    const fs::path out = argv[1];
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec) {
        std::fprintf(stderr, "%s: %s\n", out.c_str(), ec.message().c_str());
        return 1;
    }
    int written = 0, failed = 0;
    auto put = [&](const fs::path& path, const void* data, size_t size) {
        if (write_bytes(path, data, size)) ++written;
        else ++failed, std::fprintf(stderr, "cannot write %s\n", path.c_str());
    };
    for (const std::string& file : test::list_isa_files(argv[2])) {
        auto c = test::load_isa_case(file);
        if (!c) {
            std::fprintf(stderr, "%s\n", c.error().str().c_str());
            ++failed;
            continue;
        }
        put(out / ("isa-" + c->name), c->program.data(), c->program.size() * sizeof(vm::RawInsn));
    }
    for (uint64_t seed = 1; seed <= kGeneratedPrograms; ++seed) {
        const progfuzz::GeneratedCase c = progfuzz::generate_case(seed);
        put(out / ("gen-" + std::to_string(seed)), c.program.data(), c.program.size() * sizeof(vm::RawInsn));
    }
    for (int i = 3; i < argc; ++i) {
        fs::copy_file(argv[i], out / ("obj-" + fs::path(argv[i]).filename().string()),
                      fs::copy_options::overwrite_existing, ec);
        if (ec) ++failed, std::fprintf(stderr, "%s: %s\n", argv[i], ec.message().c_str());
        else ++written;
    }
    std::printf("%d inputs in %s\n", written, out.c_str());
    return failed ? 1 : 0;
}
