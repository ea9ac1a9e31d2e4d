#include "ctl_protocol.h"

#include <array>
#include <cstdint>
#include <cstdio>

namespace xdpdk::control {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 4> kFields = {"noun", "verb", "args", "options"};

// Reasons quote the client's bytes; keep them short and plain ASCII so that
// an error about a 1 MiB line is not itself 1 MiB, and is safe to print.
// The limit counts output characters: an escape is four of them.
std::string quote(std::string_view text, size_t limit = 120) {
    std::string out;
    size_t i = 0;
    for (; i < text.size() && out.size() < limit; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        }
    }
    if (i < text.size()) out += "...";
    return out;
}

Error request_error(std::string reason) { return make_error("request", std::move(reason)); }

// nlohmann's messages start with "[json.exception.parse_error.101] ".
std::string json_reason(const json::exception& e) {
    std::string_view what = e.what();
    const size_t at = what.find("] ");
    if (at != std::string_view::npos) what.remove_prefix(at + 2);
    return quote(what, 200);
}

Result<json> parse_json(std::string_view line) {
    try {
        return json::parse(line);
    } catch (const json::exception& e) {  // parse_error, and out_of_range for 1e999
        return make_error("", json_reason(e));
    }
}

Result<std::string> string_field(const json& doc, const char* name, bool required) {
    const auto it = doc.find(name);
    if (it == doc.end()) {
        if (required) return request_error(std::string("missing \"") + name + "\"");
        return std::string();
    }
    if (!it->is_string()) {
        return request_error(std::string("\"") + name + "\" must be a string, got " + it->type_name());
    }
    return it->get<std::string>();
}

Result<std::vector<std::string>> args_field(const json& doc) {
    std::vector<std::string> args;
    const auto it = doc.find("args");
    if (it == doc.end()) return args;
    if (!it->is_array()) {
        return request_error(std::string("\"args\" must be an array of strings, got ") + it->type_name());
    }
    for (size_t i = 0; i < it->size(); ++i) {
        const json& arg = (*it)[i];
        if (!arg.is_string()) {
            return request_error("\"args\"[" + std::to_string(i) + "] must be a string, got " + arg.type_name());
        }
        args.push_back(arg.get<std::string>());
    }
    return args;
}

Result<json> options_field(const json& doc) {
    const auto it = doc.find("options");
    if (it == doc.end()) return json::object();
    if (!it->is_object()) return request_error(std::string("\"options\" must be an object, got ") + it->type_name());
    for (const auto& [name, value] : it->items()) {
        if (value.is_structured()) {
            return request_error("option \"" + quote(name) +
                                 "\" must be a string, number, boolean or null, got " + value.type_name());
        }
    }
    return *it;
}

}  // namespace

std::string Request::command() const { return verb.empty() ? noun : noun + " " + verb; }

Result<Request> parse_request(std::string_view line) {
    if (line.size() > kMaxRequestBytes) {
        return request_error("too large: " + std::to_string(line.size()) + " bytes, the limit is " +
                             std::to_string(kMaxRequestBytes));
    }
    auto doc = parse_json(line);
    if (!doc) return request_error("not JSON: " + doc.error().reason);
    if (!doc->is_object()) return request_error(std::string("expected a JSON object, got ") + doc->type_name());
    for (const auto& [name, value] : doc->items()) {
        bool known = false;
        for (std::string_view field : kFields) known = known || name == field;
        if (!known) return request_error("unknown field \"" + quote(name) + "\" (fields: noun, verb, args, options)");
    }

    Request request;
    XDPDK_ASSIGN_OR_RETURN(request.noun, string_field(*doc, "noun", true));
    if (request.noun.empty()) return request_error("\"noun\" is empty");
    XDPDK_ASSIGN_OR_RETURN(request.verb, string_field(*doc, "verb", false));
    XDPDK_ASSIGN_OR_RETURN(request.args, args_field(*doc));
    XDPDK_ASSIGN_OR_RETURN(request.options, options_field(*doc));
    return request;
}

std::string encode_request(const Request& request) {
    return encode_line(json{{"noun", request.noun},
                            {"verb", request.verb},
                            {"args", request.args},
                            {"options", request.options.is_null() ? json::object() : request.options}});
}

json ok_reply(json result) { return json{{"ok", true}, {"result", std::move(result)}}; }

json error_reply(const Error& error) {
    json body{{"subject", error.subject}, {"reason", error.reason}, {"message", error.str()}};
    if (error.insn >= 0) body["insn"] = error.insn;
    if (!error.source.empty()) body["source"] = error.source;
    return json{{"ok", false}, {"error", std::move(body)}};
}

json stream_item(json item) { return json{{"item", std::move(item)}}; }

std::string encode_line(const json& message) {
    return message.dump(-1, ' ', false, json::error_handler_t::replace) + '\n';
}

Result<ReplyLine> parse_reply(std::string_view line) {
    auto bad = [](std::string reason) { return make_error("reply", std::move(reason)); };
    auto doc = parse_json(line);
    if (!doc) return bad("not JSON: " + doc.error().reason);
    if (!doc->is_object()) return bad(std::string("expected a JSON object, got ") + doc->type_name());

    ReplyLine reply;
    if (const auto item = doc->find("item"); item != doc->end()) {
        reply.kind = ReplyLine::Kind::Item;
        reply.value = std::move(*item);
        return reply;
    }
    const auto ok = doc->find("ok");
    if (ok == doc->end() || !ok->is_boolean()) return bad("neither \"item\" nor a boolean \"ok\"");
    if (ok->get<bool>()) {
        if (const auto result = doc->find("result"); result != doc->end()) reply.value = std::move(*result);
        return reply;
    }

    const auto error = doc->find("error");
    if (error == doc->end() || !error->is_object()) return bad("\"ok\":false without an \"error\" object");
    const auto subject = error->find("subject");
    const auto reason = error->find("reason");
    const auto insn = error->find("insn");
    if (subject == error->end() || !subject->is_string() || reason == error->end() || !reason->is_string()) {
        return bad("\"error\" needs the strings \"subject\" and \"reason\"");
    }
    if (insn != error->end() && !(insn->is_number_unsigned() && insn->get<uint64_t>() <= INT64_MAX)) {
        return bad("\"insn\" must be an instruction index");
    }
    reply.kind = ReplyLine::Kind::Error;
    reply.error.subject = subject->get<std::string>();
    reply.error.reason = reason->get<std::string>();
    if (insn != error->end()) reply.error.insn = insn->get<int64_t>();
    if (const auto source = error->find("source"); source != error->end() && source->is_string())
        reply.error.source = source->get<std::string>();
    return reply;
}

}  // namespace xdpdk::control
