// `xdpdk ctl [--socket PATH] [-j|--json] [-p|--pretty] NOUN VERB ARGS...`:
// the client of a running dataplane's control socket, as bpftool is for the
// kernel. The words after the options go to the server as they are (only an
// object file to swap in is made absolute, since the server resolves paths
// in its own directory), so the syntax lives in one place
// (dataplane/control/ctl_commands.h). Exit codes: 0 done, 1 the dataplane
// refused or the socket failed, 2 bad usage.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "commands.h"
#include "dataplane/control/ctl_client.h"
#include "dataplane/control/ctl_socket.h"
#include "dataplane/loader/program_source.h"

namespace xdpdk::cli {

namespace {

constexpr const char* kCtlDescription = "Control a running `xdpdk run`: programs, maps, stats, trace";
constexpr const char* kSocketDir = "/run/xdpdk";

void print_ctl_help() {
    std::printf(
        "%s\n\n"
        "usage: xdpdk ctl [--socket PATH] [-j|--json] [-p|--pretty] NOUN VERB [ARGS...]\n\n"
        "  prog list | prog show [PORT | id N]\n"
        "  prog swap PORT OBJ.o [--prog NAME] [--set NAME=VALUE]... [--map-size NAME=N]... [--btf FILE] [--fresh-maps]\n"
        "  prog swap PORT filter:EXPR|filter-ddd:FILE [--filter-action MATCH[,NOMATCH]]   (a tcpdump filter)\n"
        "  prog dump xlated|jited PORT | prog detach PORT\n"
        "  map list | map show [MAP] | map dump MAP\n"
        "  map lookup MAP key [hex] BYTES...\n"
        "  map update MAP key [hex] BYTES... value [hex] BYTES... [any|exist|noexist]\n"
        "  map delete MAP key [hex] BYTES...\n"
        "  map events MAP   (streams a ringbuf's or perf_event_array's records as JSON lines until interrupted)\n"
        "  stats | trace\n\n"
        "MAP: a map name, id N, or pinned PATH (run --pin). BYTES: numbers (decimal, 0x.. hex) or, after 'hex', hex bytes.\n"
        "--socket: the dataplane's control socket (default: the only live one in %s;\n"
        "          `xdpdk run --file-prefix=X` serves %s/X.sock). Options may come anywhere.\n"
        "Exit codes: 0 done, 1 refused by the dataplane or socket error, 2 bad usage.\n",
        kCtlDescription, kSocketDir, kSocketDir);
}

int usage_error(const std::string& message) {
    std::fprintf(stderr, "xdpdk: ctl: %s (xdpdk ctl --help)\n", message.c_str());
    return 2;
}

// The only live socket under /run/xdpdk, as a user with one dataplane
// expects (a killed run leaves a stale one behind); with several the user
// must say which.
Result<std::string> default_socket() {
    std::vector<std::string> found;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(kSocketDir, ec)) {
        if (e.path().extension() != ".sock") continue;
        auto state = control::probe_socket_path(e.path().string());
        if (state && *state == control::PathState::Live) found.push_back(e.path().string());
    }
    if (found.size() == 1) return found[0];
    if (found.empty())
        return make_error("ctl", std::string("no dataplane is serving a control socket in ") + kSocketDir +
                                     ": start `xdpdk run`, or give --socket PATH");
    std::string list;
    for (const std::string& f : found) list += (list.empty() ? "" : ", ") + f;
    return make_error("ctl", "several dataplanes are running (" + list + "): choose one with --socket");
}

volatile std::sig_atomic_t interrupted = 0;
void on_interrupt(int) { interrupted = 1; }

}  // namespace

// Usage errors of the server (a wrong word after the verb) exit 2 like ours.
bool is_usage_error(const Error& e) {
    return e.reason.rfind("usage:", 0) == 0 || e.reason.rfind("unknown command", 0) == 0 ||
           e.reason.find("; usage: ") != std::string::npos;
}

