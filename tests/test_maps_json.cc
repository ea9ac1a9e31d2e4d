// Map contents as JSON (dataplane/maps_json): hex codec, dumps of every map
// kind, applying a maps file to an object, round trips, and one clear error
// for each kind of bad entry.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "dataplane/loader/maps_json.h"
#include "test_support.h"
#include "vm/object.h"

using namespace xdpdk;
using nlohmann::ordered_json;
using Bytes = std::vector<uint8_t>;

namespace {

std::unique_ptr<vm::Object> open_verdicts(uint32_t ncpus = 1) {
    vm::ObjectOptions opts;
    opts.ncpus = ncpus;
    auto obj = vm::Object::open(test::test_prog_path("verdicts"), opts);
    EXPECT_TRUE(obj.ok()) << obj.error().str();
    return obj.ok() ? std::move(obj.value()) : nullptr;
}

// Parses, writes values, loads, installs programs: what replay does.
Status apply_all(vm::Object& obj, const std::string& text) {
    XDPDK_ASSIGN_OR_RETURN(auto input, loader::parse_maps_json(obj, text, "maps-in 't.json'"));
    XDPDK_RETURN_IF_ERROR(loader::apply_map_values(input));
    XDPDK_RETURN_IF_ERROR(obj.load());
    return loader::apply_prog_entries(obj, input);
}

std::string parse_error(const std::string& text, uint32_t ncpus = 1) {
    auto obj = open_verdicts(ncpus);
    if (!obj) return "";
    auto r = loader::parse_maps_json(*obj, text, "maps-in 't.json'");
    EXPECT_FALSE(r.ok()) << text;
    return r.ok() ? "" : r.error().str();
}

}  // namespace

TEST(MapsJson, HexIsLowercaseRawBytesAndParsingRefusesBadDigits) {
    EXPECT_EQ(loader::to_hex(Bytes{0x00, 0xab, 0x10, 0xff}), "00ab10ff");
    EXPECT_EQ(loader::to_hex(Bytes{}), "");
    auto bytes = loader::parse_hex("00AB10ff");
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(*bytes, (Bytes{0x00, 0xab, 0x10, 0xff}));
    EXPECT_EQ(loader::parse_hex("abc").error().reason, "bad hex 'abc': odd number of digits");
    EXPECT_EQ(loader::parse_hex("0x12").error().reason, "bad hex '0x12': not a hex digit");
    EXPECT_EQ(loader::parse_hex("12 4").error().reason, "bad hex '12 4': not a hex digit");
}

TEST(MapsJson, DumpOfAFreshObjectShowsEveryMapInItsShape) {
    auto obj = open_verdicts(3);
    ASSERT_TRUE(obj);
    const ordered_json dump = loader::dump_maps_json(*obj);
    // Every map of the object, in the object's order.
    std::vector<std::string> names, dumped;
    for (const auto& m : obj->maps()) names.push_back(m->name());
    for (const auto& [name, _] : dump.items()) dumped.push_back(name);
    EXPECT_EQ(dumped, names);

    ASSERT_EQ(dump["verdict_count"].size(), 8u);
    for (uint32_t i = 0; i < 8; ++i)
        EXPECT_EQ(dump["verdict_count"][i], (ordered_json{{"key", loader::to_hex(Bytes{uint8_t(i), 0, 0, 0})},
                                                          {"value", "0000000000000000"}}));
    EXPECT_EQ(dump["percpu_packets"],
              ordered_json::parse(R"([{"key":"00000000","values":["0000000000000000","0000000000000000","0000000000000000"]}])"));
    EXPECT_EQ(dump["ethertype_count"], ordered_json::array());
    EXPECT_EQ(dump["ports"], ordered_json::array());
    EXPECT_EQ(dump["jump"], ordered_json::array());
    EXPECT_EQ(dump["verdicts.rodata"], ordered_json::parse(R"([{"key":"00000000","value":"05000000"}])"));
    EXPECT_EQ(dump["verdicts.bss"], ordered_json::parse(R"([{"key":"00000000","value":"0000000000000000"}])"));
}

