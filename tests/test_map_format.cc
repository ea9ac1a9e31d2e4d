// The real bpftool is the oracle for loader/map_format: tests/progs/
// map_format.o is opened by vm::Object and also loaded into the kernel by
// libbpf (programs not loaded, maps created with the object's BTF), the same
// entries go into both, and `bpftool map dump|lookup id N` of the kernel's
// map must print what map_dump_json / map_dump_text / map_entry_* give for
// ours. Skips without bpf() rights or without bpftool.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dataplane/loader/map_format.h"
#include "test_support.h"
#include "vm/object.h"

namespace xdpdk::test {
namespace {

using json = nlohmann::ordered_json;
using Bytes = std::vector<uint8_t>;

// struct rec of map_format.bpf.c, laid out as clang lays it out.
struct Rec {
    uint32_t id;
    int32_t color;  // enum color
    char name[12];
    struct {
        uint16_t port;
        uint8_t flags, pad;
    } in;
    uint32_t ports[3];
    uint8_t low : 3, high : 5;
    int8_t delta;
    bool up;
    char tag;
    uint32_t ifindex;
    union {
        uint32_t as_u32;
        uint8_t as_bytes[4];
    } u;
    int64_t balance;
    unsigned __int128 wide;
};
static_assert(sizeof(Rec) == 80);

template <class T>
Bytes bytes_of(const T& v) {
    Bytes b(sizeof v);
    std::memcpy(b.data(), &v, sizeof v);
    return b;
}

// `n` bytes counting up from `seed`.
Bytes pattern(size_t n, uint8_t seed) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + 13 * i);
    return b;
}

int quiet_libbpf(libbpf_print_level, const char*, va_list) { return 0; }

// stdout of `bpftool ARGS` (stderr dropped).
std::string bpftool(const std::string& args) {
    std::string out;
    FILE* p = popen(("bpftool " + args + " 2>/dev/null").c_str(), "r");
    if (!p) return out;
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    pclose(p);
    return out;
}

std::string hex_words(const Bytes& b) {
    std::string out = "hex";
    char buf[4];
    for (uint8_t x : b) {
        std::snprintf(buf, sizeof buf, " %02x", x);
        out += buf;
    }
    return out;
}

// Hash maps list their elements in hash order, which differs between the
// kernel and xdpdk: compare those as sets.
json sorted_by_key(json elems) {
    std::sort(elems.begin(), elems.end(), [](const json& a, const json& b) { return a["key"].dump() < b["key"].dump(); });
    return elems;
}
std::vector<std::string> sorted_lines(const std::string& text) {
    std::vector<std::string> lines;
    for (size_t at = 0, nl; at < text.size(); at = nl + 1) {
        nl = text.find('\n', at);
        if (nl == std::string::npos) nl = text.size();
        lines.push_back(text.substr(at, nl - at));
    }
    std::sort(lines.begin(), lines.end());
    return lines;
}

// The object in both runtimes, with the same entries written to both.
class Maps {
public:
    ~Maps() {
        if (kernel_) bpf_object__close(kernel_);
    }

    // Empty when it worked; otherwise why the tests skip.
    std::string open() {
        if (bpftool("version").find("bpftool") == std::string::npos) return "bpftool is not installed";
        libbpf_set_print(quiet_libbpf);
        const std::string path = test_prog_path("map_format");
        kernel_ = bpf_object__open_file(path.c_str(), nullptr);
        if (!kernel_) return "libbpf cannot open " + path;
        bpf_program* p;
        bpf_object__for_each_program(p, kernel_) bpf_program__set_autoload(p, false);
        if (int err = bpf_object__load(kernel_); err != 0)
            return std::string("the kernel refused the maps (bpf() not permitted?): ") + std::strerror(-err);
        vm::ObjectOptions opts;
        opts.ncpus = static_cast<uint32_t>(libbpf_num_possible_cpus());
        auto ours = vm::Object::open(path, opts);
        if (!ours.ok()) {
            ADD_FAILURE() << ours.error().str();
            return "";
        }
        ours_ = std::move(ours).value();
        return "";
    }

