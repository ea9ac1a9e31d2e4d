#include "ctl_commands.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <map>
#include <span>
#include <type_traits>

#include "dataplane/loader/map_format.h"
#include "dataplane/loader/spec_source.h"

namespace xdpdk::control {

namespace {

using json = nlohmann::ordered_json;
using Words = std::vector<std::string>;

bool wants_text(const Request& r) {
    auto it = r.options.find("format");
    return it != r.options.end() && it->is_string() && *it == "text";
}

Result<uint16_t> parse_port(const std::string& word, const std::string& command) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(word.c_str(), &end, 10);
    if (word.empty() || *end != '\0' || v > UINT16_MAX)
        return make_error(command, "'" + word + "' is not a port id (0.." + std::to_string(UINT16_MAX) + ")");
    return static_cast<uint16_t>(v);
}

Status expect_args(const Request& r, size_t min, size_t max, const std::string& usage) {
    if (r.args.size() < min || r.args.size() > max) return make_error(r.command(), "usage: " + usage);
    return {};
}

std::string iso_time(int64_t t) {
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    localtime_r(&tt, &tm);
    char s[40];
    std::strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S%z", &tm);
    return s;
}

// The fields `bpftool -j prog show` prints, then xdpdk's own (port,
// section, object, map names).
json prog_json(const ProgramInfo& p, bool stats) {
    json j;
    j["id"] = p.id;
    j["type"] = "xdp";
    j["name"] = p.name;
    j["tag"] = p.tag;
    if (stats) {
        j["run_time_ns"] = p.run_time_ns;
        j["run_cnt"] = p.run_cnt;
    }
    j["loaded_at"] = p.loaded_at;
    j["bytes_xlated"] = p.bytes_xlated;
    j["jited"] = p.bytes_jited != 0;
    if (p.bytes_jited != 0) j["bytes_jited"] = p.bytes_jited;
    j["map_ids"] = p.map_ids;
    j["port"] = p.port;
    j["section"] = p.section;
    j["object"] = p.object_path;
    j["map_names"] = p.map_names;
    return j;
}

std::string join(const auto& items, const char* sep) {
    std::string s;
    for (const auto& i : items) {
        if (!s.empty()) s += sep;
        if constexpr (std::is_same_v<std::decay_t<decltype(i)>, std::string>) s += i;
        else s += std::to_string(i);
    }
    return s;
}

// bpftool's plain `prog show` layout.
std::string prog_text(const ProgramInfo& p, bool stats) {
    std::string t = std::to_string(p.id) + ": xdp  name " + p.name + "  tag " + p.tag;
    if (stats) t += "  run_time_ns " + std::to_string(p.run_time_ns) + " run_cnt " + std::to_string(p.run_cnt);
    t += "\n\tport " + std::to_string(p.port) + "  section " + p.section + "  object " + p.object_path;
    t += "\n\tloaded_at " + iso_time(p.loaded_at);
    t += "\n\txlated " + std::to_string(p.bytes_xlated) + "B";
    t += p.bytes_jited != 0 ? "  jited " + std::to_string(p.bytes_jited) + "B" : "  not jited (interpreter)";
    if (!p.map_ids.empty()) t += "  map_ids " + join(p.map_ids, ",");
    return t + "\n";
}

json map_json(const MapInfo& m) {
    json j;
    j["id"] = m.id;
    j["type"] = m.type;
    j["name"] = m.name;
    j["flags"] = m.flags;
    j["bytes_key"] = m.key_size;
    j["bytes_value"] = m.value_size;
    j["max_entries"] = m.max_entries;
    if (!m.pinned.empty()) j["pinned"] = json::array({m.pinned});
    j["prog_ids"] = m.program_ids;
    return j;
}

std::string map_text(const MapInfo& m) {
    char flags[16];
    std::snprintf(flags, sizeof flags, "0x%x", m.flags);
    std::string t = std::to_string(m.id) + ": " + m.type + "  name " + m.name + "  flags " + flags;
    t += "\n\tkey " + std::to_string(m.key_size) + "B  value " + std::to_string(m.value_size) + "B  max_entries " +
         std::to_string(m.max_entries);
    if (!m.pinned.empty()) t += "\n\tpinned " + m.pinned;
    if (!m.program_ids.empty()) t += "\n\tprog_ids " + join(m.program_ids, ",");
    return t + "\n";
}

// `MAP` is one word, or the two words `id N`; returns how many it took.
Result<std::pair<std::string, size_t>> map_ref(const Request& r, size_t at) {
    if (at >= r.args.size()) return make_error(r.command(), "which map? give its name or 'id N'");
    if (r.args[at] == "id") {
        if (at + 1 >= r.args.size()) return make_error(r.command(), "'id' needs a map id");
        return std::pair<std::string, size_t>{"id " + r.args[at + 1], 2};
    }
    if (r.args[at] == "pinned") {
        if (at + 1 >= r.args.size()) return make_error(r.command(), "'pinned' needs a path");
        return std::pair<std::string, size_t>{"pinned " + r.args[at + 1], 2};
    }
    if (r.args[at] == "name") {
        if (at + 1 >= r.args.size()) return make_error(r.command(), "'name' needs a map name");
        return std::pair<std::string, size_t>{r.args[at + 1], 2};
    }
    return std::pair<std::string, size_t>{r.args[at], 1};
}

// `key [hex] BYTES...` up to the next keyword.
Result<std::vector<uint8_t>> bytes_after(const Request& r, size_t& at, const std::string& keyword, size_t size,
                                         const std::vector<std::string>& stop_words) {
    if (at >= r.args.size() || r.args[at] != keyword)
        return make_error(r.command(), "expected '" + keyword + "' followed by " + std::to_string(size) + " bytes");
    ++at;
    Words words;
    while (at < r.args.size()) {
        bool stop = false;
        for (const std::string& s : stop_words) stop |= r.args[at] == s;
        if (stop) break;
        words.push_back(r.args[at++]);
    }
    return loader::parse_bytes_arg(std::span<const std::string>(words), size, keyword);
}

class Commands {
public:
    explicit Commands(Dataplane& dp) : dp_(dp) {}