TEST(MapsJson, AppliedEntriesShowUpInTheDump) {
    auto obj = open_verdicts(2);
    ASSERT_TRUE(obj);
    const std::string text = R"({
      "verdict_count": [{"key": "03000000", "value": "2a00000000000000"}],
      "percpu_packets": [{"key": "00000000", "values": ["0100000000000000", "0200000000000000"]}],
      "ethertype_count": [{"key": "0008", "value": "07000000"}, {"key": "dd86", "value": "08000000"}],
      "ports": [{"key": "02000000", "ifindex": 9}, {"key": "03000000", "value": "0A000000"}],
      "jump": [{"key": "01000000", "prog": "xdp_stage2"}],
      "verdicts.rodata": [{"key": "00000000", "value": "0b000000"}],
      "verdicts.bss": [{"key": "00000000", "value": "6400000000000000"}]
    })";
    auto st = apply_all(*obj, text);
    ASSERT_TRUE(st.ok()) << st.error().str();
    const ordered_json dump = loader::dump_maps_json(*obj);
    EXPECT_EQ(dump["verdict_count"][3]["value"], "2a00000000000000");
    EXPECT_EQ(dump["verdict_count"][2]["value"], "0000000000000000");
    EXPECT_EQ(dump["percpu_packets"][0]["values"], ordered_json::array({"0100000000000000", "0200000000000000"}));
    // Hash iteration order is the map's; compare as sets.
    std::map<std::string, std::string> types;
    for (const auto& e : dump["ethertype_count"]) types[e["key"]] = e["value"];
    EXPECT_EQ(types, (std::map<std::string, std::string>{{"0008", "07000000"}, {"dd86", "08000000"}}));
    EXPECT_EQ(dump["ports"], ordered_json::parse(R"([{"key":"02000000","value":"09000000","ifindex":9},
                                                     {"key":"03000000","value":"0a000000","ifindex":10}])"));
    EXPECT_EQ(dump["jump"], ordered_json::parse(R"([{"key":"01000000","prog":"xdp_stage2"}])"));
    EXPECT_EQ(dump["verdicts.rodata"][0]["value"], "0b000000");
    EXPECT_EQ(dump["verdicts.bss"][0]["value"], "6400000000000000");
    // The prog array holds the object's own program.
    const vm::Map* jump = obj->find_map("jump");
    ASSERT_NE(jump, nullptr);
    ASSERT_NE(jump->program_at(1), nullptr);
    EXPECT_EQ(jump->program_at(1)->name, "xdp_stage2");
    EXPECT_EQ(jump->program_at(0), nullptr);
}

TEST(MapsJson, FormattedDumpReadsBackIntoAnEqualState) {
    auto first = open_verdicts(2);
    ASSERT_TRUE(first);
    auto st = apply_all(*first, R"({"ethertype_count": [{"key": "0608", "value": "05000000"}],
        "percpu_packets": [{"key": "00000000", "values": ["0300000000000000", "0400000000000000"]}],
        "ports": [{"key": "01000000", "ifindex": 4}], "jump": [{"key": "00000000", "prog": "xdp_verdicts"}],
        "verdicts.rodata": [{"key": "00000000", "value": "0c000000"}]})");
    ASSERT_TRUE(st.ok()) << st.error().str();
    const std::string text = loader::format_maps_json(loader::dump_maps_json(*first));
    // One entry per line, maps in order.
    EXPECT_NE(text.find("\n  \"ethertype_count\": [\n    {\"key\":\"0608\",\"value\":\"05000000\"}\n  ],\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("\n  \"jump\": [\n    {\"key\":\"00000000\",\"prog\":\"xdp_verdicts\"}\n  ]"),
              std::string::npos)
        << text;

    auto second = open_verdicts(2);
    ASSERT_TRUE(second);
    st = apply_all(*second, text);
    ASSERT_TRUE(st.ok()) << st.error().str();
    EXPECT_EQ(loader::dump_maps_json(*second), loader::dump_maps_json(*first));
    EXPECT_EQ(loader::format_maps_json(loader::dump_maps_json(*second)), text);
}

