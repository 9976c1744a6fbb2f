#!/usr/bin/env bash
# The quality bar, measured end to end: train with the given settings (the
# defaults when none) once per seed, on split seed 0 (or --split-seed), then report validation
# and held-out test accuracy / macro-F1 / incorrect-mask recall, accuracy by
# face size, training time and classifier throughput at batch 64, 2 threads;
# last, the mean and spread over the seeds.
# Usage: bench/quality.sh [--seeds 0,1,2] [--store DIR | --split-seed S] [--no-speed] [--val-only] [TRAIN_ARGS...]
#   --val-only: the validation figures alone (while choosing a recipe, the test split stays unread)
#   e.g. bench/quality.sh --seeds 0,1,2 --arch face-resnet --input-size 112
# Needs a build in build/. Without --store, a temporary store is ingested and
# prepared with split seed S (default 0).
set -euo pipefail
cd "$(dirname "$0")/.."
mw=build/maskwatch
seeds=0
store=
split_seed=0
speed=1
val_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seeds) seeds=$2; shift 2 ;;
    --store) store=$2; shift 2 ;;
    --split-seed) split_seed=$2; shift 2 ;;
    --no-speed) speed=0; shift ;;
    --val-only) val_only=1; shift ;;
    *) break ;;
  esac
done
data=${MASKWATCH_DATA:-../shared/data/face-mask-detection}
if [[ -z "$store" ]]; then
  store=$(mktemp -d)/store
  trap 'rm -rf "$(dirname "$store")"' EXIT
  "$mw" -q --store "$store" ingest --data "$data" > /dev/null
  "$mw" -q --store "$store" prepare --seed "$split_seed" > /dev/null
fi
rows=$(mktemp)
for seed in ${seeds//,/ }; do
  start=$(date +%s.%N)
  id=$("$mw" -q --store "$store" --json train --train-seed "$seed" "$@" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  secs=$(python3 -c "import time; print(round(time.time() - $start, 1))")
  val=$("$mw" -q --store "$store" --json evaluate --model "$id" --split val)
  test=null
  if [[ $val_only == 0 ]]; then
    test=$("$mw" -q --store "$store" --json evaluate --model "$id" --split test)
  fi
  cps=None
  if [[ $speed == 1 ]]; then
    cps=$(OMP_WAIT_POLICY=PASSIVE build/bench/classifier_bench --store "$store" --model "$id" --batch 64 --threads 2 --seconds 10 |
      grep -o '[0-9.]* crops/s' | tail -1 | cut -d' ' -f1)
  fi
  python3 -c "
import json, sys
v, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
row = {'seed': $seed, 'model': v['model'], 'train_seconds': $secs, 'crops_per_s': $cps,
       'val_accuracy': round(v['accuracy'], 4), 'val_macro_f1': round(v['macro_f1'], 4),
       'val_recall_incorrect': round(v['per_class']['mask_weared_incorrect']['recall'], 4)}
if t:
    row.update({'test_accuracy': round(t['accuracy'], 4), 'test_macro_f1': round(t['macro_f1'], 4),
                'test_recall_incorrect': round(t['per_class']['mask_weared_incorrect']['recall'], 4),
                'test_by_face_size': {k: round(b['accuracy'], 4) for k, b in t['by_face_size'].items()}})
print(json.dumps(row))" "$val" "$test" | tee -a "$rows"
done
python3 - "$rows" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for k in ['val_accuracy', 'val_macro_f1', 'val_recall_incorrect', 'test_accuracy', 'test_macro_f1',
          'test_recall_incorrect', 'train_seconds']:
    v = [r[k] for r in rows if k in r]
    if not v:
        continue
    sd = statistics.stdev(v) if len(v) > 1 else 0.0
    print(f'{k:24s} mean {statistics.mean(v):.4f}  sd {sd:.4f}  min {min(v):.4f}  max {max(v):.4f}  (n={len(v)})')
EOF
rm -f "$rows"
