// What `xdpdk ctl` can ask a running dataplane, with bpftool's nouns and
// verbs, carried out on the public handle (include/xdpdk/dataplane.h) only:
//
//   prog list                      prog show PORT
//   prog swap PORT OBJ.o [prog NAME] [set NAME=VALUE]... [map-size NAME=N]... [fresh-maps]
//   prog swap PORT filter:EXPR|filter-ddd:FILE [filter-action MATCH[,NOMATCH]]
//   prog dump xlated|jited PORT
//   map list                       map dump MAP
//   map lookup MAP key [hex] BYTES...
//   map update MAP key [hex] BYTES... value [hex] BYTES... [any|exist|noexist]
//   map delete MAP key [hex] BYTES...
//   stats                          trace
//
// MAP is a name, or `id N`. The words arrive as the request's args, exactly
// as typed after NOUN VERB (the client only makes OBJ.o and a -ddd FILE absolute), and are
// parsed here so that every client gets the same syntax and errors. With
// the request option "format": "text" a result is the text people read
// instead of JSON.
#pragma once

#include "ctl_server.h"
#include "xdpdk/dataplane.h"

namespace xdpdk::control {

// Serves requests on `dp`, which must outlive the server.
Handler dataplane_handler(Dataplane& dp);

}  // namespace xdpdk::control