    void operator()(const Request& r, Reply& reply) {
        const bool text = wants_text(r);
        if (r.noun == "trace") {
            if (!r.verb.empty() || !r.args.empty()) return reply.error(make_error("trace", "usage: trace"));
            auto lines = dp_.follow_trace();
            return reply.follow([lines]() {
                std::vector<nlohmann::json> items;
                for (std::string& l : lines()) items.emplace_back(std::move(l));
                return items;
            });
        }
        if (r.noun == "map" && r.verb == "events") return map_events(r, reply);
        Result<json> result = dispatch(r, text);
        if (!result) return reply.error(result.error());
        reply.ok(nlohmann::json(std::move(*result)));
    }

private:
    // `map events MAP`: the records as `bpftool map event_pipe` streams them.
    void map_events(const Request& r, Reply& reply) {
        auto ref = map_ref(r, 0);
        if (!ref) return reply.error(ref.error());
        if (ref->second != r.args.size()) return reply.error(make_error(r.command(), "usage: map events MAP"));
        auto lines = dp_.follow_events(ref->first);
        if (!lines) return reply.error(lines.error());
        return reply.follow([lines = std::move(*lines)]() {
            std::vector<nlohmann::json> items;
            for (const std::string& l : lines()) items.push_back(nlohmann::json::parse(l));
            return items;
        });
    }

    Result<json> dispatch(const Request& r, bool text) {
        if (r.noun == "prog") {
            if (r.verb == "list" || r.verb == "show") return prog_show(r, text);
            if (r.verb == "swap") return prog_swap(r, text);
            if (r.verb == "dump") return prog_dump(r, text);
            if (r.verb == "detach") return prog_detach(r, text);
            return make_error(r.command(), "unknown command; prog has list, show, swap, dump, detach");
        }
        if (r.noun == "map") {
            if (r.verb == "list" || r.verb == "show") return map_list(r, text);
            if (r.verb == "dump") return map_dump(r, text);
            if (r.verb == "lookup") return map_lookup(r, text);
            if (r.verb == "update") return map_update(r);
            if (r.verb == "delete") return map_delete(r);
            return make_error(r.command(), "unknown command; map has list, dump, lookup, update, delete, events");
        }
        if (r.noun == "stats") {
            if (!r.verb.empty()) return make_error(r.command(), "usage: stats");
            if (text) return json(dp_.summary_text());
            return json::parse(dp_.summary_json());
        }
        return make_error(r.command(), "unknown command; the nouns are prog, map, stats, trace");
    }

