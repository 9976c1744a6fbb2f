#!/usr/bin/env bash
# The fuzz targets (tests/fuzz) for longer than CI runs them: each for N
# seconds (default 300), over the corpora scripts/sanitize.sh builds up in
# build-sanitize/. Prints each target's run count; fails on any finding.
# Usage: bench/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
shift || true
export MASKWATCH_DATA=${MASKWATCH_DATA:-$(cd .. && pwd)/shared/data/face-mask-detection}
build=build-sanitize
source scripts/fuzz_common.sh
[ $# -gt 0 ] && fuzz_targets=("$@")

install_clang
configure_and_build "$build"
collect_dataset_seeds "$build/seeds"

status=0
for target in "${fuzz_targets[@]}"; do
  run_fuzz_target "$build" "$target" "$seconds" || status=1
  grep -E '^#[0-9]+.*(pulse|DONE)' "$build/fuzz-logs/$target.log" | tail -1 | sed "s/^/  $target: /"
done
exit $status