    vm::Map& ours(const std::string& name) const {
        vm::Map* m = ours_->find_map(name);
        if (!m) throw std::runtime_error("xdpdk has no map " + name);  // gtest reports it
        return *m;
    }
    bpf_map* kernel(const std::string& name) const {
        bpf_map* m;
        bpf_object__for_each_map(m, kernel_) if (name == bpf_map__name(m)) return m;
        ADD_FAILURE() << "the kernel has no map " << name;
        return nullptr;
    }
    bpf_map_info info(const std::string& name) const {
        bpf_map_info info{};
        uint32_t len = sizeof info;
        EXPECT_EQ(bpf_obj_get_info_by_fd(bpf_map__fd(kernel(name)), &info, &len), 0);
        return info;
    }
    std::string id(const std::string& name) const { return std::to_string(info(name).id); }
    const vm::Object& object() const { return *ours_; }

    // `value` in the user layout (per-CPU: every slot).
    void put(const std::string& name, const Bytes& key, const Bytes& value) const {
        vm::Map& m = ours(name);
        ASSERT_EQ(key.size(), m.spec().key_size) << name;
        ASSERT_EQ(value.size(), m.user_value_size()) << name;
        ASSERT_EQ(m.user_update(key.data(), value.data(), vm::kAny), 0) << name;
        ASSERT_EQ(bpf_map_update_elem(bpf_map__fd(kernel(name)), key.data(), value.data(), BPF_ANY), 0)
            << name << ": " << std::strerror(errno);
    }

    // A per-CPU value: slot c holds `pattern(value_size, seed + c)`.
    Bytes percpu(const std::string& name, uint8_t seed) const {
        const vm::Map& m = ours(name);
        Bytes v(m.user_value_size());
        const uint32_t stride = (m.spec().value_size + 7) & ~7u;
        for (uint32_t c = 0; c < m.ncpus(); ++c) {
            const Bytes slot = pattern(m.spec().value_size, static_cast<uint8_t>(seed + 31 * c));
            std::copy(slot.begin(), slot.end(), v.begin() + c * stride);
        }
        return v;
    }

private:
    bpf_object* kernel_ = nullptr;
    std::unique_ptr<vm::Object> ours_;
};

Rec record(uint32_t id) {
    Rec r{};
    r.id = id;
    r.color = 7;  // BLUE
    std::strcpy(r.name, "hello");
    r.in = {8080, 3, 0};
    r.ports[0] = 1, r.ports[1] = 2, r.ports[2] = 0xffffffff;
    r.low = 5, r.high = 17;
    r.delta = -4;
    r.up = true;
    r.tag = 'x';
    r.ifindex = 12;
    r.u.as_u32 = 0x01020304;
    r.balance = -123456789012LL;
    r.wide = (static_cast<unsigned __int128>(0x1122334455667788ULL) << 64) | 0x99aabbccddeeff00ULL;
    return r;
}

struct FlowKey {
    uint32_t addr;
    uint16_t port;
    uint8_t proto, pad;
};

