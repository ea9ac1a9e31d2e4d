// Object assembly, as a chain of phases in libbpf's order: ELF → license and
// BTF → maps (legacy "maps", BTF ".maps", global data) → global variables →
// programs → code relocations → prog-array initial contents. load() links,
// rewrites and decodes each XDP program.
#include "object.h"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>

#include "btf_ext.h"
#include "btf_info.h"
#include "core_reloc_apply.h"
#include "dead_code.h"
#include "helpers.h"
#include "prog_tag.h"
#include "elf_file.h"
#include "reloc.h"
#include "source_lines.h"
#include "verifier/verifier.h"
#include "xdp_ctx_rewrite.h"

namespace xdpdk::vm {
namespace {

constexpr size_t kObjNameLen = 16;  // BPF_OBJ_NAME_LEN, including the NUL
constexpr uint32_t kMapFlagRdonlyProg = 1u << 7, kMapFlagMmapable = 1u << 10;

// Built by append: GCC 12 reports a false -Wrestrict for "'" + std::string.
std::string quoted(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    out.append(1, '\'').append(s).append(1, '\'');
    return out;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// libbpf: the file's basename, cut to 15 characters, then at the first '.'.
std::string object_name_from(const std::string& path) {
    std::string base = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
    base = base.substr(0, kObjNameLen - 1);
    return base.substr(0, base.find('.'));
}

// libbpf's internal_map_name(): the section name whole (at least 7
// characters are reserved for it), prefixed by as much of the object name as
// fits in 15 characters; sections with a second dot (".rodata.str1.1",
// ".data.custom") get no prefix.
std::string internal_map_name(const std::string& obj_name, const std::string& section) {
    const size_t max_len = kObjNameLen - 1;
    const size_t sfx_len = std::min(std::max<size_t>(7, section.size()), max_len);
    const size_t pfx_len =
        section.find('.', 1) != std::string::npos ? 0 : std::min(max_len - sfx_len, obj_name.size());
    std::string name = (obj_name.substr(0, pfx_len) + section.substr(0, sfx_len)).substr(0, max_len);
    for (char& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') c = '_';
    return name;
}

bool is_rodata_section(std::string_view name) { return name == ".rodata" || starts_with(name, ".rodata."); }

bool is_global_data_section(const ElfSection& s) {
    if (s.size == 0) return false;
    if (s.type == SHT_NOBITS) return s.name == ".bss";
    return s.type == SHT_PROGBITS && !(s.flags & SHF_EXECINSTR) &&
           (s.name == ".data" || starts_with(s.name, ".data.") || is_rodata_section(s.name));
}

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
            diag = up;
        }
    }
    return row[b.size()];
}

Result<std::vector<uint8_t>> read_whole_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error("cannot open " + quoted(path), std::strerror(errno));
    std::vector<uint8_t> bytes;
    uint8_t buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::close(fd);
            return make_error("cannot read " + quoted(path), std::strerror(err));
        }
        bytes.insert(bytes.end(), buf, buf + n);
    }
    ::close(fd);
    return bytes;
}

// BPF_MAP_TYPE_CPUMAP, indexed by CPU like a perf event array.
constexpr uint32_t kMapTypeCpumap = 16;

// Whether the kernel ends up with BTF for a BTF-defined map libbpf creates:
// libbpf drops it for the types bpf_object__create_map lists (devmaps, perf
// event arrays, cpumaps, ...), and retries without it when the kernel refuses
// it: prog arrays take none, and a value type needs a key type (only global
// data goes without, see collect_data_maps).
bool kernel_keeps_btf(uint32_t type, uint32_t key_type_id, uint32_t value_type_id) {
    switch (type) {  // prog array, perf event array, stack trace, cgroup array, array and hash
                     // of maps, devmap, sockmap, cpumap, xskmap, sockhash, queue, stack,
                     // devmap hash, ringbuf
        case 3: case 4: case 7: case 8: case 12: case 13: case 14: case 15: case 16: case 17: case 18:
        case 22: case 23: case 25: case 27:
            return false;
    }
    return key_type_id != 0 && value_type_id != 0;
}

// What a map this runtime cannot create stands for in an object opened for
// listing: its spec, no contents.
class StandInMap final : public Map {
public:
    explicit StandInMap(const MapSpec& spec) : Map(spec, 1) {}
    void* lookup(const void*, uint32_t) override { return nullptr; }
    long update(const void*, const void*, uint64_t, uint32_t) override { return -EOPNOTSUPP; }
    long remove(const void*) override { return -EOPNOTSUPP; }
    long user_lookup(const void*, void*) const override { return -EOPNOTSUPP; }
    long user_update(const void*, const void*, uint64_t) override { return -EOPNOTSUPP; }
    long next_key(const void*, void*) const override { return -EOPNOTSUPP; }
};

struct ProgArrayValues {
    Map* map;
    uint64_t start;  // offset of `values` in ".maps"
};

struct ProgArrayInit {
    Map* map;
    uint32_t slot;
    size_t program;  // index in Impl::programs
};

}  // namespace

