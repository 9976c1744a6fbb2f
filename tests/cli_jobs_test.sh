#!/usr/bin/env bash
# The job commands end to end on a local store: benchmark (history kept in
# SQLite), results (table, JSON, SVG plot), schedule (runs now, stops on
# SIGTERM), package (the Lambda zip) and the packaged function answering a
# classify event and a scheduled event through a Runtime API on loopback.
# Usage: cli_jobs_test.sh MASKWATCH_BINARY SOURCE_DIR
set -uo pipefail
mw=$1
src=$2
data=${MASKWATCH_DATA:-../shared/data/face-mask-detection}
work=$(mktemp -d)
sched=""
cleanup() {
  if [ -n "$sched" ]; then kill "$sched" 2>/dev/null; wait "$sched" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

source "$(dirname "$0")/small_store.sh"
s=$work/store
make_small_store 40 "$s" --epochs 1

# benchmark: one record per set, kept across runs.
out=$("$mw" -q --json --store "$s" benchmark --sizes 5,40 2>&1) || fail "benchmark: $out"
grep -q '"engine": "plain' <<<"$out" || fail "the benchmark did not run the plain engine: $out"
grep -q '"set_size": 40' <<<"$out" || fail "no set of 40: $out"
"$mw" -q --store "$s" benchmark --sizes 5 >/dev/null 2>&1 || fail "second benchmark"
out=$("$mw" --json --store "$s" results 2>&1) || fail "results: $out"
[ "$(grep -c '"run_id"' <<<"$out")" -eq 3 ] || fail "expected 3 records: $out"
"$mw" --store "$s" benchmark --sizes 0 >/dev/null 2>&1 && fail "a set of 0 images was accepted"
out=$("$mw" -q --store "$s" benchmark --sizes 5 --no-record --results "sqlite://$work/never.db" 2>&1) || fail "--no-record: $out"
grep -q "not recorded" <<<"$out" && [ ! -e "$work/never.db" ] || fail "--no-record touched a table: $out"
out=$("$mw" --store "$s" results --results "sqlite://$work/never.db" 2>&1) && fail "results on a missing table succeeded"
grep -q "no results table here yet" <<<"$out" && [ ! -e "$work/never.db" ] || fail "results created a table: $out"
out=$("$mw" -q --store "$s" results --size 5 --plot "$work/plot.svg" 2>&1) || fail "results --plot: $out"
grep -q "^2 records in sqlite://" <<<"$out" || fail "results --size 5: $out"
grep -q "<svg" "$work/plot.svg" && [ "$(grep -c "<circle" "$work/plot.svg")" -eq 2 ] || fail "plot has not 2 points"
ls "$s/reports" | grep -q "^benchmark-" || fail "no benchmark report stored"

# schedule: --now runs at once; SIGTERM while waiting stops it cleanly; a second scheduler is refused.
"$mw" -q --store "$s" schedule --rate "rate(1 hour)" --now --sizes 5 2>"$work/sched.log" &
sched=$!
for _ in $(seq 1200); do grep -q "finished" "$work/sched.log" && break; sleep 0.1; done
grep -q "finished" "$work/sched.log" || fail "no scheduled run: $(cat "$work/sched.log")"
out=$("$mw" -q --store "$s" schedule --rate "rate(1 hour)" --now 2>&1) && fail "a second scheduler started"
grep -q "lock" <<<"$out" || fail "unclear refusal: $out"
kill -TERM "$sched"
wait "$sched"
rc=$?
sched=""
[ "$rc" -eq 0 ] || fail "schedule exited $rc on SIGTERM: $(cat "$work/sched.log")"
grep -q "stopping on SIGTERM" "$work/sched.log" || fail "no stop line: $(cat "$work/sched.log")"
"$mw" -q --store "$s" schedule --rate "rate(5 hour)" >/dev/null 2>&1 && fail "rate(5 hour) accepted"

# package: the Lambda zip, then the function itself on a Runtime API served on loopback.
out=$("$mw" --json --store "$s" package -o "$work/fn.zip" --zip-level 1 2>&1) || fail "package: $out"
grep -q '"fits": true' <<<"$out" || fail "package does not fit: $out"
out=$(python3 "$src/bench/lambda_cold_start.py" "$work/fn.zip" "$data/images/maksssksksss0.jpg" \
  --box 79,105,109,142 --runs 1 2>&1) || fail "classify event: $out"
grep -q '"label"' <<<"$out" || fail "no label in the function's answer: $out"
out=$(MASKWATCH_STORE="$s" MASKWATCH_SIZES=5 python3 "$src/bench/lambda_cold_start.py" "$work/fn.zip" \
  --event "$src/deploy/events/scheduled.json" --runs 1 2>&1) || fail "scheduled event: $out"
grep -q '"sets"' <<<"$out" || fail "no benchmark in the function's answer: $out"
# The scheduled job detect-then-classify, started by the input deploy/template.yaml's schedule passes: the
# packaged detector finds the faces.
out=$(MASKWATCH_STORE="$s" MASKWATCH_SIZES=5 MASKWATCH_BENCHMARK_DETECT=1 python3 "$src/bench/lambda_cold_start.py" \
  "$work/fn.zip" --event "$src/deploy/events/benchmark.json" --runs 1 2>&1) || fail "scheduled event, detect: $out"
grep -Eq '"detector": ?"pretrained"' <<<"$out" && grep -Eq '"face_recall": ?0\.[0-9]' <<<"$out" \
  || fail "no detect-then-classify record in the function's answer: $out"
echo "PASS"