TEST(MapsJson, FormatOfEmptyDocuments) {
    EXPECT_EQ(loader::format_maps_json(ordered_json::object()), "{}\n");
    EXPECT_EQ(loader::format_maps_json(ordered_json::parse(R"({"a":[]})")), "{\n  \"a\": []\n}\n");
}

TEST(MapsJson, EntriesOfTheWrongShapeAreRefusedWithTheirPlace) {
    EXPECT_EQ(parse_error(R"({"verdict_count":[{"key":"00000000","value":"00"}]})"),
              "maps-in 't.json': map 'verdict_count': entry 0: value is 1 byte, the map's values are 8 bytes");
    EXPECT_EQ(parse_error(R"({"verdict_count":[{"key":"00000000","value":"0000000000000000"},{"key":"0000"}]})"),
              "maps-in 't.json': map 'verdict_count': entry 1: key is 2 bytes, the map's keys are 4 bytes");
    EXPECT_EQ(parse_error(R"({"verdict_count":[{"value":"0000000000000000"}]})"),
              "maps-in 't.json': map 'verdict_count': entry 0: missing \"key\"");
    EXPECT_EQ(parse_error(R"({"verdict_count":[{"key":"00000000"}]})"),
              "maps-in 't.json': map 'verdict_count': entry 0: missing \"value\"");
    EXPECT_EQ(parse_error(R"({"verdict_count":[{"key":0,"value":"0000000000000000"}]})"),
              "maps-in 't.json': map 'verdict_count': entry 0: key must be a hex string");
    EXPECT_EQ(parse_error(R"({"verdict_count":[["00000000"]]})"),
              "maps-in 't.json': map 'verdict_count': entry 0: expected an object {\"key\": ..., ...}");
    EXPECT_EQ(parse_error(R"({"verdict_count":{"key":"00000000"}})"),
              "maps-in 't.json': map 'verdict_count': expected a list of entries");
    EXPECT_EQ(parse_error(R"([])"), "maps-in 't.json': expected an object {\"map name\": [entries], ...}");
    EXPECT_NE(parse_error(R"({"verdict_count": [}")").find("maps-in 't.json': not valid JSON: parse error at line 1"),
              std::string::npos);
    // A number beyond a double is nlohmann's out_of_range, not a parse error
    // (found by fuzz_maps_json: it escaped as an exception).
    EXPECT_EQ(parse_error(R"({"verdict_count":[{"key":1e999}]})"),
              "maps-in 't.json': not valid JSON: number overflow parsing '1e999'");
    const std::string unknown = parse_error(R"({"counts":[]})");
    EXPECT_EQ(unknown.rfind("maps-in 't.json': unknown map 'counts' (maps: ", 0), 0u) << unknown;
    for (const char* name : {"verdict_count", "percpu_packets", "ethertype_count", "ports", "jump", "verdicts.rodata",
                             "verdicts.bss"})
        EXPECT_NE(unknown.find(name), std::string::npos) << unknown;
}