struct Object::Impl {
    std::string subject;  // "elf '<path>'"
    std::string name;
    std::string license;
    ObjectOptions opts;
    std::optional<ElfFile> elf;
    std::optional<BtfInfo> btf;
    std::optional<BtfExt> btf_ext;  // func/line info and CO-RE records, when the object has .BTF.ext
    std::shared_ptr<struct btf> core_target;  // ObjectOptions::target_btf, when given
    std::vector<CoreSite> core_sites;         // CO-RE relocations, applied to the code at open

    std::vector<std::shared_ptr<Map>> maps;
    std::vector<Map*> rodata_maps;  // frozen by load()
    std::vector<const Map*> reused_maps;  // from ObjectOptions::reuse_map
    RelocTargets targets;
    std::vector<ProgArrayValues> prog_array_values;
    std::vector<GlobalVar> globals;

    std::vector<ElfFunc> funcs;
    CodeRelocs relocs;
    std::vector<std::unique_ptr<Program>> programs;
    std::vector<size_t> program_funcs;  // index in `funcs` for each program
    std::vector<ProgArrayInit> prog_array_inits;
    // The first map that could not be created (no size, or refused), when
    // opened for listing.
    std::optional<Error> unsized_map;
    std::vector<const Program*> only;  // load_only(); empty: every XDP program
    bool loaded = false;

    Error fail(std::string reason) const { return make_error(subject, std::move(reason)); }

    Status open(std::vector<uint8_t> bytes);
    Status collect_license();
    Status collect_btf();
    Status collect_legacy_maps();
    Status collect_btf_maps();
    Status collect_data_maps();
    Status collect_globals();
    Status collect_programs();
    Status collect_prog_array_inits();
    Status apply_core();
    template <typename Fail>
    Status init_inner_slot(Map& outer, uint64_t slot, const ElfSymbol& sym, Fail&& rel_fail);
    enum class MapOrigin { Declared, GlobalData };
    Result<Map*> add_map(const MapSpec& spec, MapOrigin origin = MapOrigin::Declared,
                         std::shared_ptr<const Map> inner = nullptr);
    Status check_map_sizes() const;
    const ElfSymbol* find_symbol(uint32_t section, std::string_view name) const;
    std::string program_list() const;
    Error not_xdp(const Program& p) const;

    Status load();
};

Status Object::Impl::open(std::vector<uint8_t> bytes) {
    XDPDK_ASSIGN_OR_RETURN(elf, ElfFile::parse(std::move(bytes), subject));
    XDPDK_RETURN_IF_ERROR(collect_license());
    XDPDK_RETURN_IF_ERROR(collect_btf());
    XDPDK_RETURN_IF_ERROR(collect_legacy_maps());
    XDPDK_RETURN_IF_ERROR(collect_btf_maps());
    XDPDK_RETURN_IF_ERROR(collect_data_maps());
    XDPDK_RETURN_IF_ERROR(check_map_sizes());
    if (unsized_map && !opts.listing) return *unsized_map;
    XDPDK_RETURN_IF_ERROR(collect_globals());
    XDPDK_RETURN_IF_ERROR(collect_programs());
    std::set<uint32_t> xdp_sections;
    for (size_t i = 0; i < programs.size(); ++i)
        if (programs[i]->type == ProgType::Xdp) xdp_sections.insert(funcs[program_funcs[i]].section);
    XDPDK_ASSIGN_OR_RETURN(relocs, collect_code_relocs(*elf, funcs, targets, xdp_sections));
    XDPDK_RETURN_IF_ERROR(apply_core());
    return collect_prog_array_inits();
}

Status Object::Impl::collect_license() {
    const ElfSection* sec = elf->find_section("license");
    if (!sec) return {};
    const auto data = elf->data(*sec);
    const auto nul = std::find(data.begin(), data.end(), uint8_t{0});
    license.assign(data.begin(), nul);
    return {};
}

Status Object::Impl::collect_btf() {
    const ElfSection* sec = elf->find_section(".BTF");
    if (!sec) return {};
    XDPDK_ASSIGN_OR_RETURN(btf, BtfInfo::parse(elf->data(*sec), subject));
    if (const ElfSection* ext = elf->find_section(".BTF.ext")) {
        XDPDK_ASSIGN_OR_RETURN(btf_ext, BtfExt::parse(elf->data(*ext), *btf, subject));
    }
    return {};
}