class MapFormat : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        maps_ = new Maps;
        skip_ = maps_->open();
        if (!skip_.empty() || ::testing::Test::HasFailure()) return;
        const Maps& m = *maps_;

        Rec r0 = record(42);
        Rec r1 = record(7);
        r1.color = -3;                                 // NEGATIVE
        std::memcpy(r1.name, "a\x01z\0\0\0\0\0\0\0\0", 12);  // not printable: an array
        r1.in.flags = 0xff;
        r1.wide = 5;
        r1.up = false;
        r1.tag = -1;
        m.put("records", bytes_of(uint32_t{0}), bytes_of(r0));
        m.put("records", bytes_of(uint32_t{1}), bytes_of(r1));
        Rec r2{};  // an unnamed enum value, a name without its NUL
        r2.color = 99;
        std::memcpy(r2.name, "twelve chars", 12);
        m.put("records", bytes_of(uint32_t{2}), bytes_of(r2));

        for (uint8_t i = 0; i < 3; ++i)
            m.put("flows", bytes_of(FlowKey{0x0a000001u + i, static_cast<uint16_t>(80 + i), 6, 0}), pattern(16, i));
        m.put("pcpu_stats", bytes_of(uint32_t{1}), m.percpu("pcpu_stats", 9));
        m.put("pcpu_hash", bytes_of(uint32_t{5}), m.percpu("pcpu_hash", 1));
        m.put("pcpu_hash", bytes_of(uint32_t{6}), m.percpu("pcpu_hash", 2));
        m.put("raw_array", bytes_of(uint32_t{1}), pattern(20, 3));
        m.put("raw_pcpu", bytes_of(uint32_t{0}), m.percpu("raw_pcpu", 4));
        m.put("keyless_hash", bytes_of(uint32_t{3}), pattern(4, 5));
        const uint32_t pending_size = m.ours("pending").spec().value_size;
        m.put("pending", {}, pattern(pending_size, 7));
        m.put("pending", {}, pattern(pending_size, 8));
        m.put("map_form.bss", bytes_of(uint32_t{0}), pattern(m.ours("map_form.bss").spec().value_size, 6));
        // .data keeps its initial contents but one byte; .rodata is frozen in the kernel.
        Bytes data(m.ours("map_form.data").spec().value_size);
        ASSERT_EQ(m.ours("map_form.data").user_lookup(bytes_of(uint32_t{0}).data(), data.data()), 0);
        data.back() = 0x80;
        m.put("map_form.data", bytes_of(uint32_t{0}), data);
    }
    static void TearDownTestSuite() {
        delete maps_;
        maps_ = nullptr;
    }
    void SetUp() override {
        if (!skip_.empty()) GTEST_SKIP() << skip_;
    }

    static Maps* maps_;
    static std::string skip_;
};
Maps* MapFormat::maps_ = nullptr;
std::string MapFormat::skip_;

const std::vector<std::string> kArrayMaps = {"records", "pcpu_stats", "raw_array", "raw_pcpu",
                                             "map_form.bss", "map_form.data", "map_form.rodata"};
const std::vector<std::string> kHashMaps = {"flows", "pcpu_hash", "keyless_hash"};

// The vm keeps BTF for exactly the maps the kernel got it for from libbpf,
// with the same type ids (a keyless hash is refused it, libbpf retries
// without; maps sized by __uint have none).
TEST_F(MapFormat, MapsCarryTheBtfTheKernelKeeps) {
    for (const auto& m : maps_->object().maps()) {
        SCOPED_TRACE(m->name());
        const bpf_map_info info = maps_->info(m->name());
        EXPECT_EQ(static_cast<bool>(m->btf()), info.btf_id != 0);
        EXPECT_EQ(m->btf().key_type_id, info.btf_key_type_id);
        EXPECT_EQ(m->btf().value_type_id, info.btf_value_type_id);
    }
    EXPECT_FALSE(maps_->ours("keyless_hash").btf());
    EXPECT_TRUE(maps_->ours("map_form.bss").btf());
}

TEST_F(MapFormat, DumpJsonEqualsBpftool) {
    for (const std::string& name : kArrayMaps) {
        SCOPED_TRACE(name);
        const json expected = json::parse(bpftool("-j map dump id " + maps_->id(name)));
        EXPECT_EQ(loader::map_dump_json(maps_->ours(name)), expected)
            << "ours:\n" << loader::map_dump_json(maps_->ours(name)).dump(1) << "\nbpftool:\n" << expected.dump(1);
    }
    for (const std::string& name : kHashMaps) {
        SCOPED_TRACE(name);
        const json expected = sorted_by_key(json::parse(bpftool("-j map dump id " + maps_->id(name))));
        EXPECT_EQ(expected.size(), name == "flows" ? 3u : name == "pcpu_hash" ? 2u : 1u);
        EXPECT_EQ(sorted_by_key(loader::map_dump_json(maps_->ours(name))), expected);
    }
}

TEST_F(MapFormat, DumpTextEqualsBpftool) {
    for (const std::string& name : kArrayMaps) {
        SCOPED_TRACE(name);
        EXPECT_EQ(loader::map_dump_text(maps_->ours(name)), bpftool("map dump id " + maps_->id(name)));
    }
    // A pointer prints as %p without -j, as a number with it.
    EXPECT_NE(loader::map_dump_text(maps_->ours("map_form.bss")).find("\"bss_ptr\": 0x"), std::string::npos);
    for (const std::string& name : kHashMaps) {
        SCOPED_TRACE(name);
        const std::string expected = bpftool("map dump id " + maps_->id(name));
        EXPECT_EQ(sorted_lines(loader::map_dump_text(maps_->ours(name))), sorted_lines(expected)) << expected;
    }
}