TEST(MapsJson, EachMapKindTakesItsOwnFields) {
    EXPECT_EQ(parse_error(R"({"percpu_packets":[{"key":"00000000","value":"0000000000000000"}]})"),
              "maps-in 't.json': map 'percpu_packets': entry 0: unexpected field \"value\" for a percpu_array map "
              "(fields: \"key\", \"values\")");
    EXPECT_EQ(parse_error(R"({"percpu_packets":[{"key":"00000000","values":["0000000000000000"]}]})", 2),
              "maps-in 't.json': map 'percpu_packets': entry 0: per-CPU map has 2 CPU slots, \"values\" lists 1 "
              "(see --cpus)");
    EXPECT_EQ(parse_error(R"({"percpu_packets":[{"key":"00000000","values":["00","0000000000000000"]}]})", 2),
              "maps-in 't.json': map 'percpu_packets': entry 0: cpu 0: value is 1 byte, the map's values are 8 bytes");
    EXPECT_EQ(parse_error(R"({"jump":[{"key":"00000000","value":"00000000"}]})"),
              "maps-in 't.json': map 'jump': entry 0: unexpected field \"value\" for a prog_array map (fields: "
              "\"key\", \"prog\")");
    EXPECT_EQ(parse_error(R"({"jump":[{"key":"02000000","prog":"xdp_stage2"}]})"),
              "maps-in 't.json': map 'jump': entry 0: index 2 is beyond max_entries 2");
    EXPECT_NE(parse_error(R"({"jump":[{"key":"00000000","prog":"stage9"}]})")
                  .find("map 'jump': entry 0: elf '" + test::test_prog_path("verdicts") +
                        "': no program or section 'stage9'"),
              std::string::npos);
    EXPECT_EQ(parse_error(R"({"ports":[{"key":"00000000"}]})"),
              "maps-in 't.json': map 'ports': entry 0: devmap entry needs \"ifindex\" or \"value\"");
    EXPECT_EQ(parse_error(R"({"ports":[{"key":"00000000","ifindex":-1}]})"),
              "maps-in 't.json': map 'ports': entry 0: \"ifindex\" must be an integer from 0 to 4294967295");
    EXPECT_EQ(parse_error(R"({"ports":[{"key":"00000000","ifindex":"eth0"}]})"),
              "maps-in 't.json': map 'ports': entry 0: \"ifindex\" must be an integer from 0 to 4294967295");
}

TEST(MapsJson, ProgArrayEntriesAreInstalledOnlyAfterLoad) {
    auto obj = open_verdicts();
    ASSERT_TRUE(obj);
    auto input = loader::parse_maps_json(*obj, R"({"jump":[{"key":"00000000","prog":"xdp_stage2"}],
        "verdicts.bss":[{"key":"00000000","value":"0100000000000000"}]})", "m");
    ASSERT_TRUE(input.ok()) << input.error().str();
    ASSERT_TRUE(loader::apply_map_values(*input).ok());
    EXPECT_EQ(obj->find_map("jump")->program_at(0), nullptr) << "values do not touch prog arrays";
    ASSERT_TRUE(obj->load().ok());
    ASSERT_TRUE(loader::apply_prog_entries(*obj, *input).ok());
    ASSERT_NE(obj->find_map("jump")->program_at(0), nullptr);
    EXPECT_EQ(obj->find_map("jump")->program_at(0)->name, "xdp_stage2");
    EXPECT_EQ(loader::dump_maps_json(*obj)["verdicts.bss"][0]["value"], "0100000000000000");
}

TEST(MapsJson, ValuesForAFrozenMapAfterLoadFailWithTheMapNamed) {
    auto obj = open_verdicts();
    ASSERT_TRUE(obj);
    auto input = loader::parse_maps_json(*obj, R"({"verdicts.rodata":[{"key":"00000000","value":"01000000"}]})", "m");
    ASSERT_TRUE(input.ok()) << input.error().str();
    ASSERT_TRUE(obj->load().ok());
    auto st = loader::apply_map_values(*input);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().str().find("m: map 'verdicts.rodata': key 00000000: update failed: "), std::string::npos)
        << st.error().str();
}

