#!/usr/bin/env bash
# kill -9 a training run mid-epoch, resume it, and check that it ends with the
# same model (same weights hash) as an uninterrupted run with the same seed.
set -euo pipefail
mw=$1
data=${MASKWATCH_DATA:-../shared/data/face-mask-detection}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
store=$work/store
common=(--store "$store" --threads 2 -q)
train=(train --arch resnet18 --input-size 32 --epochs 3 --batch 16 --limit 320 --val-limit 64 --train-seed 5)

"$mw" "${common[@]}" ingest --data "$data" >/dev/null
"$mw" "${common[@]}" prepare --crop-size 32 >/dev/null
"$mw" "${common[@]}" --json "${train[@]}" --run whole > "$work/whole.json"

"$mw" "${common[@]}" "${train[@]}" --run crashed > /dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do  # wait for epoch 1's checkpoint, at most 60 s
  [ -f "$store/runs/crashed/checkpoint.pt" ] && break
  sleep 0.1
done
[ -f "$store/runs/crashed/checkpoint.pt" ] || { echo "FAIL: no checkpoint appeared"; kill -9 $pid; exit 1; }
sleep 0.3  # into epoch 2
kill -9 $pid
wait $pid 2>/dev/null && { echo "FAIL: training ended before it was killed"; exit 1; }

"$mw" "${common[@]}" --json "${train[@]}" --run crashed --resume > "$work/resumed.json"
a=$(grep -m1 '"id"' "$work/whole.json")
b=$(grep -m1 '"id"' "$work/resumed.json")
echo "uninterrupted: $a"
echo "resumed:       $b"
[ -n "$a" ] && [ "$a" = "$b" ] || { echo "FAIL: resumed run differs"; exit 1; }
echo "PASS: resumed run equals the uninterrupted one"

# classify: many images in one call; a corrupt one is reported and the rest go on.
head -c 300 "$data/images/maksssksksss1.jpg" > "$work/corrupt.jpg"
set +e
"$mw" "${common[@]}" --json classify --boxes "$data/annotations" "$data/images/maksssksksss0.jpg" "$work/corrupt.jpg" \
  "$data/images/maksssksksss2.jpg" > "$work/classify.json"
rc=$?
set -e
[ $rc -eq 1 ] || { echo "FAIL: classify exit code $rc, expected 1 (one image failed)"; exit 1; }
faces=$(grep -c '"label"' "$work/classify.json")
errors=$(grep -c '"error"' "$work/classify.json")
boxes=$(( $(grep -c "<object>" "$data/annotations/maksssksksss0.xml") + $(grep -c "<object>" "$data/annotations/maksssksksss2.xml") ))
[ "$faces" -eq "$boxes" ] && [ "$errors" -eq 1 ] || { echo "FAIL: $faces faces (expected $boxes), $errors errors"; exit 1; }
grep -q "corrupt.jpg" "$work/classify.json" || { echo "FAIL: the error does not name the file"; exit 1; }
echo "PASS: classify labelled $faces faces and reported the corrupt image"
