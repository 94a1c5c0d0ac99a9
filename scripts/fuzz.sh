#!/usr/bin/env bash
# Runs every libFuzzer target of fuzz/ for SECONDS each (default 60), one
# after the other, and reports the inputs each executed. Builds the fuzzers
# first (scripts/setup.sh's build directory). The corpus each run grows is
# kept in $RAT_FUZZ_WORK (default build/fuzz-work/<target>/corpus) on top of
# the committed seeds in fuzz/corpus/<target>, so repeated runs go deeper; a
# crash leaves its input in build/fuzz-work/<target>/artifacts/.
#
#   scripts/fuzz.sh            # 60 s per target
#   scripts/fuzz.sh 600        # 10 minutes per target
#   RAT_FUZZ_TARGETS="npy manifest" scripts/fuzz.sh 30
#
# Exit status 1 if any target crashed (sanitizer report, failed check,
# uncaught exception, timeout or out-of-memory), else 0. The last line is a
# summary: `fuzz: N targets, M inputs, K crashed`.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RAT_BUILD_DIR:-$root/build}
seconds=${1:-60}
work=${RAT_FUZZ_WORK:-$build/fuzz-work}
targets=${RAT_FUZZ_TARGETS:-"safetensors npy manifest model-config rat-ir"}

if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: $0 [seconds per target, >= 1]" >&2
  exit 2
fi
if [ ! -f "$build/build.ninja" ]; then
  "$root/scripts/setup.sh" || exit 1
fi
ninja -C "$build" rat-fuzzers >/dev/null || {
  echo "fuzz: building the fuzzers failed (needs clang's fuzzer runtime:" \
       "libclang-rt-22-dev, and RAT_BUILD_FUZZERS=ON)" >&2
  exit 1
}

total=0
crashed=0
for target in $targets; do
  binary=$build/fuzz/fuzz-$target
  seeds=$root/fuzz/corpus/$target
  dir=$work/$target
  mkdir -p "$dir/corpus" "$dir/artifacts"
  # -timeout: one input that runs this long is a hang; -rss_limit_mb: a
  # reader that allocates this much for a small input is a bug.
  "$binary" "$dir/corpus" "$seeds" -max_total_time="$seconds" -timeout=25 \
    -rss_limit_mb=2560 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" >"$dir/log" 2>&1
  status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  runs=${runs:-0}
  total=$((total + runs))
  if [ "$status" -eq 0 ]; then
    echo "fuzz-$target: $runs inputs in ${seconds} s, corpus $(ls "$dir/corpus" | wc -l) + $(ls "$seeds" | wc -l) seeds: OK"
  else
    crashed=$((crashed + 1))
    echo "fuzz-$target: CRASH after $runs inputs (exit $status); log $dir/log, input in $dir/artifacts/"
    grep -m1 -E "ERROR: |runtime error|==ERROR|deadly signal|Assertion" "$dir/log" || tail -5 "$dir/log"
  fi
done
echo "fuzz: $(echo $targets | wc -w) targets, $total inputs, $crashed crashed"
[ "$crashed" -eq 0 ]