namespace {

// Queues and stacks have no keys: entries are values, oldest first, pushed
// in that order; a dump lists them so and reads back into the same map.
TEST(MapsJson, QueueAndStackEntriesAreValuesInPushOrder) {
    auto obj = vm::Object::open(test::test_prog_path("map_queue_stack"));
    ASSERT_TRUE(obj.ok()) << obj.error().str();
    const std::string text = R"({"queue": [{"value": "0100000002000000"}, {"value": "0300000004000000"}],
                                 "stack": [{"key": "", "value": "0500000006000000"}, {"value": "0700000008000000"}]})";
    ASSERT_TRUE(apply_all(**obj, text).ok());
    const ordered_json dump = loader::dump_maps_json(**obj);
    EXPECT_EQ(dump["queue"], ordered_json::parse(R"([{"value": "0100000002000000"}, {"value": "0300000004000000"}])"));
    EXPECT_EQ(dump["stack"], ordered_json::parse(R"([{"value": "0500000006000000"}, {"value": "0700000008000000"}])"));
    // The stack pops its newest, the queue its oldest.
    uint8_t top[8];
    ASSERT_EQ((*obj)->find_map("stack")->user_lookup_and_delete(nullptr, top), 0);
    EXPECT_EQ(top[0], 7);
    ASSERT_EQ((*obj)->find_map("queue")->user_lookup_and_delete(nullptr, top), 0);
    EXPECT_EQ(top[0], 1);

    // The dump of a fresh object fed back rebuilds it.
    auto again = vm::Object::open(test::test_prog_path("map_queue_stack"));
    ASSERT_TRUE(again.ok());
    ASSERT_TRUE(apply_all(**again, loader::format_maps_json(dump)).ok());
    EXPECT_EQ(loader::dump_maps_json(**again), dump);

    // More values than the map holds: the push that fails is named.
    auto full = vm::Object::open(test::test_prog_path("map_queue_stack"));
    ASSERT_TRUE(full.ok());
    std::string five = R"({"queue": [)";
    for (int i = 0; i < 5; ++i) five += std::string(i ? "," : "") + R"({"value": "0000000000000000"})";
    const Status st = apply_all(**full, five + "]}");
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().str().find("map 'queue': value 0000000000000000: push failed"), std::string::npos)
        << st.error().str();
    // A key, if given, has the map's key size: none.
    EXPECT_NE(apply_all(**full, R"({"stack": [{"key": "00", "value": "0000000000000000"}]})").error().str().find(
                  "key is 1 byte, the map's keys are 0 bytes"),
              std::string::npos);
}

}  // namespace

namespace {

std::unique_ptr<vm::Object> open_map_in_map() {
    auto obj = vm::Object::open(test::test_prog_path("map_in_map"), {});
    EXPECT_TRUE(obj.ok()) << obj.error().str();
    return obj.ok() ? std::move(obj.value()) : nullptr;
}

}  // namespace

TEST(MapsJson, MapOfMapsEntriesNameAnObjectMapOrCreateAnInnerMap) {
    auto obj = open_map_in_map();
    ASSERT_TRUE(obj);
    const std::string text = R"({"by_source": [
        {"key": "01000000", "inner": {"name": "extra", "entries": [{"key": "02000000", "value": "0700000000000000"}]}},
        {"key": "03000000", "map": "count_b"}],
      "by_dest": [{"key": "05000000", "inner": {"max_entries": 16}}]})";
    ASSERT_TRUE(apply_all(*obj, text).ok()) << apply_all(*obj, text).error().str();
    const ordered_json dump = loader::dump_maps_json(*obj);
    const ordered_json& by_source = dump["by_source"];
    ASSERT_EQ(by_source.size(), 4u);  // slots 0 and 2 from the object's initial values
    EXPECT_EQ(by_source[0], ordered_json::parse(R"({"key":"00000000","map":"count_a"})"));
    const ordered_json& extra = by_source[1]["inner"];
    EXPECT_EQ(extra["name"], "extra");
    EXPECT_EQ(extra["type"], "array");
    EXPECT_EQ(extra["max_entries"], 4);
    EXPECT_EQ(extra["entries"][2], ordered_json::parse(R"({"key":"02000000","value":"0700000000000000"})"));
    EXPECT_EQ(by_source[3], ordered_json::parse(R"({"key":"03000000","map":"count_b"})"));
    // The inner map is a live map: its id reads back from the outer map.
    uint32_t key = 1, id = 0;
    ASSERT_EQ(obj->find_map("by_source")->user_lookup(&key, &id), 0);
    EXPECT_EQ(extra["id"], id);
    const auto inner = vm::find_map_by_id(id);
    ASSERT_TRUE(inner);
    EXPECT_EQ(inner->name(), "extra");
    const ordered_json& by_dest = dump["by_dest"];
    ASSERT_EQ(by_dest.size(), 2u);
    EXPECT_EQ(by_dest[1]["inner"]["name"], "by_dest.05000000");
    EXPECT_EQ(by_dest[1]["inner"]["max_entries"], 16);
}

