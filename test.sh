#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build, run the whole test
# suite; then build the whole project again with clang (warnings as errors)
# with the libFuzzer targets, and run each target briefly on its seeds
# (fuzz/smoke.sh; XDPDK_FUZZ_SECONDS per target, default 30). Ends with one
# "N passed, N failed, N skipped" line (GoogleTest cases) and the fuzz result.
set -uo pipefail
cd "$(dirname "$0")"
scripts/deps.sh || exit 1
scripts/build.sh || exit 1
meson test -C build --print-errorlogs --num-processes 2 "$@"
status=$?
log=build/meson-logs/testlog.txt
passed=$(grep -hoE '^\[  PASSED  \] [0-9]+ test' "$log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -hoE '^\[  FAILED  \] [0-9]+ test' "$log" | awk '{s+=$4} END {print s+0}')
skipped=$(grep -hoE '^\[  SKIPPED \] [0-9]+ test' "$log" | awk '{s+=$4} END {print s+0}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
fuzz="fuzz targets: ok"
if ! scripts/build_fuzz.sh; then
  fuzz="fuzz targets: the clang build failed"
elif ! fuzz/smoke.sh build-fuzz "${XDPDK_FUZZ_SECONDS:-30}"; then
  fuzz="fuzz targets: FAILED (see above)"
fi
[ "$fuzz" = "fuzz targets: ok" ] || status=1
echo "${passed} passed, ${failed} failed, ${skipped} skipped; ${fuzz}"
exit "$status"
