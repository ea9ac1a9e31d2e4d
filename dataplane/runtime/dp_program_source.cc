#include "dp_program_source.h"

namespace xdpdk::dataplane {

namespace {

bool names_filter(const ProgramSpec& spec) { return spec.filter.has_value() || !spec.filter_ddd.empty(); }

}  // namespace

Result<loader::ProgramSource> program_source(const ProgramSpec& spec, const std::string& subject) {
    loader::ProgramSource source;
    if (!names_filter(spec)) {
        if (spec.object_path.empty()) return make_error(subject, "no object file and no filter to load");
        source.object_path = spec.object_path;
        return source;
    }
    if (spec.filter && !spec.filter_ddd.empty())
        return make_error(subject, "a filter expression and a -ddd file: give one");
    if (!spec.object_path.empty())
        return make_error(subject, "a filter takes the place of an object file; got '" + spec.object_path + "' too");
    if (!spec.globals.empty()) return make_error(subject, "a filter has no global variables to set");
    if (!spec.map_sizes.empty() || !spec.maps_json.empty()) return make_error(subject, "a filter has no maps");
    if (!spec.program.empty() && spec.program != loader::kFilterProgramName)
        return make_error(subject, std::string("a filter's one program is '") + loader::kFilterProgramName +
                                       "', not '" + spec.program + "'");
    if (!spec.also_load.empty()) return make_error(subject, "a filter has one program");
    loader::FilterSource f;
    f.expression = spec.filter.value_or("");
    f.ddd_path = spec.filter_ddd;
    f.verdicts.match = spec.filter_match;
    f.verdicts.no_match = spec.filter_no_match;
    source.filter = std::move(f);
    return source;
}

std::string program_label(const ProgramSpec& spec) {
    auto source = program_source(spec, "");
    return source ? source->label() : spec.object_path;
}

}  // namespace xdpdk::dataplane