// Every element of every map, looked up by key through bpftool's argument
// syntax (parsed by parse_bytes_arg on our side).
TEST_F(MapFormat, LookupEqualsBpftool) {
    int compared = 0;
    for (const auto& m : maps_->object().maps()) {
        SCOPED_TRACE(m->name());
        for (const json& elem : loader::map_dump_json(*m)) {
            std::vector<std::string> words = {"hex"};
            for (const json& b : elem["key"]) words.push_back(b.get<std::string>().substr(2));
            auto key = loader::parse_bytes_arg(words, m->spec().key_size, "key");
            ASSERT_TRUE(key.ok()) << key.error().str();
            Bytes value(m->user_value_size());
            ASSERT_EQ(m->user_lookup(key->data(), value.data()), 0);
            const std::string args = " map lookup id " + maps_->id(m->name()) + " key " + hex_words(*key);
            EXPECT_EQ(loader::map_entry_json(*m, *key, value), json::parse(bpftool("-j" + args)));
            EXPECT_EQ(loader::map_entry_text(*m, *key, value), bpftool(args));
            ++compared;
        }
    }
    EXPECT_GE(compared, 12);
}

// A queue: bpftool's dump lists nothing (get_next_key fails with EINVAL);
// its lookup takes no key and shows the oldest element.
TEST_F(MapFormat, QueueDumpsNothingAndLooksUpItsOldest) {
    const vm::Map& q = maps_->ours("pending");
    const std::string id = maps_->id("pending");
    EXPECT_EQ(loader::map_dump_text(q), bpftool("map dump id " + id));
    EXPECT_EQ(loader::map_dump_json(q), json::parse(bpftool("-j map dump id " + id)));
    Bytes value(q.user_value_size());
    ASSERT_EQ(q.user_lookup(nullptr, value.data()), 0);
    EXPECT_EQ(value, pattern(value.size(), 7));
    EXPECT_EQ(loader::map_entry_text(q, {}, value), bpftool("map lookup id " + id));
    EXPECT_EQ(loader::map_entry_json(q, {}, value), json::parse(bpftool("-j map lookup id " + id)));
}

