# Sourced by the tests that run `maskwatch serve` as a process. Needs $mw,
# $work and fail() from the caller; sets $srv (the server's pid, which
# stop_serve ends) and $port.
# Usage: start_serve LOG [maskwatch options...]   (global options may come anywhere)
srv=""
start_serve() {
  local log=$1
  shift
  "$mw" "$@" serve --port 0 2>"$log" &
  srv=$!
  for _ in $(seq 100); do grep -q "^serving model" "$log" && break; sleep 0.1; done
  port=$(grep -o "127.0.0.1:[0-9]*" "$log" | head -1 | cut -d: -f2)
  [ -n "$port" ] || fail "no port printed"
}
# Ends the server if it still runs, and removes $work: the tests' EXIT trap.
stop_serve() {
  if [ -n "$srv" ]; then kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null; fi
  rm -rf "$work"
}
