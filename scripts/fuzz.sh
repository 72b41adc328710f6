#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for a bounded time on its seed corpus.
#   bash scripts/fuzz.sh            # 60 s per target (what CI runs)
#   FUZZ_SECONDS=3600 bash scripts/fuzz.sh   # longer; new inputs land in build-fuzz/corpus/<target>
# A crash leaves its input as build-fuzz/crash-* and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEVENTHUB_FUZZ=ON \
  -DEVENTHUB_BUILD_TESTS=OFF >/dev/null
targets=(fuzz_event fuzz_analytics_query fuzz_time)
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}"
for t in "${targets[@]}"; do
  seeds=test/fuzz/corpus/${t#fuzz_}
  work=build-fuzz/corpus/$t
  mkdir -p "$work"
  touch "$work"
  echo "==> $t for ${seconds}s (seeds: $seeds)"
  (cd build-fuzz && "./test/fuzz/$t" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
     -print_final_stats=1 "corpus/$t" "../$seeds" 2>&1 | grep -E "^(#[0-9]+.*DONE|Done|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)" || true)
  # (one glob per check: `ls a* b*` fails when any of them matches nothing, which hid crashes)
  found=$(find build-fuzz -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) -newer "$work" -print)
  if [ -n "$found" ]; then
    echo "fuzzing $t found a failing input:" $found
    exit 1
  fi
done
echo "fuzzing: no crashes"