// libbpf relocates CO-RE at load, but the target is fixed at open
// (btf_custom_path): applied here, every listing shows the code as loaded.
Status Object::Impl::apply_core() {
    if (!opts.target_btf.empty()) {
        XDPDK_ASSIGN_OR_RETURN(core_target, load_target_btf(opts.target_btf));
    }
    if (!btf && core_target) {
        // .BTF.ext cannot be read without .BTF, so its CO-RE records would
        // be skipped and the code left with the object's own offsets.
        if (const ElfSection* ext = elf->find_section(".BTF.ext")) {
            const auto data = elf->data(*ext);
            auto u32 = [&](size_t at) {
                uint32_t v = 0;
                if (at + sizeof v <= data.size()) std::memcpy(&v, data.data() + at, sizeof v);
                return v;
            };
            // The header: hdr_len at 4, core_relo_len at 28 when hdr_len covers it.
            if (u32(4) >= 32 && u32(28) > 0)
                return fail("has CO-RE relocations in .BTF.ext but no .BTF");
        }
    }
    if (!btf_ext || !btf) return {};
    core_sites = apply_core_relocations(*elf, funcs, *btf_ext, btf->get(), core_target.get());
    return {};
}

Result<Map*> Object::Impl::add_map(const MapSpec& declared, MapOrigin origin, std::shared_ptr<const Map> inner) {
    for (const auto& m : maps)
        if (m->name() == declared.name) return fail("two maps are named " + quoted(declared.name));
    MapSpec spec = declared;
    const std::string subject = "map " + quoted(spec.name);
    bool sized = false;
    for (const auto& [name, size] : opts.map_sizes) {
        if (name != spec.name) continue;
        if (origin == MapOrigin::GlobalData)
            return make_error(subject, "holds the global variables of a section, exactly one value; --map-size "
                                       "cannot resize it");
        spec.max_entries = size;
        sized = true;
    }
    if (spec.max_entries == 0) {
        const auto type = static_cast<MapType>(spec.type);
        if (type == MapType::PerfEventArray || spec.type == kMapTypeCpumap) {
            spec.max_entries = opts.ncpus;
        } else {
            // Reported once every map is known, after a --map-size typo
            // (which is the likelier cause); meanwhile one entry stands in.
            if (!unsized_map)
                unsized_map = make_error(subject, "max_entries is 0: the program's loader sets its size before load; "
                                                  "give one with --map-size " + spec.name + "=N");
            spec.max_entries = 1;
        }
    }
    if (origin != MapOrigin::GlobalData && opts.reuse_map) {
        XDPDK_ASSIGN_OR_RETURN(std::shared_ptr<Map> reused, opts.reuse_map(spec));
        if (reused) {
            // Its BTF stays the one it was created with: this object may
            // still be refused, and the map's users keep reading it.
            reused_maps.push_back(reused.get());
            maps.push_back(std::move(reused));
            return maps.back().get();
        }
    }
    auto created = create_map(spec, opts.ncpus, std::move(inner));
    if (!created && sized) {
        Error e = created.error();
        e.reason += " (size " + std::to_string(spec.max_entries) + " from --map-size)";
        return e;
    }
    if (!created && opts.listing) {
        if (!unsized_map) unsized_map = created.error();
        maps.push_back(std::make_shared<StandInMap>(spec));
        return maps.back().get();
    }
    XDPDK_ASSIGN_OR_RETURN(auto map, std::move(created));
    maps.push_back(std::move(map));
    return maps.back().get();
}

// A size for a map the object does not have is a typo the user must hear of.
Status Object::Impl::check_map_sizes() const {
    if (opts.map_sizes_may_miss) return {};
    for (const auto& [name, size] : opts.map_sizes) {
        bool found = false;
        for (const auto& m : maps) found |= m->name() == name;
        if (found) continue;
        std::string names;
        for (const auto& m : maps) names += (names.empty() ? "" : ", ") + m->name();
        return make_error("--map-size " + name + "=" + std::to_string(size),
                          "the object has no map " + quoted(name) +
                              (names.empty() ? std::string("; it has no maps") : "; its maps: " + names));
    }
    return {};
}

const ElfSymbol* Object::Impl::find_symbol(uint32_t section, std::string_view sym_name) const {
    for (const ElfSymbol& s : elf->symbols())
        if (s.shndx == section && s.type != STT_SECTION && s.name == sym_name) return &s;
    return nullptr;
}

// struct bpf_map_def { type, key_size, value_size, max_entries, map_flags },
// one per symbol; shorter definitions leave the rest zero, longer ones
// (iproute2's bpf_elf_map) carry fields this runtime does not use.
Status Object::Impl::collect_legacy_maps() {
    const ElfSection* sec = elf->find_section("maps");
    if (!sec) return {};
    const auto data = elf->data(*sec);
    std::vector<const ElfSymbol*> syms;
    for (const ElfSymbol& s : elf->symbols())
        if (s.shndx == sec->index && (s.type == STT_OBJECT || s.type == STT_NOTYPE) && !s.name.empty())
            syms.push_back(&s);
    std::stable_sort(syms.begin(), syms.end(), [](auto* a, auto* b) { return a->value < b->value; });

    for (const ElfSymbol* s : syms) {
        const std::string map_subject = "map " + quoted(s->name);
        if (s->value > sec->size || s->size > sec->size - s->value)
            return make_error(map_subject, "definition (offset " + std::to_string(s->value) + ", size " +
                                               std::to_string(s->size) + ") lies outside the 'maps' section");
        uint32_t fields[5] = {};
        const size_t n = std::min<uint64_t>(s->size, sizeof fields);
        if (!data.empty()) std::memcpy(fields, data.data() + s->value, n);
        MapSpec spec{s->name, fields[0], fields[1], fields[2], fields[3], fields[4]};
        XDPDK_ASSIGN_OR_RETURN(Map * map, add_map(spec));
        targets.map_defs[{sec->index, s->value}] = map;
    }
    return {};
}

