#!/usr/bin/env bash
# Slow clients beside normal load on `maskwatch serve`, on loopback only:
# wrk's POST /v1/predict (one dataset photo and its boxes) at 2 connections,
# first alone, then beside N clients that each send their request's headers
# one byte a second (answered 408 once --receive-timeout-ms, 4 s here, has
# passed; each then connects again). Prints requests/s and latency
# percentiles of both runs, the ratio of their p99s and how the slow clients
# were answered. Then the server's resident memory at start, warm, and before
# and after bursts of large photos and bodies, its peak, and the bound it
# printed at start.
# Usage: bench/slow_clients.sh --store DIR [--bin build/maskwatch] [--seconds 10] [--slow 100]
set -euo pipefail
cd "$(dirname "$0")/.."
store="" bin=build/maskwatch seconds=10 slow=100
while [ $# -gt 0 ]; do
  case $1 in
    --store) store=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --slow) slow=$2; shift 2 ;;
    *) echo "usage: $0 --store DIR [--bin PATH] [--seconds N] [--slow N]" >&2; exit 2 ;;
  esac
done
[ -n "$store" ] || { echo "usage: $0 --store DIR ..." >&2; exit 2; }
data=${MASKWATCH_DATA:-../shared/data/face-mask-detection}
photo=$data/images/maksssksksss0.jpg
work=$(mktemp -d)
source bench/serve_common.sh
start_bench_server "$bin" "$store" --receive-timeout-ms 4000
write_wrk_post "$photo"
load() { wrk -t 1 -c 2 -d "${seconds}s" -s "$work/post.lua" "$url/v1/predict?boxes=79,105,109,142" | tail -1; }
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(grep -q avx512_vnni /proc/cpuinfo && echo AVX-512 VNNI || echo AVX2)"
quiet=$(load)
echo "quiet:             $quiet"
python3 - "$slow" "$((seconds + 4))" "$port" > "$work/slow.txt" <<'PY' &
import socket, sys, threading, time
n, seconds, port = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
statuses = []
request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 64 + b"\r\n\r\n"
def one(end):  # one connection sending a byte a second until answered; its status
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(1.0)
    try:
        for b in request:
            if time.time() > end: return "none"
            s.sendall(bytes([b]))
            try:
                got = s.recv(4096)
                return got.split(b" ")[1].decode() if got else "closed"
            except socket.timeout:
                pass
        return "whole"
    except OSError:
        return "reset"
    finally:
        s.close()
def client():  # connects again after each answer, until the time is up
    end = time.time() + seconds
    while time.time() < end:
        statuses.append(one(end))
threads = [threading.Thread(target=client) for _ in range(n)]
for t in threads: t.start()
for t in threads: t.join()
from collections import Counter
print(", ".join(f"{k} {v}" for k, v in sorted(Counter(statuses).items())))
PY
slowpid=$!
sleep 2
busy=$(load)
echo "beside $slow slow: $busy"
wait "$slowpid"
echo "slow clients answered: $(cat "$work/slow.txt")"
python3 - "$quiet" "$busy" <<'PY'
import re, sys
p99 = [float(re.search(r"p99 ([0-9.]+) ms", s).group(1)) for s in sys.argv[1:]]
print(f"p99 beside the slow clients / quiet: {p99[1] / p99[0]:.2f}")
PY
# Memory after bursts of large photos and bodies, every worker warmed first:
# 8 at once of a 6000x6000 PNG, of the same as a JPEG (made by the server,
# ?annotate=1), and of 16 MiB bodies that are no image.
python3 - "$work/big.png" 6000 <<'PY'
import struct, sys, zlib
path, side = sys.argv[1], int(sys.argv[2])
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
z = zlib.compressobj(9); row = b"\x00" + bytes([128, 64, 32]) * side
idat = b"".join(z.compress(row) for _ in range(side)) + z.flush()
open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)) +
                       chunk(b"IDAT", idat) + chunk(b"IEND", b""))
PY
curl -sf -o "$work/big.jpg" -H "Content-Type: image/png" --data-binary "@$work/big.png" \
  "$url/v1/predict?annotate=1&boxes=1,1,10,10"
head -c $((16 << 20)) /dev/urandom > "$work/junk.bin"
post() { curl -s -o /dev/null -w "%{http_code} " -H "Content-Type: $1" --data-binary "@$2" "$url/v1/predict"; }
burst() {  # $1 requests at once of type $2, file $3; waits for them (not for the server)
  local pids=() i
  for ((i = 0; i < $1; i++)); do post "$2" "$3" & pids+=($!); done
  wait "${pids[@]}"
}
started=$(rss)
for _ in 1 2 3; do burst 8 image/jpeg "$photo"; done >/dev/null
echo "resident memory: $started at start, $(rss) with every worker warm"
for what in "image/png big.png 6000x6000 PNG" "image/jpeg big.jpg 6000x6000 JPEG" "image/jpeg junk.bin 16 MiB body"; do
  read -r type file label <<<"$what"
  before=$(rss)
  burst 8 "$type" "$work/$file" > "$work/codes.txt"
  sleep 1
  echo "8 at once of $label ($(tr ' ' '\n' < "$work/codes.txt" | sort | uniq -c | xargs)): $before before, $(rss) after"
done
echo "peak resident memory: $(awk '/^VmHWM/ {printf "%.0f MB", $2 / 1024}' "/proc/$srv/status")"
grep -o '^memory: .*' "$work/serve.log"
