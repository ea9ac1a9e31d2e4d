// `xdpdk exec [MEM] [--engine interp|jit]`: one raw eBPF program, run once,
// in the form runtime-neutral conformance suites (bpf_conformance's plugin
// interface) use. The program comes on stdin as hex bytes; MEM, one argument
// in the same form, is copied to writable memory that r1 points to (r2 holds
// its length; without MEM both are 0). On success r0 is printed in hex on
// stdout; a load or run failure prints its reason on stdout and exits 1.
// The program is verified first (r1 = MEM of r2 bytes, or NULL), with RFC
// 9669's semantics for division by zero and out-of-range shifts.
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "vm/engine.h"
#include "vm/hex_bytes.h"
#include "vm/program.h"
#include "vm/verifier/verifier.h"

namespace xdpdk::cli {
namespace {

struct ExecOptions {
    std::string mem_hex;
    std::string engine = "jit";
};

Result<uint64_t> run_engine(vm::EngineKind engine, vm::Program& prog, std::vector<uint8_t>& mem) {
    if (engine == vm::EngineKind::Jit) XDPDK_RETURN_IF_ERROR(vm::jit_compile(prog));
    vm::ExecContext ex;
    const uint64_t r0 = vm::run_raw(prog, mem.empty() ? nullptr : mem.data(), mem.size(), ex);
    if (ex.fault) return make_error(prog.name, ex.fault);
    return r0;
}

Result<uint64_t> exec(const ExecOptions& opts, const std::string& program_hex) {
    XDPDK_ASSIGN_OR_RETURN(vm::EngineKind engine, vm::parse_engine(opts.engine));
    auto insns = vm::parse_hex_program(program_hex);
    if (!insns) return make_error("program on stdin", insns.error().reason);
    auto mem = vm::parse_hex_bytes(opts.mem_hex);
    if (!mem) return make_error("MEM", mem.error().reason);
    XDPDK_ASSIGN_OR_RETURN(auto prog, vm::make_program("prog 'exec'", std::move(insns).value()));
    vm::VerifyEnv env;
    env.type = vm::ProgType::Raw;
    env.mem_size = mem->size();
    XDPDK_RETURN_IF_ERROR(vm::verify(*prog, env));
    return run_engine(engine, *prog, *mem);
}

}  // namespace

void add_exec_command(CLI::App& app, int& exit_code) {
    auto opts = std::make_shared<ExecOptions>();
    CLI::App* cmd = app.add_subcommand(
        "exec", "Run one raw eBPF program read as hex bytes from stdin; print r0 in hex");
    cmd->add_option("MEM", opts->mem_hex, "memory for r1 as hex bytes, e.g. \"00 01 02 03\" (r2 = its length)");
    cmd->add_option("--engine", opts->engine, "jit (machine code) or interp")->capture_default_str();
    cmd->callback([opts, &exit_code] {
        const std::string program_hex{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
        auto r0 = exec(*opts, program_hex);
        if (!r0) {
            // Conformance runners read the reason from stdout.
            std::printf("%s\n", r0.error().str().c_str());
            exit_code = 1;
            return;
        }
        std::printf("%" PRIx64 "\n", r0.value());
        exit_code = 0;
    });
}

}  // namespace xdpdk::cli
