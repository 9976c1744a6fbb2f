# Sourced by the bench scripts that load `maskwatch serve` with wrk (not run).
# Needs $work (a scratch folder) from the caller.

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
srv=""
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

# start_bench_server BIN STORE [serve options...]: the server on a free port
# of loopback, its log in $work/serve.log; sets $srv, $url and $port.
start_bench_server() {
  local bin=$1 store=$2
  shift 2
  "$bin" --store "$store" --threads 2 serve --port 0 --no-web "$@" 2> "$work/serve.log" &
  srv=$!
  for _ in $(seq 100); do grep -q "http://" "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
  url=$(grep -o "http://[^ /]*" "$work/serve.log" | head -1)
  [ -n "$url" ] || { echo "serve did not start: $(cat "$work/serve.log")" >&2; exit 1; }
  port=${url##*:}
}

# write_wrk_post PHOTO: $work/post.lua, wrk POSTing the JPEG PHOTO and
# printing one line of requests/s, latency percentiles and errors.
write_wrk_post() {
  cat > "$work/post.lua" <<LUA
local f = io.open("$1", "rb"); wrk.body = f:read("*a"); f:close()
wrk.method = "POST"
wrk.headers["Content-Type"] = "image/jpeg"
done = function(summary, latency)
  io.write(string.format("%d requests, requests/s %.1f  p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  not 2xx %d  socket errors %d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
}

# The server's resident memory, "123.4 MB".
rss() { awk '/^VmRSS/ {printf "%.1f MB", $2 / 1024}' "/proc/$srv/status"; }
