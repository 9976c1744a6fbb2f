#!/usr/bin/env bash
# Start-up of the CLI: `maskwatch --help`, `maskwatch --version` and `classify`
# of one face from process start (model load, decode, crop, inference, exit),
# median and min of N runs each. The store must hold a model (default: the
# main job's ./maskwatch-data).
# Usage: bench/startup.sh [--store DIR] [--runs N] [--bin build/maskwatch]
set -euo pipefail
cd "$(dirname "$0")/.."
store=maskwatch-data runs=20 bin=build/maskwatch
while [ $# -gt 0 ]; do
  case $1 in
    --store) store=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    *) echo "usage: $0 [--store DIR] [--runs N] [--bin PATH]" >&2; exit 2 ;;
  esac
done
data=${MASKWATCH_DATA:-../shared/data/face-mask-detection}
photo=$data/images/maksssksksss0.jpg
python3 - "$runs" "$bin" "$store" "$photo" <<'PY'
import statistics, subprocess, sys, time
runs, mw, store, photo = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
cases = {
    "maskwatch --help": [mw, "--help"],
    "maskwatch --version": [mw, "--version"],
    "classify, one face": [mw, "--store", store, "--threads", "2", "classify", photo, "--box", "79,105,109,142"],
}
print(f"{'command':24} {'median s':>9} {'min s':>7}   ({runs} runs each)")
for name, cmd in cases.items():
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    print(f"{name:24} {statistics.median(times):9.3f} {min(times):7.3f}")
PY
