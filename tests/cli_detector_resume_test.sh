#!/usr/bin/env bash
# kill -9 a detector fine-tuning run after its first checkpoint, resume it,
# and check that it publishes the same detector (the id is the weights' hash)
# as an uninterrupted run; evaluate --detect then scores that detector.
set -euo pipefail
mw=$1
source "$(dirname "$0")/cli_common.sh"
store=$work/store
make_small_store 40 "$store" --epochs 1 --limit 64 --val-limit 16
common=(--store "$store" --threads 2 -q)
train=(train-detector --epochs 3 --batch 2 --crop 256 --canvas 256 --limit 8 --val-limit 4 --train-seed 3)

"$mw" "${common[@]}" --json "${train[@]}" --run whole > "$work/whole.json"

"$mw" "${common[@]}" "${train[@]}" --run crashed > /dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do  # wait for epoch 1's checkpoint, at most 60 s
  [ -f "$store/runs/crashed/checkpoint.pt" ] && break
  sleep 0.1
done
[ -f "$store/runs/crashed/checkpoint.pt" ] || { kill -9 $pid; fail "no checkpoint appeared"; }
sleep 0.3  # into epoch 2
kill -9 $pid
wait $pid 2>/dev/null && fail "training ended before it was killed"

"$mw" "${common[@]}" --json "${train[@]}" --run crashed --resume > "$work/resumed.json"
a=$(grep -m1 '"id"' "$work/whole.json")
b=$(grep -m1 '"id"' "$work/resumed.json")
echo "uninterrupted: $a"
echo "resumed:       $b"
[ -n "$a" ] && [ "$a" = "$b" ] || fail "resumed run differs"
echo "PASS: resumed detector run equals the uninterrupted one"

"$mw" "${common[@]}" --json evaluate --detect --detector latest --split val --canvas 256 > "$work/eval.json"
id=$(sed -n '/"id"/{s/.*"id": "\([0-9a-f]*\)".*/\1/p;q}' "$work/resumed.json")
[ -n "$id" ] || fail "no id in the resumed run's output"
grep -q "\"$id\"" "$work/eval.json" || fail "evaluate --detect did not use detector $id"
echo "PASS: evaluate --detect --detector latest scored $id"
