// `xdpdk prog show OBJ.o [--prog NAME] [-j] [-p]`: every program of an object
// file, as `bpftool prog show` lists loaded ones: name, section, program type
// and attach type, and for the XDP programs whether they load here (each
// verified on its own, as a loader that autoloads only it), their sizes and
// the maps they use. Programs of other types are listed with the type their
// section gives them and the reason xdpdk does not run them. Every program
// also lists the helpers it calls and the types of the maps it uses, each
// marked available or not in xdpdk ("helpers": [{"id", "name",
// "available"}], "map_types": [{"type", "name", "available"}]).
#pragma once

#include <CLI/CLI.hpp>

namespace xdpdk::cli {

void add_prog_show_command(CLI::App& prog, int& exit_code);

}  // namespace xdpdk::cli
