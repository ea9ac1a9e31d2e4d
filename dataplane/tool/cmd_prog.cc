// `xdpdk prog dump xlated|jited PROG.o`: what a loaded program became, as
// `bpftool prog dump` shows it: the eBPF after load-time rewriting, or the
// JIT's machine code grouped by eBPF instruction; `xdpdk prog verify PROG.o
// [--prog NAME] [-v]`: the verifier's verdict, and its per-instruction log.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "dataplane/loader/global_set.h"
#include "load_args.h"
#include "dataplane/inspect/prog_dump.h"
#include "dataplane/loader/program_source.h"
#include "filter_args.h"
#include "prog_show.h"
#include "vm/object.h"

namespace xdpdk::cli {

using inspect::dump_header;
using inspect::format_jited;
using inspect::format_xlated;
using inspect::JitedCode;
using inspect::JitedDumpOptions;
using inspect::XlatedDumpOptions;
namespace {

enum class DumpKind { Xlated, Jited };

struct DumpOptions {
    std::string object_path;
    FilterArgs filter;
    loader::ProgramSource source;
    std::string prog;
    LoadArgs load;
    bool opcodes = false;
    bool linum = false;
};

// The named program, or every XDP program of the object in section order.
Result<std::vector<const vm::Program*>> chosen_programs(const vm::Object& obj, const std::string& name) {
    if (!name.empty()) {
        XDPDK_ASSIGN_OR_RETURN(const vm::Program* prog, obj.find_program(name));
        return std::vector<const vm::Program*>{prog};
    }
    std::vector<const vm::Program*> progs;
    for (const auto& p : obj.programs())
        if (p->type == vm::ProgType::Xdp) progs.push_back(p.get());
    if (progs.empty()) return obj.default_xdp_program().error();
    return progs;
}

Result<JitedCode> jited_code(const vm::Program& prog) {
    if (!prog.jit) return make_error("prog '" + prog.name + "'", "has no machine code");
    return JitedCode{{prog.jit->code(), prog.jit->code_size()}, prog.jit->insn_offsets()};
}

Result<std::string> dump_program(const vm::Program& prog, DumpKind kind, const DumpOptions& o) {
    std::string out = dump_header(prog) + "\n";
    if (kind == DumpKind::Xlated) return out + format_xlated(prog, XlatedDumpOptions{o.linum});
    XDPDK_ASSIGN_OR_RETURN(JitedCode code, jited_code(prog));
    XDPDK_ASSIGN_OR_RETURN(std::string text, format_jited(prog, code, JitedDumpOptions{o.opcodes}));
    return out + text;
}

// The object opened with the load options, and the programs to show: the
// one named (loaded alone, as a loader attaching it would) or every XDP
// program. Which they are is known before load, so a missing, ambiguous or
// non-XDP --prog, or an object without XDP programs, fails before a verdict
// that could read as a pass.
struct Chosen {
    std::unique_ptr<vm::Object> obj;
    std::vector<const vm::Program*> progs;
    Status loaded;
};

Result<Chosen> open_and_load(const loader::ProgramSource& source, vm::ObjectOptions options, const LoadArgs& load,
                             const std::string& prog) {
    XDPDK_RETURN_IF_ERROR(apply_load_args(load, options));
    Chosen c;
    XDPDK_ASSIGN_OR_RETURN(c.obj, loader::open_program_source(source, options));
    XDPDK_RETURN_IF_ERROR(loader::apply_global_assignments(*c.obj, load.sets));
    XDPDK_ASSIGN_OR_RETURN(c.progs, chosen_programs(*c.obj, prog));
    if (!prog.empty()) XDPDK_RETURN_IF_ERROR(c.obj->load_only({c.progs.front()}));
    c.loaded = c.obj->load();
    return c;
}

Status dump(const DumpOptions& o, DumpKind kind) {
    // Only jited needs the JIT; xlated works for programs it refuses too.
    vm::ObjectOptions options;
    options.engine = kind == DumpKind::Jited ? vm::EngineKind::Jit : vm::EngineKind::Interp;
    XDPDK_ASSIGN_OR_RETURN(Chosen c, open_and_load(o.source, options, o.load, o.prog));
    XDPDK_RETURN_IF_ERROR(c.loaded);
    const auto& progs = c.progs;
    // Everything is formatted before anything is printed, so a failure leaves
    // no partial dump on stdout.
    std::string out;
    for (const vm::Program* prog : progs) {
        if (!out.empty()) out += "\n";
        XDPDK_ASSIGN_OR_RETURN(std::string text, dump_program(*prog, kind, o));
        out += text;
    }
    std::fputs(out.c_str(), stdout);
    return {};
}

struct VerifyOptions {
    std::string object_path;
    FilterArgs filter;
    loader::ProgramSource source;
    std::string prog;
    LoadArgs load;
    bool verbose = false;
};

// `prog verify PROG.o [--prog NAME] [-v]`: the verifier's verdict on every XDP
// program (or the one named), with the object prepared as replay prepares it.
Status verify_object(const VerifyOptions& o) {
    vm::ObjectOptions options;
    options.engine = vm::EngineKind::Interp;
    std::string log;
    options.verifier_log = &log;
    options.verifier_log_insns = o.verbose;
    XDPDK_ASSIGN_OR_RETURN(Chosen c, open_and_load(o.source, options, o.load, o.prog));
    std::fputs(log.c_str(), stdout);
    if (!c.loaded) {
        std::printf("refused: %s\n", c.loaded.error().str().c_str());
        return make_error(o.source.label(), "refused by the verifier");
    }
    return {};
}

void add_dump_kind(CLI::App& dump_cmd, const char* name, DumpKind kind, const char* description, int& exit_code) {
    auto opts = std::make_shared<DumpOptions>();
    CLI::App* cmd = dump_cmd.add_subcommand(name, description);
    cmd->add_option("PROG", opts->object_path, "BPF object file built with clang -target bpf (none with --filter)");
    cmd->add_option("--prog", opts->prog, "program by function or section name (default: every XDP program)");
    add_load_options(*cmd, opts->load);
    add_filter_options(*cmd, opts->filter);
    if (kind == DumpKind::Jited) cmd->add_flag("--opcodes", opts->opcodes, "show the bytes of each instruction");
    if (kind == DumpKind::Xlated)
        cmd->add_flag("--linum", opts->linum, "file, line and column after each source line (bpftool's linum)");
    cmd->callback([opts, kind, &exit_code] {
        auto source = choose_program_source(opts->object_path, opts->filter, {&opts->load, nullptr, &opts->prog});
        if (!source) {
            exit_code = usage_fail(source.error().str());
            return;
        }
        opts->source = std::move(*source);
        auto st = dump(*opts, kind);
        exit_code = st ? 0 : fail(st.error().str());
    });
}

}  // namespace

void add_prog_command(CLI::App& app, int& exit_code) {
    CLI::App* prog = app.add_subcommand("prog", "Inspect the programs of a BPF object");
    prog->require_subcommand(1);
    CLI::App* dump_cmd = prog->add_subcommand("dump", "Show a program as loaded");
    dump_cmd->require_subcommand(1);
    add_dump_kind(*dump_cmd, "xlated", DumpKind::Xlated, "the eBPF instructions after load-time rewriting", exit_code);
    add_dump_kind(*dump_cmd, "jited", DumpKind::Jited, "the JIT's machine code, by eBPF instruction", exit_code);
    add_prog_show_command(*prog, exit_code);
    CLI::App* verify_cmd = prog->add_subcommand("verify", "Run the verifier on every XDP program: accepted or refused, and why");
    auto vopts = std::make_shared<VerifyOptions>();
    verify_cmd->add_option("PROG", vopts->object_path,
                           "BPF object file built with clang -target bpf (none with --filter)");
    verify_cmd->add_option("--prog", vopts->prog, "program by function or section name (default: every XDP program)");
    add_load_options(*verify_cmd, vopts->load);
    add_filter_options(*verify_cmd, vopts->filter);
    verify_cmd->add_flag("-v,--verbose", vopts->verbose, "print each processed instruction with the verifier's state");
    verify_cmd->callback([vopts, &exit_code] {
        auto source = choose_program_source(vopts->object_path, vopts->filter, {&vopts->load, nullptr, &vopts->prog});
        if (!source) {
            exit_code = usage_fail(source.error().str());
            return;
        }
        vopts->source = std::move(*source);
        auto st = verify_object(*vopts);
        exit_code = st ? 0 : fail(st.error().str());
    });
}

}  // namespace xdpdk::cli
