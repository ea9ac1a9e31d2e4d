#include "test_verifier_case.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <sstream>

#include "data_file.h"
#include "test_support.h"
#include "vm/assembler.h"
#include "vm/program.h"
#include "vm/verifier/verifier.h"

namespace xdpdk::test {
namespace {

constexpr uint64_t kMapTag = 0x5eed000000000000ull, kValueTag = 0x5eed000100000000ull;


// The kernel's type names, as vm::map_type_name spells them.
std::optional<uint32_t> map_type_by_name(std::string_view n) {
    for (uint32_t t = 1; t < 64; ++t)
        if (n == vm::map_type_name(t)) return t;
    return std::nullopt;
}

std::optional<uint64_t> parse_u64(std::string_view s) {
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2), base = 16;
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::string hex(uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(v));
    return buf;
}

// map[NAME] and map_value[NAME+OFF] become tagged constants the assembler
// reads; the tags are found again after assembly.
Result<std::string> substitute_map_refs(const std::string& subject, std::string text,
                                        const std::vector<CaseMap>& maps) {
    for (const char* kind : {"map_value[", "map["}) {
        size_t pos;
        while ((pos = text.find(kind)) != std::string::npos) {
            const size_t open = pos + std::string_view(kind).size();
            const size_t close = text.find(']', open);
            if (close == std::string::npos) return make_error(subject, "unterminated " + std::string(kind));
            std::string ref = text.substr(open, close - open);
            uint64_t off = 0;
            if (const size_t plus = ref.find('+'); plus != std::string::npos) {
                auto o = parse_u64(trim_data(std::string_view(ref).substr(plus + 1)));
                if (!o || *o > 0xffff) return make_error(subject, "bad map value offset in '" + ref + "'");
                off = *o;
                ref = std::string(trim_data(std::string_view(ref).substr(0, plus)));
            }
            size_t idx = maps.size();
            for (size_t i = 0; i < maps.size(); ++i)
                if (maps[i].spec.name == ref) idx = i;
            if (idx == maps.size()) return make_error(subject, "no map named '" + ref + "'");
            const bool value = std::string_view(kind) == "map_value[";
            const uint64_t tag = value ? kValueTag | (idx << 16) | off : kMapTag | idx;
            text.replace(pos, close + 1 - pos, hex(tag));
        }
    }
    return text;
}

}  // namespace

