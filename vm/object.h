// An opened BPF ELF object: its maps (including global-data maps named the way
// the kernel names them, "<obj>.bss"), its programs, and its BTF-described
// global variables. Opening is a pipeline of phases (ELF → sections → maps →
// programs → relocations), each returning an Error naming its subject;
// load() then relocates, rewrites and decodes the XDP programs.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core_reloc.h"
#include "engine.h"
#include "error.h"
#include "map.h"
#include "program.h"

namespace xdpdk::vm {

struct VerifyEnv;

struct GlobalVar {
    std::string name;     // BTF name of the variable
    std::string section;  // ".rodata", ".data", ".bss", ".data.foo", ...
    Map* map;             // the global-data array map holding it
    uint32_t offset;      // byte offset in the map's single value
    uint32_t size;
};

struct ObjectOptions {
    uint32_t ncpus = 1;  // slots of every per-CPU map
    // Jit: load() compiles every XDP program (all of them, so any can be a
    // tail-call target); Interp: programs run in the interpreter.
    EngineKind engine = EngineKind::Jit;
    // load() verifies every XDP program (a refusal fails the load); this
    // receives the verifier's summary of each and, with verifier_log_insns,
    // its per-instruction log.
    std::string* verifier_log = nullptr;
    bool verifier_log_insns = false;
    // The unprivileged loader's verifier rules (VerifyEnv::strict) instead
    // of the privileged ones Linux applies to root, which loads XDP.
    bool strict_verifier = false;
    // Sizes set before load, by map name, as loaders do with
    // bpf_map__set_max_entries (`--map-size NAME=N`). A map declared with
    // max_entries 0 needs one, except per-CPU-indexed maps (perf event
    // array, cpumap), which get `ncpus` as libbpf gives them the CPU count.
    std::vector<std::pair<std::string, uint32_t>> map_sizes;
    // A size for a map the object lacks is an error, unless the sizes are
    // shared by several objects (`xdpdk run` with several, which checks
    // that each size found its map somewhere).
    bool map_sizes_may_miss = false;
    // Listing tools (`prog show`, `run`'s planning): an object opens even
    // when a map cannot be created (max_entries 0 without a size, a type or
    // a spec this runtime refuses), a stand-in that holds nothing keeping its
    // place, so that its programs and maps can be listed; load() then
    // refuses it with the first such error.
    bool listing = false;
    // When set, receives each XDP program as the verifier saw it (before the
    // context rewrite), for tools that re-run or time the verifier.
    std::vector<std::unique_ptr<Program>>* verified_forms = nullptr;
    // With verified_forms: the verifier's settings for each form, in the same
    // order (log cleared), so a tool re-runs exactly what the loader ran.
    std::vector<VerifyEnv>* verified_envs = nullptr;
    // Processed instructions before the verifier refuses a program
    // (VerifyEnv::insn_budget); fuzzing lowers it to keep each input short.
    uint64_t insn_budget = 1'000'000;  // VerifyEnv's default, Linux's
    // Called for each declared map (not global-data maps), its size already
    // applied: a map to use instead of creating one (a pinned map, or the
    // map of the program a hot swap replaces), nullptr to create it, or an
    // error when the map found is not compatible. A reused map keeps its
    // contents, as libbpf's bpf_map__reuse_fd does.
    std::function<Result<std::shared_ptr<Map>>(const MapSpec& spec)> reuse_map;
    // The BTF that CO-RE relocations (.BTF.ext core_relo) are resolved
    // against, as libbpf's btf_custom_path: "vmlinux" (the running kernel's),
    // or a file of raw BTF or an ELF file with .BTF (`--btf FILE`). Empty:
    // the object's own BTF, each relocation resolving to its own type, so the
    // code runs as compiled; the kernel's layout is no default because no
    // program here reads kernel memory.
    std::string target_btf;
};

class Object {
public:
    static Result<std::unique_ptr<Object>> open(const std::string& path, const ObjectOptions& opts = {});
    static Result<std::unique_ptr<Object>> open_memory(std::span<const uint8_t> elf, const std::string& name,
                                                       const ObjectOptions& opts = {});
    ~Object();

    // Object name as libbpf derives it: the file's basename cut to 15
    // characters, then at the first '.' ("hello.bpf.o" -> "hello"). Global-data
    // map names are built from it as libbpf does ("hello.bss").
    const std::string& name() const;
    const std::string& license() const;

    // Before load(): global variables can be set (libbpf-skeleton style).
    const std::vector<GlobalVar>& globals() const;
    Status set_global(std::string_view name, std::span<const uint8_t> bytes);

    // Relocates, verifies, rewrites (xdp_md accesses) and decodes every XDP program;
    // freezes .rodata maps. Non-XDP programs stay listed but not loaded.
    Status load();
    bool loaded() const;
    // Before load(): load() verifies and compiles only `progs` and the
    // programs the object's prog arrays name, as xdp-loader and `ip link set
    // xdp` load only the program they attach (libbpf's autoload off for the
    // others, which stay listed, not runnable).
    Status load_only(std::vector<const Program*> progs);

    const std::vector<std::unique_ptr<Program>>& programs() const;
    // By function name, else the first program of that section. Only XDP
    // programs are returned (a match of another type is an error saying so);
    // when nothing matches, the error lists the programs there are. Before
    // load() the program has no instructions yet.
    Result<Program*> find_program(std::string_view name_or_section) const;
    // What a program's code calls and refers to, found by linking it as
    // load() would (without verifying it): the helpers it calls (kernel
    // numbers) and the maps its lddws name, each once, in order of first
    // use. Works before load(), on programs of any type.
    struct ProgramUses {
        std::vector<int32_t> helpers;
        std::vector<const Map*> maps;
        std::vector<std::string> kfuncs;  // none is provided (kfunc_refusal says why)
    };
    Result<ProgramUses> program_uses(const Program& prog) const;

    // Every CO-RE relocation of every program (applied at open), by program
    // and instruction of its linked code; a subprogram's are listed under
    // each program that calls it, one no program calls under its own name.
    // Unresolved ones carry their failure (a poisoned instruction, or a
    // refusal that fails load() of the programs holding it).
    Result<std::vector<CoreRelocation>> core_relocations() const;

    // The first XDP program in section order that runs at a device (not a
    // devmap or cpumap program).
    Result<Program*> default_xdp_program() const;

    // Shared: a map taken over through ObjectOptions::reuse_map belongs to
    // every object that uses it.
    const std::vector<std::shared_ptr<Map>>& maps() const;
    Map* find_map(std::string_view name) const;

    struct Impl;

private:
    explicit Object(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace xdpdk::vm
