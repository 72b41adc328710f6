#!/usr/bin/env bash
# The test command (README, .ci/run): install what is missing, build, run every test suite.
#   bash scripts/test.sh              # Release build in build/, all CTest labels
#   EVENTHUB_TEST_LABELS=unit bash scripts/test.sh     # only some labels (regex)
#   EVENTHUB_SANITIZE=1 bash scripts/test.sh           # also an ASan+UBSan build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

step "dependencies"
bash scripts/install_deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
labels=${EVENTHUB_TEST_LABELS:-}

step "build (Release)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"

step "tests"
ctest_args=(--test-dir build --output-on-failure -j"$jobs" --timeout 900)
[ -n "$labels" ] && ctest_args+=(-L "$labels")
ctest "${ctest_args[@]}"

if [ "${EVENTHUB_SANITIZE:-0}" = "1" ]; then
  step "build (ASan + UBSan)"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEVENTHUB_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$jobs"
  step "tests under ASan + UBSan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 1200 -L "${labels:-unit|integration}"
fi

step "done in $(( $(date +%s) - started ))s"
