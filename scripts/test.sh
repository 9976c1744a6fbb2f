#!/usr/bin/env bash
# Sets up (with what the tests need), builds everything, and runs the whole
# test suite with ctest.
# The dataset comes from $MASKWATCH_DATA, default ../shared/data/face-mask-detection.
set -euo pipefail
cd "$(dirname "$0")/.."
export MASKWATCH_DATA=${MASKWATCH_DATA:-$(cd .. && pwd)/shared/data/face-mask-detection}
scripts/setup.sh build --tests
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 900 "$@"
