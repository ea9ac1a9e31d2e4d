// The engines' agreement, checked on a BPF object: every XDP program runs in
// the interpreter and in the JIT, each in its own copy of the object, on the
// same frames, and both must give the same verdict, frame (bytes, head, tail
// and metadata), redirect and fault, and leave the same map contents.
// Objects where a program calls a helper whose result varies from run to run
// (time, randomness: HelperSpec::varies; any program, as tail calls reach
// them all) or walks a hash map (bpf_for_each_map_elem: each copy seeds its
// hashes, so their orders differ) are loaded but not run.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "vm/object.h"

namespace xdpdk::fuzz {

// Opens `elf` twice (opts, once per engine) and loads both copies. The loads
// must both succeed or both fail, a failure being one clear line; then the
// programs run as above, each mismatch a fuzz::fail naming the program.
// `prepare`, when given, runs on each loaded copy before its programs do (to
// give maps contents the programs read).
void check_engines_agree(std::span<const uint8_t> elf, const vm::ObjectOptions& opts, const std::string& name,
                         const std::function<void(vm::Object&)>& prepare = {});

// The verifier budget of every fuzz target: a tenth of the default
// (1,000,000 takes over 10 s under the sanitizers for a 55-instruction loop nest).
inline constexpr uint64_t kInsnBudget = 100'000;

// Options that keep one input short and small, so that libFuzzer's -timeout
// and -rss_limit_mb catch real blow-ups only: a verifier budget of
// kInsnBudget instructions and maps of at most 64 MiB each (an array map
// may take 4 GiB, zeroed at open).
vm::ObjectOptions bounded_object_options();

// Whether `prog` calls a helper whose HelperSpec says it varies.
bool calls_varying_helper(const vm::Program& prog);

}  // namespace xdpdk::fuzz
