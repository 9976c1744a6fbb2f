#!/usr/bin/env bash
# The engines side by side in one run: LibTorch (fp32) against the plain
# engine in fp32, bf16 and int8, for face-resnet at 112 px (the default) and
# ResNet-18 at 32 px, batch 64, 2 threads. Each round runs every engine once
# in turn, so a slow minute on this machine hits them all alike; prints each
# run and the median of the rounds.
# Usage: bench/engines.sh [--rounds N] [--seconds S] [--bin build/bench/classifier_bench]
#                         [--store DIR]   (a store's latest model instead of random weights)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 seconds=5 bin=build/bench/classifier_bench store=""
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --store) store=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--seconds S] [--bin PATH] [--store DIR]" >&2; exit 2 ;;
  esac
done
export OMP_WAIT_POLICY=PASSIVE  # LibTorch's OpenMP threads must not spin (as maskwatch-torch sets it)
models=("--arch face-resnet --input-size 112" "--arch resnet18 --input-size 32")
[ -n "$store" ] && models=("--store $store")
engines=("torch" "plain --precision fp32" "plain --precision bf16" "plain --precision int8")
out=$(mktemp)
for model in "${models[@]}"; do
  for ((r = 1; r <= rounds; r++)); do
    for engine in "${engines[@]}"; do
      # shellcheck disable=SC2086
      "$bin" $model --engine $engine --seconds "$seconds" --threads 2 --batch 64 --json | tee -a "$out"
    done
  done
done
python3 - "$out" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
groups = {}
for r in runs:
    groups.setdefault((r["arch"], r["input_size"]), {}).setdefault(r["path"], []).append(r["crops_per_s"])
for (arch, size), paths in groups.items():
    torch = statistics.median(paths.get("torch", [float("nan")]))
    print(f"\n{arch} {size} px, batch 64, 2 threads: median crops/s over {len(next(iter(paths.values())))} rounds")
    for path, rates in paths.items():
        m = statistics.median(rates)
        print(f"  {path:14} {m:8.1f}   x{m / torch:4.2f} LibTorch   (runs: {', '.join(f'{v:.0f}' for v in rates)})")
PY
rm -f "$out"
