// The CO-RE test objects and their target BTFs, embedded in fuzz_btf_ext by
// the build (make_btf_ext_inputs embed), so the target needs no files.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xdpdk::fuzz {

struct EmbeddedFile {
    const char* name;  // the file's basename: "core_kinds.o"
    const uint8_t* data;
    size_t size;
};

extern const EmbeddedFile kCoreFiles[];
extern const size_t kCoreFileCount;

}  // namespace xdpdk::fuzz
