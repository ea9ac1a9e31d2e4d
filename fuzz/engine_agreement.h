// The engines' agreement, checked on a BPF object: every XDP program runs in
// the interpreter and in the JIT, each in its own copy of the object, on the
// same frames, and both must give the same verdict, frame (bytes, head, tail
// and metadata), redirect and fault, and leave the same map contents.
// Programs calling a helper whose result varies from run to run (time,
// randomness: HelperSpec::varies) are not run.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "vm/object.h"

namespace xdpdk::fuzz {

// Opens `elf` twice (opts, once per engine) and loads both copies. The loads
// must both succeed or both fail, a failure being one clear line; then the
// programs run as above, each mismatch a fuzz::fail naming the program.
void check_engines_agree(std::span<const uint8_t> elf, const vm::ObjectOptions& opts, const std::string& name);

}  // namespace xdpdk::fuzz
