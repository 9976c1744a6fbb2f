#!/usr/bin/env bash
# maskwatch scan on a folder: every photo recorded once in the photo table;
# a scan killed part-way continues where it stopped (no photo twice, none
# lost); a rewritten photo is a new version; a broken photo is recorded as
# failed with the reason; results --photos filters and sums them.
# Usage: cli_scan_test.sh MASKWATCH_BINARY
set -uo pipefail
mw=$1
source "$(dirname "$0")/cli_common.sh"

make_small_store 40 "$work/store" --epochs 1
photos=$work/photos
mkdir -p "$photos/camera 1" "$photos/ünïcode" "$photos/deep/er"
for i in $(seq 0 29); do
  case $((i % 3)) in 0) dir="camera 1" ;; 1) dir="ünïcode" ;; *) dir="deep/er" ;; esac
  cp "$data/images/maksssksksss$i.jpg" "$photos/$dir/photo $i.jpg" || fail "copy"
done
echo "not a photo at all" >"$photos/broken.jpg"
echo "notes" >"$photos/README.txt"
db=$work/photos.db
scan() { "$mw" -q --store "$work/store" --threads 1 scan "$photos" --results "sqlite://$db" --detector pretrained "$@"; }
count() { "$mw" -q --store "$work/store" results --photos --results "sqlite://$db" --json "$@" |
  python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }

# Killed once some records are in.
scan --jsonl "$work/first.jsonl" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [ -f "$work/first.jsonl" ] && [ "$(wc -l <"$work/first.jsonl")" -ge 5 ] && break
  sleep 0.1
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
done_first=$(wc -l <"$work/first.jsonl")
[ "$done_first" -ge 5 ] && [ "$done_first" -lt 31 ] || fail "the first scan recorded $done_first photos before it was killed"

# Resumed: the rest, and nothing twice.
out=$(scan --json --jsonl "$work/second.jsonl") || fail "the resumed scan failed: $out"
python3 - "$out" "$done_first" <<'PY' || fail "resumed scan: $out"
import json, sys
s, first = json.loads(sys.argv[1]), int(sys.argv[2])
assert s["objects"] == 32 and s["not_photos"] == 1, s
assert s["recorded"] >= first and s["recorded"] + s["labelled"] + s["failed"] == 31, s
assert s["unreached"] == 0, s
PY
[ "$(count)" = 31 ] || fail "$(count) records after the resumed scan, not 31"
python3 - "$work/first.jsonl" "$work/second.jsonl" <<'PY' || fail "a photo was labelled twice or not at all"
import json, sys
uris = [json.loads(l)["uri"] for f in sys.argv[1:] for l in open(f)]
assert len(uris) == len(set(uris)), "twice: %s" % [u for u in uris if uris.count(u) > 1]
assert len(uris) in (31, 32), len(uris)  # the killed scan may have written one line it did not commit, never more
PY

# Nothing left to do; then one photo rewritten is a new version.
out=$(scan --json) || fail "third scan: $out"
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["recorded"] == 31 and s["labelled"] == 0, s' "$out" ||
  fail "a complete scan labelled again: $out"
sleep 0.01
cp "$data/images/maksssksksss40.jpg" "$photos/camera 1/photo 0.jpg"
out=$(scan --json) || fail "fourth scan: $out"
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["labelled"] == 1 and s["recorded"] == 30, s' "$out" ||
  fail "a rewritten photo was not labelled again: $out"
[ "$(count)" = 32 ] || fail "$(count) records, not 32"

# The failed photo, with its reason; label filters; the summary line.
failed=$("$mw" -q --store "$work/store" results --photos --results "sqlite://$db" --failed) || fail "results --failed"
echo "$failed" | grep -q "broken.jpg  failed: .*JPEG or PNG" || fail "the broken photo's record: $failed"
echo "$failed" | grep -q "^1 photo, 0 faces, 1 failed in sqlite://" || fail "the summary of --failed: $failed"
all=$("$mw" -q --store "$work/store" results --photos --results "sqlite://$db") || fail "results --photos"
echo "$all" | grep -Eq "^32 photos, [0-9]+ faces \(.*\), 1 failed" || fail "summary: $(echo "$all" | tail -1)"
labelled=$(count --label with_mask)
[ "$labelled" -gt 0 ] && [ "$labelled" -le 31 ] || fail "--label with_mask gave $labelled photos"

# Bad input named: a missing folder, an unknown table scheme.
err=$("$mw" -q --store "$work/store" scan "$work/missing" --results "sqlite://$db" 2>&1) && fail "a missing folder was scanned"
echo "$err" | grep -q "missing" || fail "a missing folder was not named: $err"
err=$("$mw" -q --store "$work/store" scan "$photos" --results "mysql://x" 2>&1) && fail "mysql:// was accepted"
echo "$err" | grep -q "mysql://x" || fail "the table URI was not named: $err"
err=$("$mw" -q scan "$photos" --on-aws --state-machine arn:aws:states:eu-west-1:1:stateMachine:s 2>&1) &&
  fail "a folder was scanned on AWS"
echo "$err" | grep -q "s3://bucket/prefix" || fail "--on-aws with a folder: $err"
err=$(MASKWATCH_SCAN_STATE_MACHINE= "$mw" -q scan s3://photos/archive/ --on-aws 2>&1) && fail "no state machine accepted"
echo "$err" | grep -q "state-machine" || fail "--on-aws without a state machine: $err"
echo "PASS"
