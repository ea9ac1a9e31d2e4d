#!/usr/bin/env bash
# Runs every fuzz target of a -Dfuzz=true build for a short budget on its seed
# corpus and its regression inputs (tests/fuzz_regress/<target>/, here under
# the sanitizers too), with its dictionary, as CI does through test.sh:
#
#   fuzz/smoke.sh [BUILD_DIR] [SECONDS_PER_TARGET]     (defaults: build-fuzz, 30)
#
# Fails (exit 1) on any crash, sanitizer report, leak, timeout (-timeout: a
# verifier or parser that hangs), memory blow-up (-rss_limit_mb) or a
# target's own check (two engines disagreeing, an error over two lines). The
# input that did it is kept as BUILD_DIR/fuzz/artifacts/<target>-crash-...;
# once fixed, it belongs in tests/fuzz_regress/<target>/, which every build
# replays. Prints one line per target: executions, coverage, features.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
seconds=${2:-30}
manifest=$build/fuzz/targets.txt
if [ ! -f "$manifest" ]; then
  echo "xdpdk: fuzz smoke: $manifest: not found (configure with -Dfuzz=true and build first)" >&2
  exit 1
fi
# 0 would be no limit at all to libFuzzer.
case $seconds in '' | *[!0-9]* | 0*) echo "xdpdk: fuzz smoke: seconds '$seconds': not a whole number above 0" >&2; exit 2 ;; esac
if ! grep -q . "$manifest"; then
  echo "xdpdk: fuzz smoke: $manifest: lists no target" >&2
  exit 1
fi

status=0
mkdir -p "$build/fuzz/artifacts"
while IFS=$'\t' read -r name dict seeds; do
  [ -n "$name" ] || continue
  exe=$build/fuzz/fuzz_$name
  corpus=$build/fuzz/smoke/$name
  log=$build/fuzz/smoke/$name.log
  rm -rf "$corpus" && mkdir -p "$corpus"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048
        -print_final_stats=1 -artifact_prefix="$build/fuzz/artifacts/$name-")
  [ "$dict" != - ] && args+=(-dict="$dict")
  if ! [ -x "$exe" ] || ! [ -d "$seeds" ]; then
    echo "fuzz $name: FAILED: $exe or its seeds $seeds missing"
    status=1
    continue
  fi
  "$exe" "${args[@]}" "$corpus" "$seeds" "tests/fuzz_regress/$name" < /dev/null > "$log" 2>&1
  rc=$?
  runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | awk '{print $2}')
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' <<< "$last" | awk '{print $2}')
  ft=$(grep -oE 'ft: [0-9]+' <<< "$last" | awk '{print $2}')
  if [ "$rc" -eq 0 ]; then
    echo "fuzz $name: ok, ${runs:-?} runs in ${seconds}s, cov ${cov:-?}, ft ${ft:-?}"
  else
    echo "fuzz $name: FAILED (exit $rc), log $log:"
    grep -E 'ERROR|SUMMARY|xdpdk fuzz|Test unit written|runtime error' "$log" | head -8 | sed 's/^/  /'
    status=1
  fi
done < "$manifest"
exit $status
