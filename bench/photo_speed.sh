#!/usr/bin/env bash
# Detect-then-classify latency, models loaded beforehand, 2 threads, one photo
# at a time: a dataset photo (512 x 366) and the same photo at 1920 x 1080,
# the detector in fp32 and bf16.
# Usage: bench/photo_speed.sh --store STORE [--detector ID|latest|pretrained] [--bin build/bench/photo_bench]
#                             [--seconds 5]
set -euo pipefail
bin=build/bench/photo_bench store="" seconds=5 detector=pretrained
data=${MASKWATCH_DATA:-../shared/data/face-mask-detection}
while [ $# -gt 0 ]; do
  case $1 in
    --store) store=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --detector) detector=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) echo "usage: $0 --store STORE [--detector ID] [--bin PATH] [--seconds S]" >&2; exit 2 ;;
  esac
done
[ -n "$store" ] || { echo "$0: --store is required (a store with a trained model)" >&2; exit 2; }
photo=$data/images/maksssksksss0.jpg
for precision in fp32 bf16; do
  for size in "" 1920x1080; do
    "$bin" --store "$store" "$photo" --threads 2 --seconds "$seconds" --detector "$detector" \
      --detector-precision "$precision" ${size:+--resize "$size"}
  done
done
