#include "prog_show.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "dataplane/loader/global_set.h"
#include "load_args.h"
#include "vm/helpers.h"
#include "vm/map.h"
#include "vm/object.h"
#include "vm/prog_tag.h"

namespace xdpdk::cli {
namespace {

struct ShowOptions {
    std::string object_path;
    std::string prog;
    LoadArgs load;
    bool json = false;
    bool pretty = false;
    bool relocs = false;
};

using ordered_json = nlohmann::ordered_json;

// The helpers a program calls and the types of the maps it uses, each with
// whether xdpdk has it; nothing when its code cannot be linked (a program
// of another type using what xdpdk's loader refuses).
void add_uses(const vm::Object& obj, const vm::Program& listed, ordered_json& p) {
    auto uses = obj.program_uses(listed);
    if (!uses) return;
    ordered_json helpers = ordered_json::array();
    for (int32_t id : uses->helpers) {
        ordered_json h = {{"id", id}, {"name", vm::helper_name(id)}, {"available", vm::helper_spec(id) != nullptr}};
        if (!vm::helper_spec(id)) h["reason"] = vm::helper_refusal(id);
        helpers.push_back(std::move(h));
    }
    ordered_json kfuncs = ordered_json::array();
    for (const std::string& name : uses->kfuncs)
        kfuncs.push_back({{"name", name}, {"available", false}, {"reason", vm::kfunc_refusal(name)}});
    std::vector<uint32_t> types;
    for (const vm::Map* m : uses->maps)
        if (std::find(types.begin(), types.end(), m->spec().type) == types.end()) types.push_back(m->spec().type);
    ordered_json map_types = ordered_json::array();
    for (uint32_t t : types)
        map_types.push_back({{"type", t}, {"name", vm::map_type_name(t)}, {"available", vm::map_type_supported(t)}});
    p["helpers"] = std::move(helpers);
    p["map_types"] = std::move(map_types);
    if (!kfuncs.empty()) p["kfuncs"] = std::move(kfuncs);
}

// The program loaded on its own in a fresh object (so one refused program
// does not hide the others), with --set and --map-size applied.
ordered_json describe(const ShowOptions& o, const vm::ObjectOptions& options, const vm::Object& obj,
                      const vm::Program& listed) {
    ordered_json p;
    p["name"] = listed.name;
    p["section"] = listed.section;
    if (listed.type != vm::ProgType::Xdp) {
        p["type"] = std::string(vm::classify_section(listed.section).other_type);
        p["loaded"] = false;
        p["reason"] = "not an XDP program; only XDP programs run in xdpdk";
        add_uses(obj, listed, p);
        return p;
    }
    p["type"] = "xdp";
    p["attach_type"] = vm::xdp_attach_name(listed.attach);
    p["frags"] = listed.frags;
    auto fresh = vm::Object::open(o.object_path, options);
    Status st = fresh ? loader::apply_global_assignments(**fresh, o.load.sets) : Status(fresh.error());
    const vm::Program* prog = nullptr;
    if (st) {
        auto found = (*fresh)->find_program(listed.name);
        st = found ? (*fresh)->load_only({*found}) : Status(found.error());
        if (st) st = (*fresh)->load();
        if (st) prog = *found;
    }
    p["loaded"] = static_cast<bool>(st);
    if (!st) {
        p["reason"] = st.error().str();
        add_uses(obj, listed, p);
        return p;
    }
    p["tag"] = vm::prog_tag_hex(prog->tag);
    p["bytes_xlated"] = prog->xlated.size() * sizeof(vm::RawInsn);
    p["jited"] = prog->jit != nullptr;
    if (prog->jit) p["bytes_jited"] = prog->jit->code_size();
    std::vector<std::string> maps;
    std::set<const vm::Map*> seen;
    for (const vm::LddwOrigin& origin : prog->lddw_origins)
        if (seen.insert(origin.map).second) maps.push_back(origin.map->name());
    p["map_names"] = maps;
    add_uses(obj, listed, p);
    return p;
}

// "\thelpers bpf_a bpf_b (unavailable in xdpdk)\n", or nothing.
std::string uses_line(const ordered_json& p, const char* field, const char* label) {
    if (!p.contains(field) || p[field].empty()) return "";
    std::string s = std::string("\t") + label;
    for (const auto& u : p[field]) {
        s += " " + u["name"].get<std::string>();
        if (!u["available"].get<bool>()) s += " (unavailable in xdpdk)";
    }
    return s + "\n";
}

// One line per helper or kfunc xdpdk refuses, with why.
std::string reasons_lines(const ordered_json& p) {
    std::string s;
    for (const char* field : {"helpers", "kfuncs"})
        if (p.contains(field))
            for (const auto& u : p[field])
                if (u.contains("reason")) s += "\t" + u["reason"].get<std::string>() + "\n";
    return s;
}

// The CO-RE relocations in the program's code, as applied against the target.
ordered_json core_relocations_of(const std::vector<vm::CoreRelocation>& all, const std::string& program) {
    ordered_json out = ordered_json::array();
    for (const vm::CoreRelocation& r : all) {
        if (r.program != program) continue;
        ordered_json j = {{"insn", r.insn}, {"kind", vm::core_relo_kind_name(r.kind)}, {"type", r.type},
                          {"access", r.access}, {"spec", r.spec}, {"local", r.local_value}, {"target", r.target_value}};
        if (r.failure) {
            j["status"] = r.refused ? "refused" : "poisoned";
            j["reason"] = r.failure->reason;
        }
        out.push_back(std::move(j));
    }
    return out;
}

// "\tinsn 16 byte_off struct task_struct 0:1 (task_struct.thread_info): 0 -> 16\n" per relocation.
std::string relocation_lines(const ordered_json& p) {
    if (!p.contains("core_relocations")) return "";
    const auto& relocs = p["core_relocations"];
    if (relocs.empty()) return "\tno CO-RE relocations\n";
    std::string s = "\tCO-RE relocations:\n";
    for (const auto& r : relocs) {
        s += "\t  insn " + std::to_string(r["insn"].get<uint32_t>()) + " " + r["kind"].get<std::string>() + " " +
             r["type"].get<std::string>() + " " + r["access"].get<std::string>();
        if (!r["spec"].get<std::string>().empty()) s += " (" + r["spec"].get<std::string>() + ")";
        s += ": " + std::to_string(r["local"].get<uint64_t>()) + " -> ";
        if (r.contains("status")) s += r["status"].get<std::string>() + ": " + r["reason"].get<std::string>();
        else s += std::to_string(r["target"].get<uint64_t>());
        s += "\n";
    }
    return s;
}

std::string text_line(const ordered_json& p) {
    std::string s = p["name"].get<std::string>() + ": " + p["type"].get<std::string>();
    if (p.contains("attach_type") && p["attach_type"] != "xdp") s += " (" + p["attach_type"].get<std::string>() + ")";
    if (p.value("frags", false)) s += " frags";
    s += "  section " + p["section"].get<std::string>() + "\n";
    const std::string uses = uses_line(p, "helpers", "helpers") + uses_line(p, "kfuncs", "kfuncs") +
                             uses_line(p, "map_types", "map types") + reasons_lines(p);
    if (!p["loaded"].get<bool>())
        return s + "\tnot loaded: " + p["reason"].get<std::string>() + "\n" + uses + relocation_lines(p);
    s += "\ttag " + p["tag"].get<std::string>() + "  xlated " + std::to_string(p["bytes_xlated"].get<size_t>()) + "B";
    if (p["jited"].get<bool>()) s += "  jited " + std::to_string(p["bytes_jited"].get<size_t>()) + "B";
    const auto& maps = p["map_names"];
    if (!maps.empty()) {
        s += "  maps";
        for (const auto& m : maps) s += " " + m.get<std::string>();
    }
    return s + "\n" + uses + relocation_lines(p);
}

Status show(const ShowOptions& o) {
    vm::ObjectOptions options;
    XDPDK_RETURN_IF_ERROR(apply_load_args(o.load, options));
    // The listing opens even without the map sizes a load needs; each
    // program's own load then says what is missing.
    vm::ObjectOptions listing = options;
    listing.listing = true;
    XDPDK_ASSIGN_OR_RETURN(auto obj, vm::Object::open(o.object_path, listing));
    std::vector<const vm::Program*> listed;
    if (!o.prog.empty()) {
        // A non-XDP program named on purpose is shown, not refused.
        const vm::Program* named = nullptr;
        for (const auto& p : obj->programs())
            if (p->name == o.prog) named = p.get();
        if (!named) {
            XDPDK_ASSIGN_OR_RETURN(const vm::Program* p, obj->find_program(o.prog));
            named = p;
        }
        listed.push_back(named);
    } else {
        for (const auto& p : obj->programs()) listed.push_back(p.get());
        if (listed.empty()) return make_error(o.object_path, "the object has no programs");
    }
    // Everything is gathered before anything is printed.
    std::vector<vm::CoreRelocation> relocs;
    if (o.relocs) {
        XDPDK_ASSIGN_OR_RETURN(relocs, obj->core_relocations());
    }
    ordered_json all = ordered_json::array();
    for (const vm::Program* p : listed) {
        all.push_back(describe(o, options, *obj, *p));
        if (o.relocs) all.back()["core_relocations"] = core_relocations_of(relocs, p->name);
    }
    std::string out;
    if (o.json || o.pretty) {
        out = all.dump(o.pretty ? 4 : -1) + "\n";
    } else {
        for (const auto& p : all) out += text_line(p);
    }
    std::fputs(out.c_str(), stdout);
    return {};
}

}  // namespace

void add_prog_show_command(CLI::App& prog, int& exit_code) {
    auto opts = std::make_shared<ShowOptions>();
    CLI::App* cmd = prog.add_subcommand(
        "show", "List an object's programs: section, type, whether each loads, the kernel's tag, sizes, maps, the "
        "helpers and map types each uses and whether xdpdk has them");
    cmd->add_option("PROG", opts->object_path, "BPF object file built with clang -target bpf")->required();
    cmd->add_option("--prog", opts->prog, "only this program (function or section name)");
    add_load_options(*cmd, opts->load);
    cmd->add_flag("--relocs", opts->relocs,
                  "list each program's CO-RE relocations: instruction, kind, type, access string, the local and the "
                  "target value (--btf FILE: the target), and why an unresolved one failed");
    cmd->add_flag("-j,--json", opts->json, "JSON, one line");
    cmd->add_flag("-p,--pretty", opts->pretty, "JSON, indented");
    cmd->callback([opts, &exit_code] {
        auto st = show(*opts);
        exit_code = st ? 0 : fail(st.error().str());
    });
}

}  // namespace xdpdk::cli
