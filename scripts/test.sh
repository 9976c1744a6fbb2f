#!/usr/bin/env bash
# Sets up, builds, and runs the whole test suite with ctest.
# The dataset comes from $MASKWATCH_DATA, default ../shared/data/face-mask-detection.
set -euo pipefail
cd "$(dirname "$0")/.."
export MASKWATCH_DATA=${MASKWATCH_DATA:-$(cd .. && pwd)/shared/data/face-mask-detection}
scripts/setup.sh build
cmake -S . -B build -DMASKWATCH_TEST_DATA="$MASKWATCH_DATA" > /dev/null
cmake --build build -j "$(nproc)"
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 900 "$@"