Status Object::Impl::collect_btf_maps() {
    const ElfSection* sec = elf->find_section(".maps");
    if (!sec) return {};
    if (!btf) return fail("the '.maps' section needs BTF to describe its maps (build with -g)");
    XDPDK_ASSIGN_OR_RETURN(auto defs, parse_btf_map_defs(*btf));
    for (const BtfMapDef& def : defs) {
        const ElfSymbol* sym = find_symbol(sec->index, def.spec.name);
        if (!sym) return make_error("map " + quoted(def.spec.name), "no symbol for it in the '.maps' section");
        std::shared_ptr<const Map> inner;
        if (def.inner) {
            // The template libbpf creates from the inner definition and
            // drops once the outer map exists: it is in no map list.
            auto tmpl = create_map(def.inner->spec, opts.ncpus);
            if (!tmpl && !opts.listing) return tmpl.error();
            if (tmpl) inner = std::shared_ptr<Map>(std::move(*tmpl));
        }
        XDPDK_ASSIGN_OR_RETURN(Map * map, add_map(def.spec, MapOrigin::Declared, std::move(inner)));
        const bool reused = std::find(reused_maps.begin(), reused_maps.end(), map) != reused_maps.end();
        if (!reused && kernel_keeps_btf(def.spec.type, def.key_type_id, def.value_type_id))
            map->set_btf(MapBtf{btf->shared(), def.key_type_id, def.value_type_id});
        if (map->spin_locks() > 1)
            return make_error("map " + quoted(def.spec.name), "its value holds " + std::to_string(map->spin_locks()) +
                                                                  " struct bpf_spin_lock; Linux allows one");
        targets.map_defs[{sec->index, sym->value}] = map;
        if (def.has_values) prog_array_values.push_back({map, sym->value + def.values_offset});
    }
    return {};
}

Status Object::Impl::collect_data_maps() {
    for (const ElfSection& s : elf->sections()) {
        if (!is_global_data_section(s)) continue;
        if (s.size > UINT32_MAX) return fail("section " + quoted(s.name) + " is too large for a map value");
        MapSpec spec{internal_map_name(name, s.name), static_cast<uint32_t>(MapType::Array), 4,
                     static_cast<uint32_t>(s.size), 1, 0};
        // libbpf's flags: read-only for programs, mmapable when a variable is
        // visible outside the object.
        if (is_rodata_section(s.name)) spec.flags |= kMapFlagRdonlyProg;
        if (btf)
            for (const BtfDataVar& v : datasec_vars(*btf, s.name))
                if (!v.is_static) spec.flags |= kMapFlagMmapable;
        XDPDK_ASSIGN_OR_RETURN(Map * map, add_map(spec, MapOrigin::GlobalData));
        // libbpf gives the kernel the section's DATASEC as the value type.
        if (const uint32_t datasec = btf ? btf->find_datasec(s.name) : 0)
            map->set_btf(MapBtf{btf->shared(), 0, datasec});
        if (s.type == SHT_PROGBITS) {
            const uint32_t key = 0;
            if (long err = map->user_update(&key, elf->data(s).data(), kAny); err != 0)
                return make_error("map " + quoted(map->name()), "cannot store the initial contents of " +
                                                                    quoted(s.name) + ": " + std::strerror(int(-err)));
        }
        targets.data_maps[s.index] = map;
        if (is_rodata_section(s.name)) rodata_maps.push_back(map);
    }
    return {};
}

Status Object::Impl::collect_globals() {
    if (!btf) return {};
    for (const auto& [index, map] : targets.data_maps) {
        const ElfSection& s = elf->sections()[index];
        std::vector<std::pair<std::string, uint32_t>> offsets;
        for (const BtfDataVar& v : datasec_vars(*btf, s.name)) {
            // Objects leave DATASEC offsets for the linker; the symbol has the real one.
            const ElfSymbol* sym = find_symbol(index, v.name);
            const uint64_t offset = sym ? sym->value : v.offset;
            if (offset > s.size || v.size > s.size - offset)
                return fail("global " + quoted(v.name) + " (offset " + std::to_string(offset) + ", size " +
                            std::to_string(v.size) + ") lies outside section " + quoted(s.name));
            globals.push_back(GlobalVar{v.name, s.name, map, static_cast<uint32_t>(offset), v.size});
            offsets.emplace_back(v.name, static_cast<uint32_t>(offset));
        }
        btf->fixup_datasec(s.name, static_cast<uint32_t>(s.size), offsets);
    }
    return {};
}