// bpftool's json_writer escapes '\\' as "\n": the text mirrors it; the
// JSON value keeps the string the map holds.
TEST_F(MapFormat, StringQuirks) {
    Rec r = record(1);
    std::strcpy(r.name, "a\\b'c\"d");
    r.tag = '"';
    const Bytes key = bytes_of(uint32_t{2});
    const Bytes saved = [&] {
        Bytes v(sizeof(Rec));
        EXPECT_EQ(maps_->ours("records").user_lookup(key.data(), v.data()), 0);
        return v;
    }();
    maps_->put("records", key, bytes_of(r));
    vm::Map& m = maps_->ours("records");
    const std::string text = bpftool("map lookup id " + maps_->id("records") + " key " + hex_words(key));
    EXPECT_EQ(loader::map_entry_text(m, key, bytes_of(r)), text);
    EXPECT_NE(text.find(R"("name": "a\nb'c\"d")"), std::string::npos) << text;
    const json ours = loader::map_entry_json(m, key, bytes_of(r));
    EXPECT_EQ(ours["formatted"]["value"]["name"], "a\\b'c\"d");
    json theirs = json::parse(bpftool("-j map lookup id " + maps_->id("records") + " key " + hex_words(key)));
    EXPECT_EQ(theirs["formatted"]["value"]["name"], "a\nb'c\"d");
    theirs["formatted"]["value"]["name"] = "a\\b'c\"d";
    EXPECT_EQ(ours, theirs);  // nothing else differs
    EXPECT_EQ(ours["formatted"]["value"]["tag"], 34);  // clang's char is a signed int: a number
    maps_->put("records", key, saved);
}

// Words bpftool's `map update` reads the same way: both maps updated from
// the same argv must dump the same.
TEST_F(MapFormat, UpdateWordsReadAsBpftoolReadsThem) {
    const std::vector<std::string> argv = {"key", "1", "0", "0", "0", "value", "010", "0x10", "16", "0",
                                           "255", "0XfF", "7", "8", "9", "10", "11", "12", "13", "14",
                                           "15", "16", "17", "18", "19", "20", "any"};
    auto args = loader::split_elem_args(argv);
    ASSERT_TRUE(args.ok()) << args.error().str();
    ASSERT_TRUE(args->key && args->value && args->flags);
    EXPECT_EQ(*args->flags, vm::kAny);
    vm::Map& m = maps_->ours("raw_array");
    auto key = loader::parse_bytes_arg(*args->key, 4, "key");
    auto value = loader::parse_bytes_arg(*args->value, 20, "value");
    ASSERT_TRUE(key.ok() && value.ok());
    EXPECT_EQ((*value)[0], 8);  // octal
    ASSERT_EQ(m.user_update(key->data(), value->data(), *args->flags), 0);
    std::string line;
    for (const std::string& w : argv) line += " " + w;
    bpftool("map update id " + maps_->id("raw_array") + line);
    EXPECT_EQ(loader::map_dump_json(m), json::parse(bpftool("-j map dump id " + maps_->id("raw_array"))));

    auto hex_value = loader::parse_bytes_arg(std::vector<std::string>{"hex", "ff", "0x1", "10", "0"}, 4, "value");
    ASSERT_TRUE(hex_value.ok());
    EXPECT_EQ(*hex_value, (Bytes{0xff, 0x01, 0x10, 0x00}));
}

// Without the kernel: the argument errors.
TEST(MapFormatArgs, ParseBytesErrors) {
    using V = std::vector<std::string>;
    auto err = [](const V& words, size_t size) {
        auto r = loader::parse_bytes_arg(words, size, "key");
        return r.ok() ? std::string("ok") : r.error().str();
    };
    EXPECT_EQ(err({"1", "2", "3"}, 4), "key: expected 4 bytes, got 3");
    EXPECT_EQ(err({"1", "2", "3", "4", "5"}, 4), "key: expected 4 bytes, got 5");
    EXPECT_EQ(err({"hex"}, 1), "key: expected 1 bytes, got 0");
    EXPECT_EQ(err({"1", "zz"}, 2), "key: cannot parse byte 'zz'");
    EXPECT_EQ(err({"hex", "1", "zz"}, 2), "key: cannot parse byte 'zz' as hex");
    EXPECT_EQ(err({"ff"}, 1), "key: cannot parse byte 'ff'");
    EXPECT_EQ(err({"08"}, 1), "key: cannot parse byte '08'");  // octal
    EXPECT_EQ(err({"-1"}, 1), "key: cannot parse byte '-1'");
    EXPECT_EQ(err({""}, 1), "key: cannot parse byte ''");
    EXPECT_EQ(err({"256"}, 1), "key: byte '256' is larger than 255");
    EXPECT_EQ(err({"hex", "100"}, 1), "key: byte '100' is larger than 255");
    EXPECT_EQ(err({"99999999999999999999999"}, 1), "key: byte '99999999999999999999999' is larger than 255");
    EXPECT_EQ(err({"he", "0a", "0B"}, 2), "ok");  // bpftool takes any prefix of "hex"
    EXPECT_EQ(err({}, 0), "ok");
}

TEST(MapFormatArgs, SplitElemArgs) {
    using V = std::vector<std::string>;
    auto split = [](const V& argv) { return loader::split_elem_args(argv); };
    auto r = split({"value", "hex", "01", "key", "1", "2", "noexist"});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r->key, (V{"1", "2"}));
    EXPECT_EQ(*r->value, (V{"hex", "01"}));
    EXPECT_EQ(*r->flags, vm::kNoExist);
    r = split({"key"});
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->key && r->key->empty());
    EXPECT_FALSE(r->value || r->flags);
    EXPECT_EQ(split({"1", "key", "2"}).error().str(), "argument '1': expected key, value, any, noexist or exist");
    EXPECT_EQ(split({"key", "1", "key", "2"}).error().str(), "key: given twice");
    EXPECT_EQ(split({"key", "1", "exist", "any"}).error().str(), "any: update flags given twice");
    EXPECT_EQ(split({"key", "1", "exist", "2"}).error().str(), "argument '2': expected key, value, any, noexist or exist");
}

}  // namespace
}  // namespace xdpdk::test
