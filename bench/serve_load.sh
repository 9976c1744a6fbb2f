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
data=${MASKWATCH_DATA:-../shared/data/face-mask-detection}
photo=$data/images/maksssksksss0.jpg
boxes=$(python3 - "$data/annotations/maksssksksss0.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
print(";".join(",".join(o.find("bndbox").find(k).text for k in ("xmin", "ymin", "xmax", "ymax")) for o in r.iter("object")))
PY
)
work=$(mktemp -d)
source bench/serve_common.sh
start_bench_server "$bin" "$store"
write_wrk_post "$photo"
faces=$(tr ';' '\n' <<<"$boxes" | wc -l)
query="?boxes=$boxes" what="$faces faces by box"
[ "$detect" = 1 ] && query="" what="no boxes: detect-then-classify"
echo "POST /v1/predict: $(basename "$photo"), $what, ${seconds} s per row; server resident memory at start $(rss)"
for c in $connections; do
  printf "  %2d connections: " "$c"
  wrk -t 1 -c "$c" -d "${seconds}s" -s "$work/post.lua" "$url/v1/predict$query" | tail -1
  echo "      resident memory after: $(rss)"
done
