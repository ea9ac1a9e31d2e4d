#!/usr/bin/env bash
# Configures (once) and builds the whole project with clang in ./build-fuzz,
# warnings as errors, with the libFuzzer targets (-Dfuzz=true). Everything
# but the fuzz targets and the VM they instrument compiles without
# optimisation: clang's warnings do not depend on it, and CI's time does.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang CXX=clang++ meson setup build-fuzz -Dwerror=true -Dfuzz=true -Doptimization=0 -Ddebug=false
else
  # A tree set up by hand keeps its compiler; these options it must have.
  meson configure build-fuzz -Dwerror=true -Dfuzz=true
fi
ninja -C build-fuzz
