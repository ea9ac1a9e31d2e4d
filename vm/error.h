// The error type is public (include/xdpdk/error.h): the VM and the dataplane
// handle return the same values an embedding application sees.
#pragma once

#include "xdpdk/error.h"
