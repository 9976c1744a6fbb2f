#!/usr/bin/env bash
# The benchmark job, maskwatch against the report's Python job, in one run on
# one machine: `maskwatch benchmark` (model load, read, decode, crop, classify)
# and ../shared/bench/seed_job.py (torchvision ResNet-34 at 224 px, random
# weights; needs Debian's python3-torch, python3-torchvision, python3-opencv).
# Usage: bench/job_vs_seed.sh [STORE] [SIZES]   (default: maskwatch-data 100,200,400)
set -euo pipefail
cd "$(dirname "$0")/.."
store=${1:-maskwatch-data}
sizes=${2:-100,200,400}
data=${MASKWATCH_DATA:-$(cd .. && pwd)/shared/data/face-mask-detection}
threads=$(nproc)
echo "== maskwatch benchmark --sizes $sizes (store $store, $threads threads)"
build/maskwatch --store "$store" --threads "$threads" benchmark --sizes "$sizes" --no-record
seed=../shared/bench/seed_job.py
if /usr/bin/python3 -c "import torch, torchvision, cv2" 2>/dev/null; then
  echo "== $seed --sizes $sizes ($threads threads)"
  /usr/bin/python3 "$seed" --data "$data" --sizes "$sizes" --threads "$threads"
else
  echo "== $seed skipped: apt-get install python3-torch python3-torchvision python3-opencv"
fi
