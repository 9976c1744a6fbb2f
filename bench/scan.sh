#!/usr/bin/env bash
# Photos in a bucket at scale: N photos (the dataset's, under many keys)
#   1. through `maskwatch scan` on this machine (every core), into SQLite;
#   2. through 4 local instances of the packaged Lambda function, fanned out
#      by the Distributed Map of deploy/scan.asl.json (tests/fanout/lambda_fanout.py:
#      s3rver, dynalite, an instance killed mid-batch, S3 503s, 429s);
# then prints photos/s, CPU-seconds a photo, peak memory, and the cost of a
# million photos on Lambda at the measured milliseconds a photo.
# Usage: bench/scan.sh [STORE] [PHOTOS]    (STORE: a store with a model; default maskwatch-data)
# Takes about 10 minutes for 10,000 photos on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
store=${1:-maskwatch-data}
n=${2:-10000}
mw=build/maskwatch
data=${MASKWATCH_DATA:-../shared/data/face-mask-detection}
memory_mb=${MEMORY_MB:-2048}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -x "$mw" ] || { echo "build first: scripts/run.sh" >&2; exit 1; }
isa=$(grep -q avx512_vnni /proc/cpuinfo && echo "AVX-512 VNNI" || (grep -q avx2 /proc/cpuinfo && echo AVX2 || echo "no AVX2"))
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) ($isa), $(nproc) cores; store $store"

# N photos: the dataset's images, hard-linked under a folder per copy.
mapfile -t images < <(ls "$data/images"/*.jpg "$data/images"/*.png 2>/dev/null)
copies=$(((n + ${#images[@]} - 1) / ${#images[@]}))
count=0
for ((c = 0; c < copies && count < n; c++)); do
  mkdir -p "$work/photos/copy $c"
  for img in "${images[@]}"; do
    [ $count -lt $n ] || break
    ln "$img" "$work/photos/copy $c/$(basename "$img")" 2>/dev/null || cp "$img" "$work/photos/copy $c/"
    count=$((count + 1))
  done
done
echo "$count photos under $work/photos"

echo "== maskwatch scan, one machine"
/usr/bin/time -f "%e %U %S %M" -o "$work/time" \
  "$mw" -q --store "$store" --json scan "$work/photos" --results "sqlite://$work/photos.db" --detector latest \
  >"$work/scan.json"
read -r wall user sys rss <"$work/time"
python3 - "$work/scan.json" "$wall" "$user" "$sys" "$rss" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); wall, user, sys_, rss = map(float, sys.argv[2:])
photos = s["labelled"] + s["failed"]
print("scan: %d photos in %.1f s: %.1f photos/s, %.4f CPU-s a photo, peak RSS %.0f MB (labelled %d, failed %d)"
      % (photos, wall, photos / wall, (user + sys_) / photos, rss / 1024, s["labelled"], s["failed"]))
PY

echo "== the packaged function, 4 instances, Distributed Map (faults on)"
"$mw" -q --store "$store" package -o "$work/fn.zip" --zip-level 1 >/dev/null
flat=$work/flat
mkdir -p "$flat"
i=0
for f in "$work"/photos/*/*; do ln "$f" "$flat/$i-$(basename "$f")" 2>/dev/null || cp "$f" "$flat/$i-$(basename "$f")"; i=$((i + 1)); done
python3 tests/fanout/lambda_fanout.py --function "$work/fn.zip" --maskwatch "$mw" --services tests/services \
  --store "$store" --detector latest --photos "$flat" --instances 4 --kill-batch 7 --slowdown-after 20 \
  --slowdown-for 5 --throttle-share 0.02 >"$work/fanout.json"
python3 - "$work/fanout.json" "$memory_mb" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); memory_gb = int(sys.argv[2]) / 1024
print("function: %d photos in %.1f s: %.1f photos/s, %.4f CPU-s a photo, peak RSS %d MB an instance; "
      "%d records (%d distinct, %d missing); %d batches, %d retried; %d S3 503s, %d throttles, %d killed"
      % (s["objects"], s["seconds"], s["photos_per_second"], s["cpu_seconds_per_photo"], s["peak_rss_mb"],
         s["records"], s["distinct"], s["missing"], s["batches"], s["batch_retries"], s["s3_503"], s["throttled"],
         s["killed"]))
# A million photos at the measured milliseconds a photo (list prices, x86, per million: Lambda 0.0000166667 $/GB-s
# and 0.20 $ a million requests; Step Functions standard 25 $ a million state transitions (about 3 a batch of 50);
# DynamoDB on-demand 0.625 $ a million writes and 0.125 $ a million reads; S3 0.40 $ a million GETs).
# Two figures: the milliseconds the records hold (an upper bound: here 4 instances share the cores) and the
# CPU-seconds a photo (what a function with a whole vCPU, 1,769 MB and more, spends).
photos, batch = 1e6, 50
sfn = photos / batch * 3 * 25 / 1e6
ddb = photos * (0.625 + 0.125) / 1e6
s3 = photos * 0.40 / 1e6
for what, ms in (("measured", s["function_ms_per_photo"]), ("CPU", s["cpu_seconds_per_photo"] * 1000)):
    lam = photos * ms / 1000 * memory_gb * 0.0000166667 + photos / batch * 0.20 / 1e6
    print("a million photos on Lambda at %d MB and %.1f ms a photo (%s): Lambda $%.2f, Step Functions $%.2f, "
          "DynamoDB $%.2f, S3 $%.2f: $%.2f" % (memory_gb * 1024, ms, what, lam, sfn, ddb, s3, lam + sfn + ddb + s3))
PY