    Result<json> prog_show(const Request& r, bool text) {
        XDPDK_RETURN_IF_ERROR(expect_args(r, 0, 2, "prog list | prog show [PORT | id N]"));
        std::vector<ProgramInfo> progs;
        if (r.args.empty()) {
            progs = dp_.programs();
        } else if (r.args[0] == "id" && r.args.size() == 2) {
            for (ProgramInfo& p : dp_.programs())
                if (std::to_string(p.id) == r.args[1]) progs.push_back(std::move(p));
            if (progs.empty()) return make_error("prog id " + r.args[1], "no attached program has this id (prog list)");
        } else if (r.args.size() != 1) {
            return make_error(r.command(), "usage: prog list | prog show [PORT | id N]");
        } else {
            XDPDK_ASSIGN_OR_RETURN(uint16_t port, parse_port(r.args[0], r.command()));
            XDPDK_ASSIGN_OR_RETURN(ProgramInfo p, dp_.program(port));
            progs.push_back(std::move(p));
        }
        const bool stats = dp_.stats_enabled();
        if (text) {
            std::string t;
            for (const ProgramInfo& p : progs) t += prog_text(p, stats);
            return json(t);
        }
        if (!r.args.empty()) return prog_json(progs[0], stats);
        json a = json::array();
        for (const ProgramInfo& p : progs) a.push_back(prog_json(p, stats));
        return a;
    }

    Result<json> prog_swap(const Request& r, bool text) {
        const std::string usage =
            "prog swap PORT OBJ.o [--prog NAME] [--set NAME=VALUE]... [--map-size NAME=N]... [--btf FILE] [--fresh-maps] | "
            "prog swap PORT filter:EXPR|filter-ddd:FILE [--filter-action MATCH[,NOMATCH]]";
        if (r.args.size() < 2) return make_error(r.command(), "usage: " + usage);
        XDPDK_ASSIGN_OR_RETURN(uint16_t port, parse_port(r.args[0], r.command()));
        ProgramSpec spec;
        XDPDK_ASSIGN_OR_RETURN(const auto filter, loader::filter_from_word(r.args[1], r.command()));
        if (filter) loader::set_filter(spec, *filter);
        else spec.object_path = r.args[1];
        for (size_t i = 2; i < r.args.size(); ++i) {
            const std::string& w = r.args[i];
            const bool has_value = i + 1 < r.args.size();
            if ((w == "filter-action" || w == "--filter-action") && has_value && filter) {
                auto verdicts = loader::parse_filter_action(r.args[++i]);
                if (!verdicts) return make_error(r.command(), verdicts.error().str() + "; usage: " + usage);
                spec.filter_match = verdicts->match;
                spec.filter_no_match = verdicts->no_match;
            } else if ((w == "prog" || w == "--prog") && has_value) spec.program = r.args[++i];
            else if ((w == "set" || w == "--set") && has_value) spec.globals.push_back(r.args[++i]);
            else if ((w == "map-size" || w == "--map-size") && has_value) spec.map_sizes.push_back(r.args[++i]);
            else if ((w == "btf" || w == "--btf") && has_value) spec.target_btf = r.args[++i];
            else if (w == "fresh-maps" || w == "--fresh-maps") spec.fresh_maps = true;
            else return make_error(r.command(), "unexpected '" + w + "'; usage: " + usage);
        }
        XDPDK_ASSIGN_OR_RETURN(SwapReport s, dp_.swap(port, spec));
        if (text) {
            return json("port " + std::to_string(port) + ": now runs prog " + std::to_string(s.program.id) + " '" +
                        s.program.name + "' (tag " + s.program.tag + ")" +
                        (s.carried_maps.empty() ? std::string(", no map carried over")
                                                : ", maps carried over: " + join(s.carried_maps, ", ")) +
                        (s.kept_globals.empty() ? std::string() : ", kept " + join(s.kept_globals, ", ")) +
                        "; loaded in " + std::to_string(s.load_ns / 1000) + " us, switched in " +
                        std::to_string(s.switch_ns / 1000) + " us\n");
        }
        json j;
        j["prog"] = prog_json(s.program, dp_.stats_enabled());
        j["carried_maps"] = s.carried_maps;
        j["kept_globals"] = s.kept_globals;
        j["load_ns"] = s.load_ns;
        j["switch_ns"] = s.switch_ns;
        return j;
    }

    Result<json> prog_dump(const Request& r, bool text) {
        XDPDK_RETURN_IF_ERROR(expect_args(r, 2, 2, "prog dump xlated|jited PORT"));
        XDPDK_ASSIGN_OR_RETURN(uint16_t port, parse_port(r.args[1], r.command()));
        XDPDK_ASSIGN_OR_RETURN(std::string dump, dp_.dump_program(port, r.args[0]));
        if (text) return json(dump);
        return json{{"port", port}, {"kind", r.args[0]}, {"text", dump}};
    }

    // As `xdp-loader unload` / `ip link set dev X xdp off`; `prog swap` on
    // the port attaches again.
    Result<json> prog_detach(const Request& r, bool text) {
        XDPDK_RETURN_IF_ERROR(expect_args(r, 1, 1, "prog detach PORT"));
        XDPDK_ASSIGN_OR_RETURN(uint16_t port, parse_port(r.args[0], r.command()));
        XDPDK_RETURN_IF_ERROR(dp_.detach(port));
        if (text) return json("port " + std::to_string(port) + ": program detached\n");
        return json(nullptr);
    }

