// Helpers that call back into the program: bpf_loop and
// bpf_for_each_map_elem, with the kernel's run-time checks and return values
// (kernel/bpf/bpf_iter.c, the maps' map_for_each_callback).
#include <cerrno>

#include "callback.h"
#include "helper_impl.h"
#include "interpreter.h"
#include "map.h"

namespace xdpdk::vm {
namespace {

constexpr uint64_t kMaxLoops = uint64_t{1} << 23;  // BPF_MAX_LOOPS

uint64_t neg(int err) { return static_cast<uint64_t>(-static_cast<int64_t>(err)); }

struct ElemCall {
    const Callback* cb;
    uint64_t map;
    uint64_t ctx;
    ExecContext* ex;
};

uint64_t visit_elem(const void* key, void* value, void* arg) {
    const auto* c = static_cast<const ElemCall*>(arg);
    const uint64_t ret = call_callback(*c->cb, c->map, reinterpret_cast<uint64_t>(key),
                                       reinterpret_cast<uint64_t>(value), c->ctx, 0, c->ex);
    // A fault inside the callback stops the walk as well as the run.
    return ret != 0 || c->ex->fault != nullptr;
}

}  // namespace

uint64_t call_callback(const Callback& cb, uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                       ExecContext* ex) {
    if (cb.prog->jit) return cb.prog->jit->callback_entry(cb.index)(r1, r2, r3, r4, r5, ex);
    return interpret_at(*cb.prog, cb.start, {r1, r2, r3, r4, r5}, *ex);
}

// bpf_loop(nr_loops, callback, ctx, flags): the number of calls made.
XDPDK_HELPER(helper_loop) {
    (void)r5;
    if (r4 != 0) return neg(EINVAL);
    const uint64_t n = static_cast<uint32_t>(r1);
    if (n > kMaxLoops) return neg(E2BIG);
    const auto* cb = reinterpret_cast<const Callback*>(r2);
    for (uint64_t i = 0; i < n; ++i) {
        // Callback returns: 0 go on, 1 stop (the verifier allows nothing else).
        if (call_callback(*cb, i, r3, 0, 0, 0, ex) != 0) return i + 1;
        if (ex->fault != nullptr) [[unlikely]] return 0;
    }
    return n;
}

// bpf_for_each_map_elem(map, callback, ctx, flags): the number of elements
// the callback was called for.
XDPDK_HELPER(helper_for_each_map_elem) {
    (void)r5;
    if (r4 != 0) return neg(EINVAL);
    auto* map = reinterpret_cast<Map*>(r1);
    ElemCall call{reinterpret_cast<const Callback*>(r2), r1, r3, ex};
    return static_cast<uint64_t>(map->for_each_elem(ex->cpu, visit_elem, &call));
}

}  // namespace xdpdk::vm