TEST(MapsJson, MapOfMapsDumpReadsBackIntoAnEqualState) {
    auto first = open_map_in_map();
    ASSERT_TRUE(first);
    ASSERT_TRUE(apply_all(*first, R"({"by_dest": [{"key": "03000000", "inner": {"name": "h3",
        "entries": [{"key": "10000000", "value": "0100000000000000"}, {"key": "20000000", "value": "0200000000000000"}]}}]})")
                    .ok());
    const std::string text = loader::format_maps_json(loader::dump_maps_json(*first));
    auto second = open_map_in_map();
    ASSERT_TRUE(second);
    ASSERT_TRUE(apply_all(*second, text).ok()) << apply_all(*second, text).error().str();
    ordered_json a = loader::dump_maps_json(*first), b = loader::dump_maps_json(*second);
    // Inner maps made from the dump are new maps, with new ids.
    for (ordered_json* d : {&a, &b})
        for (auto& e : (*d)["by_dest"])
            if (e.contains("inner")) e["inner"].erase("id");
    EXPECT_EQ(a, b);
}

TEST(MapsJson, MapOfMapsEntriesOfTheWrongShapeAreRefused) {
    auto error_of = [](const std::string& text) {
        auto obj = open_map_in_map();
        if (!obj) return std::string();
        auto r = loader::parse_maps_json(*obj, text, "maps-in 't.json'");
        EXPECT_FALSE(r.ok()) << text;
        return r.ok() ? std::string() : r.error().str();
    };
    EXPECT_EQ(error_of(R"({"by_source": [{"key": "01000000", "map": "lengths_even"}]})"),
              "maps-in 't.json': map 'by_source': entry 0: map 'lengths_even' cannot go into 'by_source': type hash "
              "differs from the inner map template's array");
    EXPECT_EQ(error_of(R"({"by_source": [{"key": "01000000", "inner": {"max_entries": 8}}]})"),
              "maps-in 't.json': map 'by_source': entry 0: \"inner\" map cannot go into 'by_source': max_entries 8 "
              "differs from the inner map template's 4");
    EXPECT_EQ(error_of(R"({"by_source": [{"key": "01000000", "value": "01000000"}]})"),
              "maps-in 't.json': map 'by_source': entry 0: unexpected field \"value\" for a map of maps (fields: "
              "\"key\", \"map\", \"inner\")");
    EXPECT_EQ(error_of(R"({"by_source": [{"key": "01000000"}]})"),
              "maps-in 't.json': map 'by_source': entry 0: a map-of-maps entry gives either \"map\": \"name\" (one of "
              "the object's maps) or \"inner\": {\"entries\": [...]} (a new map of the inner template's shape)");
    EXPECT_EQ(error_of(R"({"by_dest": [{"key": "01000000", "inner": {"type": "array"}}]})"),
              "maps-in 't.json': map 'by_dest': entry 0: \"inner\".\"type\" must be the template's, \"hash\"");
    EXPECT_EQ(error_of(R"({"by_dest": [{"key": "01000000", "inner": {"entries": [{"key": "01"}]}}]})"),
              "maps-in 't.json': map 'by_dest': entry 0: \"inner\" entry 0: key is 1 byte, the map's keys are 4 bytes");
    EXPECT_EQ(error_of(R"({"by_dest": [{"key": "01000000", "map": "nope"}]})"),
              "maps-in 't.json': map 'by_dest': entry 0: unknown map 'nope' (maps: count_a, count_b, by_source, "
              "lengths_even, by_dest)");
}
