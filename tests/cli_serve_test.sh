#!/usr/bin/env bash
# maskwatch serve as a process: it answers on the port it prints, writes one
# access-log line per request (JSON with --json), and on SIGTERM stops
# accepting, finishes the request in flight and exits 0.
# Usage: cli_serve_test.sh MASKWATCH_BINARY
set -uo pipefail
mw=$1
data=${MASKWATCH_DATA:-../shared/data/face-mask-detection}
work=$(mktemp -d)
source "$(dirname "$0")/serve_process.sh"
trap stop_serve EXIT
fail() {
  echo "FAIL: $*"
  [ -f "$work/serve.log" ] && cat "$work/serve.log"
  exit 1
}

source "$(dirname "$0")/small_store.sh"
s=$work/store
make_small_store 20 "$s" --epochs 1 --limit 32 --val-limit 16

start_serve "$work/serve.log" --json --store "$s" --threads 2
out=$(curl -sS "http://127.0.0.1:$port/healthz") || fail "healthz: $out"
grep -q '"ok"' <<<"$out" || fail "healthz: $out"

# A request whose body is still coming in when SIGTERM arrives completes;
# a new connection after it is refused.
python3 - "$port" "$data/images/maksssksksss0.jpg" "$srv" <<'PY' || fail "the request in flight did not complete"
import json, os, signal, socket, sys, time
port, image, pid = int(sys.argv[1]), open(sys.argv[2], "rb").read(), int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
head = ("POST /v1/predict?boxes=79,105,109,142 HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
        "Connection: close\r\nContent-Length: %d\r\n\r\n" % len(image)).encode()
s.sendall(head + image[:1000])
time.sleep(0.3)
os.kill(pid, signal.SIGTERM)
time.sleep(0.3)
try:
    socket.create_connection(("127.0.0.1", port), timeout=1).close()
    sys.exit("a new connection was accepted after SIGTERM")
except OSError:
    pass
s.sendall(image[1000:])
out = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    out += d
assert out.startswith(b"HTTP/1.1 200"), out[:300]
faces = json.loads(out.split(b"\r\n\r\n", 1)[1])["faces"]
assert len(faces) == 1 and faces[0]["label"], faces
PY
wait "$srv"
rc=$?
srv=""
[ "$rc" -eq 0 ] || fail "serve exited $rc on SIGTERM"
grep -q "stopping on SIGTERM" "$work/serve.log" || fail "no stop line"
python3 - "$work/serve.log" <<'PY' || fail "no JSON access-log line per request"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
assert [(l["method"], l["path"], l["status"]) for l in lines] == [("GET", "/healthz", 200), ("POST", "/v1/predict", 200)], lines
PY

# A path that is not UTF-8 is answered 404 and the process goes on; its
# access-log line shows the bytes escaped. The start-up says the memory bound.
start_serve "$work/serve2.log" --store "$s" --threads 2
grep -q "^memory: [0-9]* MiB at most for requests" "$work/serve2.log" || fail "no memory line at start"
for path in /%c0 /%ff.html /v1/benchmarks/runs/%ff; do
  code=$(curl -s --path-as-is -o "$work/body.json" -w "%{http_code}" "http://127.0.0.1:$port$path")
  [ "$code" = 404 ] || fail "$path: HTTP $code"
  python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$work/body.json" || fail "$path: not JSON"
done
kill -0 "$srv" 2>/dev/null || fail "serve died on a path that is not UTF-8"
code=$(curl -s -o /dev/null -w "%{http_code}" -X PUT --data x "http://127.0.0.1:$port/v1/predict")
[ "$code" = 405 ] || fail "PUT /v1/predict: HTTP $code"
curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || fail "no answer after the hostile requests"
grep -q 'GET /\\xc0 404' "$work/serve2.log" || fail "the access log does not escape the path"
echo "PASS"
