#!/usr/bin/env bash
# Runs every test: the release build's ctest (unit, end-to-end), the same suite under
# AddressSanitizer + UndefinedBehaviorSanitizer, a bounded libFuzzer run of the request parsing
# and JSON handlers, and the web UI's tests when the UI exists.
# Tests labelled "long" (the 13-minute outage at speed 1) are report runs: ctest --preset release -L long.
# Expects scripts/install.sh --with-tests to have run (the README's test command does that).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

echo "== release tests"
ctest --preset release -j"$jobs" --timeout 600 -LE long
echo "== asan+ubsan tests"
ctest --preset asan -j"$jobs" --timeout 900 -LE "no-sanitizer|long"
echo "== fuzz (libFuzzer, clang; ${FUZZ_TOTAL_SECONDS:-90} s split over the targets)"
bash scripts/fuzz.sh
if [ -f web/package.json ]; then
  echo "== web tests"
  (cd web && npm test --silent)
  echo "== browser tests (Chromium against btms demo)"
  (cd web && npm run e2e --silent)
fi
echo "test.sh: all test suites passed"