Status Object::Impl::collect_programs() {
    XDPDK_ASSIGN_OR_RETURN(funcs, collect_functions(*elf));
    for (size_t i = 0; i < funcs.size(); ++i) {
        const ElfFunc& f = funcs[i];
        const std::string& section = elf->sections()[f.section].name;
        if (section == ".text" || !f.global) continue;
        auto prog = std::make_unique<Program>();
        prog->name = f.name;
        prog->section = section;
        const SectionKind kind = classify_section(section);
        prog->type = kind.xdp ? ProgType::Xdp : ProgType::Other;
        prog->frags = kind.frags;
        prog->attach = kind.attach;
        for (const auto& p : programs)
            if (p->name == prog->name) return fail("two programs are named " + quoted(prog->name));
        programs.push_back(std::move(prog));
        program_funcs.push_back(i);
    }
    return {};
}

// libbpf's init_map_in_map_slots: slot `slot` of a map of maps gets the map
// the symbol names (another map of the '.maps' section), keyed by the slot
// number as a u32. Reused outer maps keep what they hold.
template <typename Fail>
Status Object::Impl::init_inner_slot(Map& outer, uint64_t slot, const ElfSymbol& sym, Fail&& rel_fail) {
    const auto target = targets.map_defs.find({sym.shndx, sym.value});
    if (target == targets.map_defs.end() || target->second->name() != sym.name)
        return rel_fail("map " + quoted(outer.name()) + " slot " + std::to_string(slot) + ": symbol " +
                        quoted(sym.name) + " is not a map of the '.maps' section");
    if (std::find(reused_maps.begin(), reused_maps.end(), &outer) != reused_maps.end()) return {};
    if (!outer.inner_template()) return {};  // a stand-in, opened for listing
    if (outer.spec().key_size != sizeof(uint32_t))
        return rel_fail("map " + quoted(outer.name()) + ": initial 'values' need a 4-byte key, not " +
                        std::to_string(outer.spec().key_size));
    const uint32_t key = static_cast<uint32_t>(slot), id = target->second->id();
    if (long err = outer.user_update(&key, &id, kAny); err != 0) {
        std::string why;
        inner_map_fits(*outer.inner_template(), *target->second, &why);
        return make_error("map " + quoted(outer.name()), "cannot insert map " + quoted(sym.name) + " at slot " +
                                                             std::to_string(slot) + ": " + std::strerror(int(-err)) +
                                                             (why.empty() ? "" : " (" + why + ")"));
    }
    return {};
}

// A prog array's `values` are filled by R_BPF_64_ABS64 relocations in
// ".rel.maps", one per initialized slot, naming the program; a map of maps'
// by ones naming maps.
Status Object::Impl::collect_prog_array_inits() {
    const auto& sections = elf->sections();
    for (const ElfRelSection& rs : elf->rel_sections()) {
        if (sections[rs.target].name != ".maps") continue;
        const std::string& rel_name = sections[rs.section].name;
        for (size_t i = 0; i < rs.rels.size(); ++i) {
            const ElfRel& rel = rs.rels[i];
            auto rel_fail = [&](const std::string& reason) {
                return fail("relocation " + std::to_string(i) + " in " + quoted(rel_name) + ": " + reason);
            };
            if (rel.type == elf_bpf::kRelNone) continue;
            if (rel.type != elf_bpf::kRelAbs64)
                return rel_fail("unexpected relocation type " + std::to_string(rel.type) + " in '.maps'");
            const ProgArrayValues* owner = nullptr;
            for (const ProgArrayValues& v : prog_array_values)
                if (v.start <= rel.offset && (!owner || v.start > owner->start)) owner = &v;
            if (!owner)
                return rel_fail("offset " + std::to_string(rel.offset) + " is not in a prog array's or map of maps' 'values'");
            const uint64_t delta = rel.offset - owner->start;
            if (delta % 8) return rel_fail("offset " + std::to_string(rel.offset) + " is not a 'values' slot");
            const uint64_t slot = delta / 8;
            if (slot >= owner->map->spec().max_entries)
                return rel_fail("slot " + std::to_string(slot) + " is beyond max_entries of map " +
                                quoted(owner->map->name()));
            const ElfSymbol& sym = elf->symbols()[rel.sym];
            if (owner->map->inner_template() || is_map_of_maps(owner->map->spec().type)) {
                XDPDK_RETURN_IF_ERROR(init_inner_slot(*owner->map, slot, sym, rel_fail));
                continue;
            }
            size_t prog = programs.size();
            for (size_t p = 0; p < programs.size(); ++p) {
                const ElfFunc& f = funcs[program_funcs[p]];
                if (f.section == sym.shndx && uint64_t{f.start} * sizeof(RawInsn) == sym.value && f.name == sym.name)
                    prog = p;
            }
            if (prog == programs.size())
                return rel_fail("map " + quoted(owner->map->name()) + " slot " + std::to_string(slot) + ": symbol " +
                                quoted(sym.name) + " is not a program");
            prog_array_inits.push_back({owner->map, static_cast<uint32_t>(slot), prog});
        }
    }
    return {};
}

