#include "spec_source.h"

#include "vm/xdp.h"

namespace xdpdk::loader {

static_assert(kFilterDefaultMatch == vm::XDP_PASS && kFilterDefaultNoMatch == vm::XDP_DROP,
              "the public defaults are the kernel's XDP_PASS and XDP_DROP");
static_assert(vm::cbpf::Verdicts{}.match == kFilterDefaultMatch &&
              vm::cbpf::Verdicts{}.no_match == kFilterDefaultNoMatch);

bool names_filter(const ProgramSpec& spec) { return spec.filter.has_value() || !spec.filter_ddd.empty(); }

void set_filter(ProgramSpec& spec, const FilterSource& filter) {
    spec.filter.reset();
    spec.filter_ddd.clear();
    if (filter.kind == FilterSource::Kind::expression) spec.filter = filter.expression;
    else spec.filter_ddd = filter.ddd_path;
    spec.filter_match = filter.verdicts.match;
    spec.filter_no_match = filter.verdicts.no_match;
}

Result<ProgramSource> program_source(const ProgramSpec& spec, const std::string& subject) {
    ProgramSource source;
    if (!names_filter(spec)) {
        if (spec.object_path.empty()) return make_error(subject, "no object file and no filter to load");
        source.object_path = spec.object_path;
        return source;
    }
    if (spec.filter && !spec.filter_ddd.empty())
        return make_error(subject, "a filter expression and a -ddd file: give one");
    if (!spec.object_path.empty())
        return make_error(subject, "a filter takes the place of an object file; got '" + spec.object_path + "' too");
    if (!spec.globals.empty()) return make_error(subject, "a filter has no global variables to set (--set)");
    if (!spec.map_sizes.empty()) return make_error(subject, "a filter has no maps to size (--map-size)");
    if (!spec.maps_json.empty()) return make_error(subject, "a filter has no maps to fill (--maps-in)");
    if (!spec.program.empty() && spec.program != kFilterProgramName)
        return make_error(subject, std::string("a filter's one program is '") + kFilterProgramName + "', not '" +
                                       spec.program + "' (--prog)");
    if (!spec.also_load.empty()) return make_error(subject, "a filter has one program");
    FilterSource f;
    f.kind = spec.filter ? FilterSource::Kind::expression : FilterSource::Kind::ddd_file;
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

}  // namespace xdpdk::loader