    Result<json> map_list(const Request& r, bool text) {
        std::vector<MapInfo> maps;
        if (r.args.empty()) {
            maps = dp_.maps();
        } else {
            XDPDK_ASSIGN_OR_RETURN(auto ref, map_ref(r, 0));
            if (ref.second != r.args.size()) return make_error(r.command(), "usage: map list | map show [MAP]");
            XDPDK_ASSIGN_OR_RETURN(MapInfo one, dp_.map_info(ref.first));
            if (text) return json(map_text(one));
            return map_json(one);
        }
        std::string t;
        json a = json::array();
        for (const MapInfo& m : maps) {
            t += map_text(m);
            a.push_back(map_json(m));
        }
        if (text) return json(t);
        return a;
    }

    Result<json> map_dump(const Request& r, bool text) {
        XDPDK_ASSIGN_OR_RETURN(auto ref, map_ref(r, 0));
        if (ref.second != r.args.size()) return make_error(r.command(), "usage: map dump MAP");
        XDPDK_ASSIGN_OR_RETURN(std::string dump, dp_.map_dump(ref.first, !text));
        if (text) return json(dump);
        return json::parse(dump);
    }

    Result<json> map_lookup(const Request& r, bool text) {
        XDPDK_ASSIGN_OR_RETURN(auto ref, map_ref(r, 0));
        XDPDK_ASSIGN_OR_RETURN(MapInfo info, dp_.map_info(ref.first));
        size_t at = ref.second;
        XDPDK_ASSIGN_OR_RETURN(auto key, bytes_after(r, at, "key", info.key_size, {}));
        if (at != r.args.size()) return make_error(r.command(), "unexpected '" + r.args[at] + "'");
        XDPDK_ASSIGN_OR_RETURN(std::string entry, dp_.map_lookup_formatted(ref.first, key, !text));
        if (text) return json(entry);
        return json::parse(entry);
    }

    Result<json> map_update(const Request& r) {
        XDPDK_ASSIGN_OR_RETURN(auto ref, map_ref(r, 0));
        XDPDK_ASSIGN_OR_RETURN(MapInfo info, dp_.map_info(ref.first));
        size_t at = ref.second;
        XDPDK_ASSIGN_OR_RETURN(auto key, bytes_after(r, at, "key", info.key_size, {"value"}));
        std::vector<uint8_t> value;
        const bool map_of_maps = info.type == "array_of_maps" || info.type == "hash_of_maps";
        if (map_of_maps && at + 1 < r.args.size() && r.args[at] == "value" &&
            (r.args[at + 1] == "id" || r.args[at + 1] == "pinned" || r.args[at + 1] == "name")) {
            // bpftool's `value id N | pinned FILE | name NAME`: the map to insert.
            XDPDK_ASSIGN_OR_RETURN(auto inner_ref, map_ref(r, at + 1));
            XDPDK_ASSIGN_OR_RETURN(MapInfo inner, dp_.map_info(inner_ref.first));
            at += 1 + inner_ref.second;
            value.assign(reinterpret_cast<const uint8_t*>(&inner.id), reinterpret_cast<const uint8_t*>(&inner.id) + 4);
        } else {
            XDPDK_ASSIGN_OR_RETURN(value,
                                   bytes_after(r, at, "value", info.user_value_size, {"any", "exist", "noexist"}));
        }
        uint64_t flags = 0;
        if (at < r.args.size()) {
            const std::string& f = r.args[at++];
            flags = f == "any" ? 0 : f == "noexist" ? 1 : 2;
        }
        if (at != r.args.size()) return make_error(r.command(), "unexpected '" + r.args[at] + "'");
        XDPDK_RETURN_IF_ERROR(dp_.map_update(ref.first, key, value, flags));
        return json(nullptr);
    }

    Result<json> map_delete(const Request& r) {
        XDPDK_ASSIGN_OR_RETURN(auto ref, map_ref(r, 0));
        XDPDK_ASSIGN_OR_RETURN(MapInfo info, dp_.map_info(ref.first));
        size_t at = ref.second;
        XDPDK_ASSIGN_OR_RETURN(auto key, bytes_after(r, at, "key", info.key_size, {}));
        XDPDK_RETURN_IF_ERROR(dp_.map_delete(ref.first, key));
        return json(nullptr);
    }

    Dataplane& dp_;
};

}  // namespace

Handler dataplane_handler(Dataplane& dp) { return Commands(dp); }

}  // namespace xdpdk::control
