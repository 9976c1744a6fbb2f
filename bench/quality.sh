#!/usr/bin/env bash
# The quality bar of the default model, measured end to end: train from
# random initialisation with the defaults (split seed 0, train seeds given),
# report held-out test accuracy / macro-F1 / incorrect-mask recall, training
# time, and classifier throughput at batch 64 with 2 threads.
# Usage: bench/quality.sh [SEED...]   (default: 0)     Needs a build in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
mw=build/maskwatch
seeds=("${@:-0}")
data=${MASKWATCH_DATA:-../shared/data/face-mask-detection}
store=$(mktemp -d)/store
trap 'rm -rf "$(dirname "$store")"' EXIT
"$mw" -q --store "$store" ingest --data "$data" > /dev/null
"$mw" -q --store "$store" prepare > /dev/null
for seed in "${seeds[@]}"; do
  start=$(date +%s.%N)
  id=$("$mw" -q --store "$store" --json train --train-seed "$seed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  secs=$(python3 -c "import time; print(round(time.time() - $start, 1))")
  "$mw" -q --store "$store" --json evaluate --model "$id" | python3 -c "
import json, sys
r = json.load(sys.stdin)
pc = r['per_class']
print(json.dumps({'seed': $seed, 'model': r['model'], 'train_seconds': $secs, 'test_accuracy': round(r['accuracy'], 4),
                  'test_macro_f1': round(r['macro_f1'], 4),
                  'test_recall_incorrect': round(pc['mask_weared_incorrect']['recall'], 4),
                  'by_face_size': {k: round(v['accuracy'], 4) for k, v in r['by_face_size'].items()}}))"
  OMP_WAIT_POLICY=PASSIVE build/classifier_bench --store "$store" --model "$id" --batch 64 --threads 2 --seconds 10
done
