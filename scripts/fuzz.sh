#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang (ASan + UBSan, coverage in the project's
# libraries) into build-fuzz and runs each for a bounded time. Exits non-zero when a target
# crashes, leaks, times out on one input or fails to build; the crashing input is left in
# build-fuzz/artifacts/. New interesting inputs go to build-fuzz/corpus/<target>/ (the seed
# corpus in fuzz/corpus/ is only read).
#   FUZZ_TOTAL_SECONDS  time budget of the whole run, split evenly over the targets
#                       (default 90: the CI time stays what it was with three targets)
#   FUZZ_SECONDS   run time per target (overrides the split)
#   FUZZ_TARGETS   space-separated subset (default: all)
#   FUZZ_JOBS      parallel compile jobs (default: nproc)
#   FUZZ_BUILD_DIR build directory (default: build-fuzz)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${FUZZ_JOBS:-$(nproc)}
all_targets="fuzz_router_parse fuzz_http_handlers fuzz_engine_config fuzz_scada_frames \
fuzz_field_answers fuzz_site_toml fuzz_scenario_toml fuzz_ws_messages"
read -r -a targets <<<"${FUZZ_TARGETS:-$all_targets}"
# Every parser facing the network or a file gets its share; at least 5 s each.
total=${FUZZ_TOTAL_SECONDS:-90}
split=$((total / ${#targets[@]}))
[ "$split" -lt 5 ] && split=5
seconds=${FUZZ_SECONDS:-$split}

command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (apt-get install clang)" >&2; exit 2; }

echo "== configure $build"
# -O1: the usual fuzzing trade-off between speed and useful stack traces. -g1: line tables
# (all a sanitizer's stack trace needs) at a fraction of full debug information's build time.
CC=clang CXX=clang++ cmake -S "$root" -B "$build" \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
  -DCMAKE_CXX_FLAGS="-O1 -fsanitize=fuzzer-no-link" \
  -DBTMS_SANITIZE=ON -DBTMS_FUZZ=ON -DBTMS_BUILD_BENCH=OFF >/dev/null
echo "== build ${targets[*]}"
cmake --build "$build" -j"$jobs" --target "${targets[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The targets' temporary data directories (user store, audit log) go here, not to /tmp.
export TMPDIR="$build/tmp"
rm -rf "$TMPDIR"
mkdir -p "$TMPDIR"
failed=()
for target in "${targets[@]}"; do
  corpus="$build/corpus/$target"
  artifacts="$build/artifacts"
  mkdir -p "$corpus" "$artifacts"
  seeds=()
  [ -d "$root/fuzz/corpus/$target" ] && seeds+=("$root/fuzz/corpus/$target")
  dict=()
  [ -f "$root/fuzz/dict/$target.dict" ] && dict+=("-dict=$root/fuzz/dict/$target.dict")
  echo "== $target for ${seconds}s"
  if "$build/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$artifacts/$target-" "${dict[@]}" \
      "$corpus" "${seeds[@]}" >"$build/$target.log" 2>&1; then
    grep -E "^stat::(number_of_executed_units|new_units_added|peak_rss_mb)" "$build/$target.log" || true
  else
    echo "fuzz.sh: $target FAILED; log: $build/$target.log" >&2
    # The finding (our own check's message or the sanitizer's summary), then the input.
    grep -a -E "^(fuzz_[a-z_]+: |SUMMARY: |==[0-9]+==ERROR)" "$build/$target.log" >&2 || true
    grep -a -E "^(Base64: |artifact_prefix=)" "$build/$target.log" >&2 || true
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: failing targets: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: all targets ran ${seconds}s without a finding"
