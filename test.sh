#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build, run the whole test
# suite. Ends with one "N passed, N failed, N skipped" line (GoogleTest cases).
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
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
