#!/usr/bin/env bash
# The test command (README, .ci/run): install what is missing, build, run every test suite.
#   bash scripts/test.sh    # Release build in build/ + all CTest labels; then an ASan+UBSan build in
#                           # build-asan/ running the unit and integration suites; then each libFuzzer
#                           # target for 60 s (scripts/fuzz.sh, clang, build-fuzz/)
#   EVENTHUB_TEST_LABELS=unit bash scripts/test.sh     # only some labels (regex), Release build only
#   EVENTHUB_SANITIZE=0 bash scripts/test.sh           # skip the sanitizer build
#   FUZZ_SECONDS=0 bash scripts/test.sh                # skip fuzzing (or e.g. 600 for longer runs)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

step "dependencies"
bash scripts/install_deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
labels=${EVENTHUB_TEST_LABELS:-}
# A label filter means a quick partial run: no sanitizer build and no fuzzing unless asked for.
if [ -n "$labels" ]; then sanitize=${EVENTHUB_SANITIZE:-0} fuzz_seconds=${FUZZ_SECONDS:-0}
else sanitize=${EVENTHUB_SANITIZE:-1} fuzz_seconds=${FUZZ_SECONDS:-60}; fi

step "build (Release)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"

step "tests"
ctest_args=(--test-dir build --output-on-failure -j"$jobs" --timeout 900)
[ -n "$labels" ] && ctest_args+=(-L "$labels")
ctest "${ctest_args[@]}"

if [ "$sanitize" = "1" ]; then
  step "build (ASan + UBSan)"
  # -O1 -g1: what ASan recommends, with line tables for its reports; only what the suites run.
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
    -DCMAKE_C_FLAGS_DEBUG="-O1 -g1" -DEVENTHUB_SANITIZE=ON >/dev/null
  asan_targets=(eventhub eventhub_unit_tests)
  for t in test/integration/*_test.cpp; do asan_targets+=("integration_$(basename "$t" .cpp)"); done
  cmake --build build-asan -j"$jobs" --target "${asan_targets[@]}"
  step "tests under ASan + UBSan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 1200 -L "${labels:-unit|integration}"
fi

if [ "$fuzz_seconds" != "0" ]; then
  step "fuzzing, ${fuzz_seconds}s per target"
  FUZZ_SECONDS=$fuzz_seconds bash scripts/fuzz.sh
fi

step "done in $(( $(date +%s) - started ))s"
