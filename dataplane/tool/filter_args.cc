#include "filter_args.h"

#include <cstdio>

#include "dataplane/loader/spec_source.h"

namespace xdpdk::cli {

void add_filter_options(CLI::App& cmd, FilterArgs& args) {
    auto* expr = cmd.add_option("--filter", args.expression,
                                "EXPR: a tcpdump filter instead of PROG.o, compiled by libpcap and run as an XDP "
                                "program");
    auto* ddd = cmd.add_option("--filter-ddd", args.ddd_path,
                               "FILE: classic BPF in `tcpdump -ddd` form instead of PROG.o");
    expr->excludes(ddd);
    cmd.add_option("--filter-action", args.action,
                   "MATCH[,NOMATCH]: the verdicts of a filter's packets (pass, drop, tx, aborted; default pass,drop)");
}

Result<loader::ProgramSource> choose_program_source(const std::string& object_path, const FilterArgs& filter,
                                                    const ObjectOnlyOptions& object_only) {
    loader::ProgramSource source;
    if (!filter.given()) {
        if (!filter.action.empty())
            return make_error("--filter-action", "applies to a filter: give --filter EXPR or --filter-ddd FILE");
        if (object_path.empty()) return make_error("PROG", "give an object file, --filter EXPR or --filter-ddd FILE");
        source.object_path = object_path;
        return source;
    }
    // The rules of a filter are the loader's (spec_source.h), as the
    // runtime, run and ctl swap check them; only the subject is ours.
    const std::string option = filter.expression ? "--filter" : "--filter-ddd";
    loader::FilterSource f;
    f.kind = filter.expression ? loader::FilterSource::Kind::expression : loader::FilterSource::Kind::ddd_file;
    f.expression = filter.expression.value_or("");
    f.ddd_path = filter.ddd_path;
    if (!filter.action.empty()) {
        XDPDK_ASSIGN_OR_RETURN(f.verdicts, loader::parse_filter_action(filter.action));
    }
    ProgramSpec spec;
    loader::set_filter(spec, f);
    spec.object_path = object_path;
    if (object_only.load) {
        spec.globals = object_only.load->sets;
        spec.map_sizes = object_only.load->map_sizes;
    }
    if (object_only.maps_in) spec.maps_json = *object_only.maps_in;
    if (object_only.prog) spec.program = *object_only.prog;
    return loader::program_source(spec, option);
}

int usage_fail(const std::string& message) {
    std::fprintf(stderr, "xdpdk: %s\n", message.c_str());
    return 2;
}

}  // namespace xdpdk::cli
