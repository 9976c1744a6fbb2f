#!/usr/bin/env bash
# A prefix fanned out over the packaged Lambda function, on loopback
# (tests/fanout/lambda_fanout.py): s3rver, dynalite, three function
# instances behind the Invoke API, the Distributed Map of deploy/scan.asl.json;
# an instance killed mid-batch, S3 answering 503 SlowDown for a while, invokes
# throttled with 429; `maskwatch scan --on-aws` starts the map through the
# Step Functions API and follows it. Every photo ends as exactly one record, and an upload
# under incoming/ delivered twice through EventBridge and SQS as one.
# Usage: lambda_fanout_test.sh MASKWATCH_BINARY SOURCE_DIR
set -uo pipefail
mw=$1
src=$2
source "$(dirname "$0")/cli_common.sh"

make_small_store 40 "$work/store" --epochs 1
out=$("$mw" -q --store "$work/store" package -o "$work/fn.zip" --zip-level 1 2>&1) || fail "package: $out"
mkdir -p "$work/photos"
for i in $(seq 0 59); do cp "$data/images/maksssksksss$i.jpg" "$work/photos/" || fail "copy"; done
out=$(python3 "$src/tests/fanout/lambda_fanout.py" --function "$work/fn.zip" --maskwatch "$mw" \
  --services "$src/tests/services" --store "$work/store" --photos "$work/photos" --instances 3 --batch 5 \
  --kill-batch 3 --slowdown-after 0.5 --slowdown-for 2 --throttle-share 0.1 --on-aws 2>"$work/harness.log")
rc=$?
[ $rc = 0 ] || fail "records lost or doubled (rc $rc): $out $(tail -20 "$work/harness.log")"
python3 - "$out" <<'PY' || fail "the faults did not all happen, or the records are wrong: $out"
import json, sys
s = json.loads(sys.argv[1])
assert s["objects"] == 60 and s["records"] == 60 and s["distinct"] == 60 and s["missing"] == 0, s
assert s["killed"] >= 1 and s["cold_starts"] >= 4, s           # the killed instance came back cold
assert s["s3_503"] >= 1 and s["throttled"] >= 1 and s["batch_retries"] >= 1, s
assert s["failed_records"] == 0, s
u = s["upload"]
a = s["on_aws"]  # maskwatch scan --on-aws started the map and followed it to the end
assert a["rc"] == 0 and a["answer"]["status"] == "SUCCEEDED" and a["answer"]["succeeded"] == 60, a
assert a["answer"]["failed"] == 0 and a["answer"]["execution"].startswith("arn:aws:states:"), a
assert u["records"] == 1 and u["answers"][0]["labelled"] == 1 and u["answers"][1]["duplicates"] == 1, u
PY
echo "PASS"
