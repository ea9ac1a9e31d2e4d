#include "path_log.h"

#include <algorithm>

#include "text.h"

namespace xdpdk::vm::verifier {

std::string PathLog::str(uint32_t last, size_t max_steps) const {
    std::vector<const Node*> steps;
    for (uint32_t i = last; i != kRoot; i = nodes_[i].prev) steps.push_back(&nodes_[i]);
    std::reverse(steps.begin(), steps.end());
    std::string out;
    size_t first = 0;
    if (steps.size() > max_steps) {
        first = steps.size() - max_steps;
        out = cat("... ", first, " earlier decisions, ");
    }
    for (size_t i = first; i < steps.size(); ++i) {
        if (i > first) out += ", ";
        out += cat(steps[i]->from, "->", steps[i]->to);
    }
    return out.empty() ? "straight from insn 0" : out;
}

}  // namespace xdpdk::vm::verifier
