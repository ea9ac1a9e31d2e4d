// The branch decisions that led a path to where it is, shared between paths
// forked from a common prefix: each decision points to the one before it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xdpdk::vm::verifier {

class PathLog {
public:
    static constexpr uint32_t kRoot = UINT32_MAX;

    // A decision at `from` (a branch or call) that continued at `to`, after `prev`.
    uint32_t add(uint32_t prev, uint32_t from, uint32_t to) {
        nodes_.push_back(Node{prev, from, to});
        return static_cast<uint32_t>(nodes_.size() - 1);
    }

    // "0 -> 3 -> 9 -> 12": the instructions where the path changed course,
    // each followed by where it went, oldest first; the last `max_steps` only.
    std::string str(uint32_t last, size_t max_steps = 64) const;

private:
    struct Node {
        uint32_t prev, from, to;
    };
    std::vector<Node> nodes_;
};

}  // namespace xdpdk::vm::verifier
