#include "filter_args.h"

#include <cstdio>

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
    const std::string option = filter.expression ? "--filter" : "--filter-ddd";
    if (!object_path.empty())
        return make_error(option, "takes the place of an object file; got '" + object_path + "' too");
    if (object_only.load && !object_only.load->sets.empty())
        return make_error(option, "a filter has no global variables to --set");
    if (object_only.load && !object_only.load->map_sizes.empty())
        return make_error(option, "a filter has no maps to --map-size");
    if (object_only.maps_in && !object_only.maps_in->empty())
        return make_error(option, "a filter has no maps to fill with --maps-in");
    if (object_only.prog && !object_only.prog->empty() && *object_only.prog != loader::kFilterProgramName)
        return make_error(option, std::string("a filter's one program is '") + loader::kFilterProgramName +
                                      "'; --prog '" + *object_only.prog + "' names another");
    loader::FilterSource f;
    f.expression = filter.expression.value_or("");
    f.ddd_path = filter.ddd_path;
    if (!filter.action.empty()) {
        XDPDK_ASSIGN_OR_RETURN(f.verdicts, loader::parse_filter_action(filter.action));
    }
    source.filter = std::move(f);
    return source;
}

int usage_fail(const std::string& message) {
    std::fprintf(stderr, "xdpdk: %s\n", message.c_str());
    return 2;
}

}  // namespace xdpdk::cli
