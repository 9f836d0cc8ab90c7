#!/usr/bin/env bash
# The test suite built with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/, gcc), on
# ferkit's own code; LibTorch and the other Debian libraries are not instrumented. Leaves out the
# tests that spend their time in other programs or in long training (the browser tests, the
# command-line scripts, the report's training runs, data-parallel workers): they run in `make test`.
# Usage: scripts/test-asan.sh [extra ctest arguments]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build-asan
cmake -S "$ROOT" -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFERKIT_SANITIZE=ON -DFERKIT_BUILD_BENCH=OFF >/dev/null
cmake --build "$B" -j "$(nproc)"
# detect_leaks=0: LibTorch and OpenCV keep process-lifetime allocations that LeakSanitizer reports.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
SLOW='^(cli|hostile_cli|report_browser|serve_page_browser|layers)$|^RunReport\.|^DataParallel\.|^Trainer\.Resume'
cd "$B" && ctest --output-on-failure -j "$(nproc)" -E "$SLOW" "$@"