int ctl_command_main(const std::vector<std::string>& all_words) {
    std::string socket;
    bool json = false, pretty = false;
    // The client's own options go anywhere (`prog list -j`, as bpftool
    // takes them); every other word goes to the server untouched.
    std::vector<std::string> words;
    for (size_t i = 0; i < all_words.size(); ++i) {
        const std::string& w = all_words[i];
        if (w == "-h" || w == "--help" || w == "help") {
            print_ctl_help();
            return 0;
        }
        if (w == "-j" || w == "--json") json = true;
        else if (w == "-p" || w == "--pretty" || w == "-jp" || w == "-pj") json = pretty = true;
        else if (w == "--socket") {
            if (i + 1 >= all_words.size()) return usage_error("--socket needs the path of a control socket");
            socket = all_words[++i];
        } else if (w.rfind("--socket=", 0) == 0) socket = w.substr(9);
        else words.push_back(w);
    }
    size_t i = 0;
    if (i >= words.size()) return usage_error("give a command, e.g. prog list");
    if (words[0].size() > 1 && words[0][0] == '-') return usage_error("unknown option '" + words[0] + "'");
    control::Request req;
    req.noun = words[i++];
    if (req.noun != "prog" && req.noun != "map" && req.noun != "stats" && req.noun != "trace")
        return usage_error("unknown command '" + req.noun + "': the nouns are prog, map, stats, trace");
    if (req.noun != "stats" && req.noun != "trace") {
        if (i >= words.size()) return usage_error("'" + req.noun + "' needs a verb, e.g. " + req.noun + " list");
        req.verb = words[i++];
    }
    req.args.assign(words.begin() + static_cast<std::ptrdiff_t>(i), words.end());
    if (req.noun == "prog" && req.verb == "swap" && req.args.size() >= 2) {
        // A filter expression is no path; a -ddd file is, made absolute
        // after its quotes come off (an empty one stays for the server to refuse).
        const std::string ddd_prefix(loader::kFilterDddPrefix);
        const bool expression = req.args[1].rfind(loader::kFilterPrefix, 0) == 0;
        const std::optional<std::string> ddd = loader::ddd_path_of_word(req.args[1]);
        const std::string path = ddd ? *ddd : req.args[1];
        std::error_code ec;
        const auto abs = std::filesystem::absolute(path, ec);
        if (!ec && !expression && !path.empty()) req.args[1] = (ddd ? ddd_prefix : std::string()) + abs.string();
    }
    if (!json) req.options["format"] = "text";
    if (socket.empty()) {
        auto found = default_socket();
        if (!found) return fail(found.error().str());
        socket = *found;
    }
    // As bpftool -j does, scripts get an error as JSON on stdout too; the
    // server's usage errors exit 2, like ours.
    auto report = [json, pretty](const Error& error) {
        if (json) {
            nlohmann::ordered_json e;
            e["error"] = error.str();
            std::printf("%s\n", e.dump(pretty ? 4 : -1).c_str());
        }
        const int code = fail(error.str());
        return is_usage_error(error) ? 2 : code;
    };
    const bool events = req.noun == "map" && req.verb == "events";
    if (req.noun == "trace" || events) {
        struct sigaction sa{};
        sa.sa_handler = on_interrupt;
        sigaction(SIGINT, &sa, nullptr);
        sigaction(SIGTERM, &sa, nullptr);
        auto end = control::stream(
            socket, req,
            [json, events](const nlohmann::json& item) {
                if (json || events) std::printf("%s\n", item.dump().c_str());
                else std::printf("%s\n", item.is_string() ? item.get<std::string>().c_str() : item.dump().c_str());
                std::fflush(stdout);
                return true;
            },
            [] { return interrupted != 0; });
        if (!end) return report(end.error());
        return 0;
    }
    auto reply = control::request(socket, req);
    if (!reply) return report(reply.error());
    if (reply->is_string()) {
        std::fputs(reply->get<std::string>().c_str(), stdout);
    } else if (!reply->is_null() || json) {
        std::printf("%s\n", reply->dump(pretty ? 4 : -1).c_str());
    }
    return 0;
}

void add_ctl_command(CLI::App& app, int& exit_code) {
    CLI::App* cmd = app.add_subcommand("ctl", std::string(kCtlDescription) + "; `xdpdk ctl --help` lists them");
    cmd->prefix_command();
    cmd->allow_extras();
    cmd->callback([cmd, &exit_code] { exit_code = ctl_command_main(cmd->remaining()); });
}

}  // namespace xdpdk::cli
