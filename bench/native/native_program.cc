#include "native_program.h"

#include <string>

#include "native_samples.h"

namespace xdpdk::bench::native {

Result<std::unique_ptr<NativeProgram>> make_native(std::string_view program, vm::Object& obj) {
    using Factory = Result<std::unique_ptr<NativeProgram>> (*)(vm::Object&);
    struct Entry {
        std::string_view program;
        Factory make;
    };
    static constexpr Entry kPrograms[] = {
        {"xdp_pass_all", make_pass},
        {"xdp_drop_all", make_drop},
        {"xdp_mac_swap", make_mac_swap},
        {"xdp_count_protocols", make_pkt_counter},
        {"xdp_firewall", make_firewall},
        {"xdp_load_balancer", make_load_balancer},
        {"xdp_redirect_ports", make_redirect},
        {"xdp_pipeline_entry", make_tail_calls},
        {"xdp_tap", make_meta_tail},
        {"xdp_configured", make_global_config},
    };
    for (const auto& e : kPrograms)
        if (e.program == program) return e.make(obj);
    return make_error("native '" + std::string(program) + "'", "no hand-written counterpart of this program");
}

}  // namespace xdpdk::bench::native