std::string Object::Impl::program_list() const {
    if (programs.empty()) return "the object has no programs";
    std::string s = "programs:";
    for (const auto& p : programs) s += " " + p->name + " (" + p->section + ")";
    return s;
}

Error Object::Impl::not_xdp(const Program& p) const {
    return make_error("prog " + quoted(p.name) + " (section " + quoted(p.section) + ")",
                      "not an XDP program: the section makes it a " +
                          std::string(classify_section(p.section).other_type) +
                          " program; only XDP programs run in xdpdk");
}

Status Object::Impl::load() {
    if (loaded) return fail("already loaded");
    if (unsized_map) return *unsized_map;
    auto wanted = [&](size_t i) {
        if (only.empty() || std::find(only.begin(), only.end(), programs[i].get()) != only.end()) return true;
        for (const ProgArrayInit& init : prog_array_inits)
            if (init.program == i) return true;
        return false;
    };
    // .rodata is final from here on, as libbpf freezes it before loading
    // programs: the verifier reads it as constants (so a branch a knob
    // switches off is dead) and the JIT folds loads from it.
    for (Map* m : rodata_maps) m->freeze();
    std::vector<std::unique_ptr<Program>> built(programs.size());
    for (size_t i = 0; i < programs.size(); ++i) {
        const Program& p = *programs[i];
        if (p.type != ProgType::Xdp || !wanted(i)) continue;
        const std::string prog_subject = "prog " + quoted(p.name);
        XDPDK_ASSIGN_OR_RETURN(LinkedProgram linked,
                               link_program(*elf, funcs, relocs, funcs[program_funcs[i]], prog_subject));
        // Source lines follow the instructions through every step below, so
        // that a refusal at any of them names the C line.
        std::vector<LineInfo> lines;
        std::vector<FuncInfo> func_info;
        if (btf_ext) collect_source_info(*btf_ext, *btf, linked.placed, lines, func_info);
        if (!linked.kfuncs.empty())
            return with_source_line(make_insn_error(prog_subject, linked.kfuncs.front().first,
                                                    kfunc_refusal(linked.kfuncs.front().second)),
                                    lines);
        const auto core = core_sites_in(linked, funcs, core_sites);
        for (const auto& [pc, site] : core)
            if (site->refused) return with_source_line(make_insn_error(prog_subject, pc, *site->failure), lines);
        // Verified as written (against xdp_md), then rewritten to the
        // runtime's context where the verifier saw context loads.
        const ProgTag tag = prog_tag(linked.insns, linked.lddw_origins);
        auto checked_or = make_program(prog_subject, linked.insns, ProgType::Xdp);
        if (!checked_or) return with_source_line(checked_or.error(), lines);
        auto checked = std::move(checked_or).value();
        checked->lddw_origins = linked.lddw_origins;
        checked->line_info = lines;
        checked->func_info = func_info;
        VerifyEnv env;
        env.log = opts.verifier_log;
        env.log_insns = opts.verifier_log_insns;
        env.strict = opts.strict_verifier;
        env.insn_budget = opts.insn_budget;
        // Linux knows a global function by its BTF linkage (func_info); without
        // BTF every function is verified as static.
        for (const auto& [fname, start] : linked.funcs) {
            if (start == 0 || !btf) continue;
            if (auto g = btf_global_func(*btf, fname)) {
                g->start = start;
                env.global_funcs.push_back(std::move(*g));
            }
        }
        env.attach = p.attach;
        for (const auto& [pc, site] : core)
            if (site->failure) env.core_poisons.emplace_back(pc, *site->failure);
        auto verdict = verify(*checked, env);
        if (!verdict) return with_source_line(verdict.error(), lines);
        // One instruction for one: the lines stay where they are.
        if (auto st = rewrite_xdp_ctx(prog_subject, linked.insns, verdict->ctx_loads); !st)
            return with_source_line(st.error(), lines);
        // Helper calls in order, less the dead ones: the same calls, in the
        // same order, as in the code left after dead-code removal.
        std::vector<uint32_t> live_calls;
        for (uint32_t pc = 0; pc < checked->insns.size(); ++pc)
            if (checked->insns[pc].op == Op::Call &&
                !std::binary_search(verdict->dead_insns.begin(), verdict->dead_insns.end(), pc))
                live_calls.push_back(pc);
        if (auto st = remove_dead_code(prog_subject, linked.insns, verdict->dead_insns, linked.lddw_origins, lines,
                                       func_info);
            !st)
            return with_source_line(st.error(), lines);
        if (opts.verified_forms) opts.verified_forms->push_back(std::move(checked));
        if (opts.verified_envs) {
            opts.verified_envs->push_back(env);
            opts.verified_envs->back().log = nullptr;
            opts.verified_envs->back().log_insns = false;
        }
        auto made = make_program(prog_subject, std::move(linked.insns), ProgType::Xdp);
        if (!made) return with_source_line(made.error(), lines);
        built[i] = std::move(*made);
        built[i]->name = p.name;
        built[i]->section = p.section;
        built[i]->frags = p.frags;
        built[i]->attach = p.attach;
        built[i]->tag = tag;
        built[i]->lddw_origins = std::move(linked.lddw_origins);
        built[i]->line_info = std::move(lines);
        built[i]->func_info = std::move(func_info);
        std::vector<uint32_t> calls_now;
        for (uint32_t pc = 0; pc < built[i]->insns.size(); ++pc)
            if (built[i]->insns[pc].op == Op::Call) calls_now.push_back(pc);
        if (calls_now.size() == live_calls.size())
            for (const DynamicMapCall& c : verdict->map_calls) {
                const auto at = std::lower_bound(live_calls.begin(), live_calls.end(), c.insn);
                if (at != live_calls.end() && *at == c.insn)
                    built[i]->dynamic_map_calls.push_back({calls_now[at - live_calls.begin()], c.map_type, c.key_size});
            }
    }
    for (const ProgArrayInit& init : prog_array_inits) {
        const Program& p = *programs[init.program];
        if (p.type != ProgType::Xdp)
            return make_error("map " + quoted(init.map->name()),
                              "slot " + std::to_string(init.slot) + ": " + not_xdp(p).str());
    }
    if (opts.engine == EngineKind::Jit)
        for (const auto& b : built)
            if (b) XDPDK_RETURN_IF_ERROR(jit_compile(*b));
    // Nothing can fail from here on: commit, keeping Program addresses stable.
    for (size_t i = 0; i < programs.size(); ++i)
        if (built[i]) {
            *programs[i] = std::move(*built[i]);
            programs[i]->adopt_callbacks();
        }
    for (const ProgArrayInit& init : prog_array_inits)
        if (long err = init.map->set_program(init.slot, programs[init.program].get()); err != 0)
            return make_error("map " + quoted(init.map->name()), "cannot set slot " + std::to_string(init.slot) +
                                                                     ": " + std::strerror(int(-err)));
    loaded = true;
    return {};
}

