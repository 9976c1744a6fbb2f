#!/usr/bin/env bash
# Load on `maskwatch serve` with wrk, on loopback only: POST /v1/predict with
# one dataset photo and its annotated boxes (every face classified), or with
# --detect without boxes (the face detector finds them first), for a
# bounded time at each concurrency; prints requests/s, latency percentiles,
# the answers that were not 2xx (503s past --max-in-flight, 8) and socket
# errors. The server runs with the store's latest model, 2 threads, its
# access log on (to a file).
# Usage: bench/serve_load.sh --store DIR [--bin build/maskwatch] [--seconds 10] [--connections "1 2 8"] [--detect]
set -euo pipefail
cd "$(dirname "$0")/.."
store="" bin=build/maskwatch seconds=10 connections="1 2 8" detect=0
while [ $# -gt 0 ]; do
  case $1 in
    --store) store=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --detect) detect=1; shift ;;
    *) echo "usage: $0 --store DIR [--bin PATH] [--seconds N] [--connections \"1 2 8\"]" >&2; exit 2 ;;
  esac
done
[ -n "$store" ] || { echo "usage: $0 --store DIR ..." >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
data=${MASKWATCH_DATA:-../shared/data/face-mask-detection}
photo=$data/images/maksssksksss0.jpg
boxes=$(python3 - "$data/annotations/maksssksksss0.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
print(";".join(",".join(o.find("bndbox").find(k).text for k in ("xmin", "ymin", "xmax", "ymax")) for o in r.iter("object")))
PY
)
work=$(mktemp -d)
srv=""
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
"$bin" --store "$store" --threads 2 serve --port 0 --no-web 2> "$work/serve.log" &
srv=$!
for _ in $(seq 100); do grep -q "http://" "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o "http://[^ /]*" "$work/serve.log" | head -1)
[ -n "$url" ] || { echo "serve did not start: $(cat "$work/serve.log")" >&2; exit 1; }
cat > "$work/post.lua" <<LUA
local f = io.open("$photo", "rb"); wrk.body = f:read("*a"); f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "image/jpeg"
done = function(summary, latency)
  io.write(string.format("%d requests, requests/s %.1f  p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  not 2xx %d  socket errors %d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
faces=$(tr ';' '\n' <<<"$boxes" | wc -l)
query="?boxes=$boxes" what="$faces faces by box"
[ "$detect" = 1 ] && query="" what="no boxes: detect-then-classify"
rss() { awk '/^VmRSS/ {printf "%.1f MB", $2 / 1024}' "/proc/$srv/status"; }
echo "POST /v1/predict: $(basename "$photo"), $what, ${seconds} s per row; server resident memory at start $(rss)"
for c in $connections; do
  printf "  %2d connections: " "$c"
  wrk -t 1 -c "$c" -d "${seconds}s" -s "$work/post.lua" "$url/v1/predict$query" | tail -1
  echo "      resident memory after: $(rss)"
done
