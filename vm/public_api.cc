// The public facade (include/xdpdk/xdpdk.h) over the VM's object, engine and
// packet frame.
#include <cerrno>

#include "engine.h"
#include "object.h"
#include "packet.h"
#include "xdpdk/xdpdk.h"

namespace xdpdk {

struct XdpProgram::Impl {
    std::unique_ptr<vm::Object> object;
    vm::Program* program = nullptr;
    vm::ExecContext ex;
};

XdpProgram::XdpProgram(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
XdpProgram::~XdpProgram() = default;

std::unique_ptr<XdpProgram> XdpProgram::load(const std::string& object_path, const LoadOptions& options,
                                             std::string* error) {
    auto fail = [&](const Error& e) -> std::unique_ptr<XdpProgram> {
        if (error) *error = e.str();
        return nullptr;
    };
    vm::ObjectOptions opts;
    opts.ncpus = options.ncpus;
    if (!options.engine.empty()) {
        auto engine = vm::parse_engine(options.engine);
        if (!engine) return fail(engine.error());
        opts.engine = engine.value();
    }
    auto object = vm::Object::open(object_path, opts);
    if (!object) return fail(object.error());
    if (auto st = (*object)->load(); !st) return fail(st.error());
    auto prog = options.program.empty() ? (*object)->default_xdp_program()
                                        : (*object)->find_program(options.program);
    if (!prog) return fail(prog.error());
    auto impl = std::make_unique<Impl>();
    impl->object = std::move(object).value();
    impl->program = prog.value();
    return std::unique_ptr<XdpProgram>(new XdpProgram(std::move(impl)));
}

const std::string& XdpProgram::name() const { return impl_->program->name; }

PacketResult XdpProgram::run(std::span<const uint8_t> packet, uint32_t ingress_ifindex, uint32_t rx_queue,
                             uint32_t cpu) {
    vm::PacketFrame frame(packet, ingress_ifindex, rx_queue);
    impl_->ex.cpu = cpu;
    PacketResult r;
    r.retval = vm::run_xdp(*impl_->program, frame.xdp(), impl_->ex);
    r.action = r.retval <= vm::XDP_REDIRECT ? static_cast<uint32_t>(r.retval) : vm::XDP_ABORTED;
    auto data = frame.data();
    r.packet.assign(data.begin(), data.end());
    if (r.action == vm::XDP_REDIRECT) r.redirect_ifindex = impl_->ex.redirect.ifindex;
    return r;
}

long XdpProgram::map_lookup(const std::string& map, std::span<const uint8_t> key,
                            std::vector<uint8_t>* value) const {
    vm::Map* m = impl_->object->find_map(map);
    if (m == nullptr) return -ENOENT;
    if (key.size() != m->spec().key_size) return -EINVAL;
    value->resize(m->user_value_size());
    return m->user_lookup(key.data(), value->data());
}

long XdpProgram::map_update(const std::string& map, std::span<const uint8_t> key, std::span<const uint8_t> value,
                            uint64_t flags) {
    vm::Map* m = impl_->object->find_map(map);
    if (m == nullptr) return -ENOENT;
    if (key.size() != m->spec().key_size || value.size() != m->user_value_size()) return -EINVAL;
    return m->user_update(key.data(), value.data(), flags);
}

}  // namespace xdpdk
