#!/usr/bin/env bash
# The sanitizer build (clang, ASan + UBSan, no LibTorch) in build-sanitize/:
# runs the unit tests under the sanitizers, then each fuzz target (tests/fuzz)
# for a bounded time. Fails on any test failure or sanitizer report, and on any
# fuzz finding (saved as build-sanitize/findings/<target>-crash-*).
# Usage: scripts/sanitize.sh [--fuzz-seconds N]   (default 20 s per target)
# The dataset comes from $MASKWATCH_DATA, default ../shared/data/face-mask-detection.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzz_seconds=20
while [ $# -gt 0 ]; do
  case $1 in
    --fuzz-seconds) fuzz_seconds=$2; shift 2 ;;
    *) echo "usage: $0 [--fuzz-seconds N]" >&2; exit 2 ;;
  esac
done
export MASKWATCH_DATA=${MASKWATCH_DATA:-$(cd .. && pwd)/shared/data/face-mask-detection}
build=build-sanitize
source scripts/fuzz_common.sh

install_clang
configure_and_build "$build"

echo "sanitize: unit tests under ASan + UBSan"
rm -rf "$build/seeds"
MASKWATCH_FUZZ_SEEDS="$PWD/$build/seeds" "$build/tests/unit_tests" --gtest_brief=1
collect_dataset_seeds "$build/seeds"

status=0
for target in "${fuzz_targets[@]}"; do
  run_fuzz_target "$build" "$target" "$fuzz_seconds" || status=1
done
exit $status