// ---- Object ----

Object::Object(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Object::~Object() = default;

Result<std::unique_ptr<Object>> Object::open(const std::string& path, const ObjectOptions& opts) {
    XDPDK_ASSIGN_OR_RETURN(auto bytes, read_whole_file(path));
    auto impl = std::make_unique<Impl>();
    impl->subject = "elf " + quoted(path);
    impl->name = object_name_from(path);
    impl->opts = opts;
    XDPDK_RETURN_IF_ERROR(impl->open(std::move(bytes)));
    return std::unique_ptr<Object>(new Object(std::move(impl)));
}

Result<std::unique_ptr<Object>> Object::open_memory(std::span<const uint8_t> elf, const std::string& name,
                                                    const ObjectOptions& opts) {
    auto impl = std::make_unique<Impl>();
    impl->subject = "elf " + quoted(name);
    impl->name = object_name_from(name);
    impl->opts = opts;
    XDPDK_RETURN_IF_ERROR(impl->open(std::vector<uint8_t>(elf.begin(), elf.end())));
    return std::unique_ptr<Object>(new Object(std::move(impl)));
}

const std::string& Object::name() const { return impl_->name; }
const std::string& Object::license() const { return impl_->license; }
const std::vector<GlobalVar>& Object::globals() const { return impl_->globals; }

Status Object::set_global(std::string_view name, std::span<const uint8_t> bytes) {
    const Impl& im = *impl_;
    if (im.loaded) return im.fail("global " + quoted(name) + " cannot be set after load()");
    for (const GlobalVar& g : im.globals) {
        if (g.name != name) continue;
        if (bytes.size() != g.size)
            return im.fail("global " + quoted(name) + " is " + std::to_string(g.size) + " bytes, got " +
                           std::to_string(bytes.size()));
        uint8_t* values = g.map->value_base();
        if (!values) return im.fail("global " + quoted(name) + ": map " + quoted(g.map->name()) + " has no value memory");
        std::memcpy(values + g.offset, bytes.data(), bytes.size());
        return {};
    }
    std::string similar;
    for (const GlobalVar& g : im.globals)
        if (g.name.find(name) != std::string::npos || name.find(g.name) != std::string_view::npos ||
            edit_distance(g.name, name) <= 2)
            similar += (similar.empty() ? "" : ", ") + g.name;
    std::string reason = "no global variable " + quoted(name);
    if (!similar.empty()) reason += "; did you mean: " + similar;
    else if (im.globals.empty()) reason += "; the object has no global variables";
    return im.fail(reason);
}

Status Object::load() { return impl_->load(); }

Status Object::load_only(std::vector<const Program*> progs) {
    if (impl_->loaded) return impl_->fail("already loaded");
    impl_->only = std::move(progs);
    return {};
}
bool Object::loaded() const { return impl_->loaded; }

const std::vector<std::unique_ptr<Program>>& Object::programs() const { return impl_->programs; }

Result<Program*> Object::find_program(std::string_view name_or_section) const {
    for (const auto& p : impl_->programs)
        if (p->name == name_or_section) return p->type == ProgType::Xdp ? Result<Program*>(p.get()) : impl_->not_xdp(*p);
    std::vector<Program*> in_section;
    for (const auto& p : impl_->programs)
        if (p->section == name_or_section) in_section.push_back(p.get());
    if (in_section.size() == 1)
        return in_section[0]->type == ProgType::Xdp ? Result<Program*>(in_section[0]) : impl_->not_xdp(*in_section[0]);
    if (in_section.size() > 1) {
        // libxdp would take the first; a name that picks one program among
        // several silently is how the wrong program ends up attached.
        std::string names;
        for (const Program* p : in_section) names += (names.empty() ? "" : ", ") + p->name;
        return make_error("section " + quoted(name_or_section),
                          "is ambiguous: it holds " + std::to_string(in_section.size()) + " programs (" + names +
                              "); name one by its function name");
    }
    return impl_->fail("no program or section " + quoted(name_or_section) + "; " + impl_->program_list());
}

Result<Object::ProgramUses> Object::program_uses(const Program& prog) const {
    const Impl& im = *impl_;
    size_t index = im.programs.size();
    for (size_t i = 0; i < im.programs.size(); ++i)
        if (im.programs[i].get() == &prog) index = i;
    if (index == im.programs.size()) return im.fail("prog " + quoted(prog.name) + " is not in this object");
    XDPDK_ASSIGN_OR_RETURN(LinkedProgram linked, link_program(*im.elf, im.funcs, im.relocs,
                                                              im.funcs[im.program_funcs[index]],
                                                              "prog " + quoted(prog.name)));
    ProgramUses uses;
    for (const RawInsn& in : linked.insns) {
        // call imm with src_reg 0: a helper (1 calls a function, 2 a kfunc).
        if (in.code != (bpf::JMP | bpf::CALL) || in.src != 0 || is_core_poison(in)) continue;
        if (std::find(uses.helpers.begin(), uses.helpers.end(), in.imm) == uses.helpers.end())
            uses.helpers.push_back(in.imm);
    }
    for (const auto& [pc, name] : linked.kfuncs)
        if (std::find(uses.kfuncs.begin(), uses.kfuncs.end(), name) == uses.kfuncs.end()) uses.kfuncs.push_back(name);
    for (const LddwOrigin& o : linked.lddw_origins)
        if (std::find(uses.maps.begin(), uses.maps.end(), o.map) == uses.maps.end()) uses.maps.push_back(o.map);
    return uses;
}

Result<std::vector<CoreRelocation>> Object::core_relocations() const {
    const Impl& im = *impl_;
    std::vector<CoreRelocation> out;
    std::vector<bool> listed(im.core_sites.size());
    auto add = [&](const std::string& program, uint32_t pc, const CoreSite& s) {
        listed[&s - im.core_sites.data()] = true;
        CoreRelocation r{program, pc, s.res.kind, s.res.type, s.res.access, s.res.spec,
                         s.res.local_value, s.res.target_value, std::nullopt, s.refused};
        if (s.failure) r.failure = make_insn_error("prog " + quoted(program), pc, *s.failure);
        out.push_back(std::move(r));
    };
    for (size_t i = 0; i < im.programs.size(); ++i) {
        const ElfFunc& main = im.funcs[im.program_funcs[i]];
        const std::string& name = im.programs[i]->name;
        auto linked = link_program(*im.elf, im.funcs, im.relocs, main, "prog " + quoted(name));
        LinkedProgram own;
        if (!linked) own.funcs.emplace_back(main.name, 0);  // unlinkable: its own code only
        for (const auto& [pc, site] : core_sites_in(linked ? *linked : own, im.funcs, im.core_sites)) add(name, pc, *site);
    }
    for (const ElfFunc& f : im.funcs)
        for (const CoreSite& s : im.core_sites)
            if (!listed[&s - im.core_sites.data()] && s.section == f.section && s.insn >= f.start &&
                s.insn - f.start < f.count)
                add(f.name, s.insn - f.start, s);
    return out;
}

Result<Program*> Object::default_xdp_program() const {
    // A devmap or cpumap program runs from a map entry, never at a device.
    for (const auto& p : impl_->programs)
        if (p->type == ProgType::Xdp && p->attach == XdpAttach::Ingress) return p.get();
    for (const auto& p : impl_->programs)
        if (p->type == ProgType::Xdp)
            return make_error("prog " + quoted(p->name) + " (section " + quoted(p->section) + ")",
                              std::string("is an ") + xdp_attach_name(p->attach) +
                                  " program and the object has no other XDP program; name it with --prog to run it "
                                  "offline");
    if (!impl_->programs.empty()) return impl_->not_xdp(*impl_->programs.front());
    return impl_->fail("no XDP program; the object has no programs");
}

const std::vector<std::shared_ptr<Map>>& Object::maps() const { return impl_->maps; }

Map* Object::find_map(std::string_view name) const {
    for (const auto& m : impl_->maps)
        if (m->name() == name) return m.get();
    return nullptr;
}

}  // namespace xdpdk::vm