Result<VerifierCase> parse_verifier_case(std::string name, std::string_view text) {
    const std::string subject = "verifier case '" + name + "'";
    VerifierCase c;
    c.name = std::move(name);
    XDPDK_ASSIGN_OR_RETURN(DataFile file,
                           split_data_file(subject, text, {"asm", "error", "accept", "maps", "type", "kernel", "privileged", "unprivileged"}));
    std::string error_text, kernel_text, priv_text, unpriv_text;
    const bool seen_asm = file.has_asm, seen_error = file.lines("error") != nullptr;
    c.accept = file.lines("accept") != nullptr;
    for (const auto& [section, lines] : file.sections) {
        for (std::string_view line : lines) {
            const std::string_view t = trim_data(line);
            if (t.empty() || t.starts_with("#")) continue;
            if (section == "maps") {
                std::istringstream in{std::string(t)};
                std::string mname, type, ks, vs, me, flags = "0", inner;
                in >> mname >> type >> ks >> vs >> me >> flags >> inner;
                auto mt = map_type_by_name(type);
                auto k = parse_u64(ks), v = parse_u64(vs), m = parse_u64(me), f = parse_u64(flags);
                if (!mt || !k || !v || !m || !f) return make_error(subject, "bad map line '" + std::string(t) + "'");
                CaseMap cm{vm::MapSpec{mname, *mt, uint32_t(*k), uint32_t(*v), uint32_t(*m), uint32_t(*f)}};
                if (!inner.empty()) {
                    if (!inner.starts_with("inner=")) return make_error(subject, "bad map line '" + std::string(t) + "'");
                    for (size_t i = 0; i < c.maps.size(); ++i)
                        if (c.maps[i].spec.name == inner.substr(6)) cm.inner = static_cast<int>(i);
                    if (cm.inner < 0) return make_error(subject, "no earlier map '" + inner.substr(6) + "'");
                }
                c.maps.push_back(std::move(cm));
            } else if (section == "type") {
                if (t == "xdp") continue;
                if (!t.starts_with("raw ")) return make_error(subject, "type is 'xdp' or 'raw N'");
                auto n = parse_u64(trim_data(t.substr(4)));
                if (!n) return make_error(subject, "bad raw memory size");
                c.raw = true;
                c.raw_mem_size = *n;
            } else if (section == "error") {
                error_text = std::string(t);
            } else if (section == "kernel") {
                kernel_text = std::string(t);
            } else if (section == "privileged") {
                priv_text = std::string(t);
            } else if (section == "unprivileged") {
                unpriv_text = std::string(t);
            } else {
                return make_error(subject, "text outside a section: '" + std::string(line) + "'");
            }
        }
    }
    if (!seen_asm) return make_error(subject, "no '-- asm' section");
    if (seen_error == c.accept) return make_error(subject, "needs exactly one of '-- error' and '-- accept'");
    auto parse_error = [&](const std::string& text, const char* section, CaseExpect& e) -> Status {
        if (text.empty()) return make_error(subject, std::string("empty '-- ") + section + "'");
        if (text.starts_with("insn ")) {
            const size_t colon = text.find(':');
            auto n = parse_u64(text.substr(5, colon - 5));
            if (colon == std::string::npos || !n) return make_error(subject, std::string("bad 'insn N:' in -- ") + section);
            e.error_insn = static_cast<int64_t>(*n);
            e.error = std::string(trim_data(std::string_view(text).substr(colon + 1)));
        } else {
            e.error = text;
        }
        return {};
    };
    if (seen_error) {
        CaseExpect e;
        XDPDK_RETURN_IF_ERROR(parse_error(error_text, "error", e));
        c.error_insn = e.error_insn;
        c.error = e.error;
    }
    c.privileged = c.strict_expect();
    if (file.lines("privileged")) {
        c.privileged = CaseExpect{};
        if (priv_text == "accept") c.privileged.accept = true;
        else XDPDK_RETURN_IF_ERROR(parse_error(priv_text, "privileged", c.privileged));
    }
    auto parse_differs = [&](const std::string& text, const char* section, std::string& verdict,
                             std::string& reason) -> Status {
        if (text.empty()) return {};
        const size_t colon = text.find(':');
        verdict = std::string(trim_data(std::string_view(text).substr(0, colon)));
        if (colon == std::string::npos || (verdict != "accepts" && verdict != "refuses"))
            return make_error(subject, std::string("-- ") + section + " is 'accepts: why' or 'refuses: why'");
        reason = std::string(trim_data(std::string_view(text).substr(colon + 1)));
        return {};
    };
    XDPDK_RETURN_IF_ERROR(parse_differs(kernel_text, "kernel", c.kernel_verdict, c.kernel_reason));
    XDPDK_RETURN_IF_ERROR(parse_differs(unpriv_text, "unprivileged", c.unpriv_verdict, c.unpriv_reason));
    XDPDK_ASSIGN_OR_RETURN(std::string source, substitute_map_refs(subject, file.asm_text, c.maps));
    auto program = vm::assemble(source);
    if (!program) return make_error(subject, program.error().str());
    c.program = std::move(program).value();
    for (size_t i = 0; i + 1 < c.program.size(); ++i) {
        const vm::RawInsn& a = c.program[i];
        if (a.code != 0x18) continue;
        const uint64_t v = uint64_t(uint32_t(a.imm)) | (uint64_t(uint32_t(c.program[i + 1].imm)) << 32);
        if ((v & 0xffffffff00000000ull) == kMapTag) c.map_refs.push_back({uint32_t(i), size_t(v & 0xffff), false, 0});
        if ((v & 0xffffffff00000000ull) == kValueTag)
            c.map_refs.push_back({uint32_t(i), size_t((v >> 16) & 0xffff), true, uint32_t(v & 0xffff)});
        ++i;
    }
    return c;
}

Result<VerifierCase> load_verifier_case(const std::string& path) {
    return parse_verifier_case(std::filesystem::path(path).stem().string(), read_file(path));
}

std::vector<std::string> list_verifier_cases(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".data") out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

CaseVerdict run_verifier_case(const VerifierCase& c, bool strict) {
    CaseVerdict v;
    std::vector<std::shared_ptr<vm::Map>> maps;
    for (const CaseMap& m : c.maps) {
        auto map = vm::create_map(m.spec, 1, m.inner >= 0 ? maps[m.inner] : nullptr);
        if (!map) {
            v.error = map.error();
            return v;
        }
        maps.push_back(std::move(map).value());
    }
    std::vector<vm::RawInsn> insns = c.program;
    std::vector<vm::LddwOrigin> origins;
    for (const CaseMapRef& r : c.map_refs) {
        const uint64_t addr = reinterpret_cast<uintptr_t>(maps[r.map].get());
        insns[r.insn].imm = static_cast<int32_t>(uint32_t(addr));
        insns[r.insn + 1].imm = static_cast<int32_t>(uint32_t(addr >> 32));
        origins.push_back(vm::LddwOrigin{r.insn, maps[r.map].get(), r.offset, r.value});
    }
    auto prog = vm::make_program("prog '" + c.name + "'", std::move(insns), c.raw ? vm::ProgType::Raw : vm::ProgType::Xdp);
    if (!prog) {
        v.error = prog.error();
        return v;
    }
    (*prog)->lddw_origins = std::move(origins);
    vm::VerifyEnv env;
    env.type = c.raw ? vm::ProgType::Raw : vm::ProgType::Xdp;
    env.mem_size = c.raw_mem_size;
    env.strict = strict;
    auto info = vm::verify(**prog, env);
    if (!info) {
        v.error = info.error();
        return v;
    }
    v.accepted = true;
    return v;
}

}  // namespace xdpdk::test
