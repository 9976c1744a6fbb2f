#!/usr/bin/env bash
# The CLI on AWS-shaped services: ingest, prepare, train and benchmark on an s3:// store
# (s3rver) with the results in DynamoDB (dynalite), all on loopback.
# Usage: cli_s3_store_test.sh MASKWATCH_BINARY SERVICES_DIR
set -uo pipefail
mw=$1
services=$2
data=${MASKWATCH_DATA:-../shared/data/face-mask-detection}
work=$(mktemp -d)
s3pid=""
ddbpid=""
cleanup() {
  if [ -n "$s3pid" ]; then kill "$s3pid" 2>/dev/null; wait "$s3pid" 2>/dev/null; fi
  if [ -n "$ddbpid" ]; then kill "$ddbpid" 2>/dev/null; wait "$ddbpid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

s3rver=$services/node_modules/.bin/s3rver
[ -x "$s3rver" ] || fail "$s3rver is missing (scripts/setup.sh installs it)"
[ -d "$data/annotations" ] || fail "dataset not found at $data"

# A small VOC folder: the first 20 images.
mkdir -p "$work/voc/images" "$work/voc/annotations"
for i in $(seq 0 19); do
  cp "$data/annotations/maksssksksss$i.xml" "$work/voc/annotations/" || fail "copy"
  cp "$data/images/maksssksksss$i.jpg" "$work/voc/images/" || fail "copy"
done

# s3rver on a free port (port 0: it prints the one it got). Its listing
# continuation tokens use DES: OpenSSL 3's legacy provider (see service_fixture.h).
NODE_OPTIONS="${NODE_OPTIONS:-} --openssl-legacy-provider" "$s3rver" --directory "$work/s3" --address 127.0.0.1 --port 0 --configure-bucket mw-cli >"$work/s3rver.log" 2>&1 &
s3pid=$!
port=""
for _ in $(seq 200); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/s3rver.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || fail "s3rver did not start: $(cat "$work/s3rver.log")"
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
unset AWS_ENDPOINT_URL_S3 AWS_SESSION_TOKEN
store=s3://mw-cli/runs/cli

out=$("$mw" -q --store "$store" ingest --data "$work/voc" 2>&1) || fail "ingest failed: $out"
out=$("$mw" -q --json --store "$store" prepare --crop-size 32 2>&1) || fail "prepare failed: $out"

# What landed in the bucket (s3rver answers unsigned listings).
listing=$(curl -sf "$AWS_ENDPOINT_URL/mw-cli?list-type=2&prefix=runs/cli/&max-keys=1000") || fail "cannot list the bucket"
gen=$(grep -o "<Key>runs/cli/raw/[0-9a-f]*/images/maksssksksss0.jpg</Key>" <<<"$listing" | cut -d/ -f4)
[ -n "$gen" ] || fail "no raw/<generation>/images/maksssksksss0.jpg in the bucket"
for key in dataset/index.json dataset/manifest.json reports/ingest.json shards/train.bin shards/val.bin \
  shards/test.bin raw/$gen/images/maksssksksss0.jpg raw/$gen/annotations/maksssksksss19.xml; do
  grep -q "<Key>runs/cli/$key</Key>" <<<"$listing" || fail "runs/cli/$key not in the bucket"
done
images=$(grep -o "<Key>runs/cli/raw/$gen/images/[^<]*</Key>" <<<"$listing" | wc -l)
[ "$images" -eq 20 ] || fail "$images images in the bucket, expected 20"
# Nothing was written to a local folder named after the URI.
[ ! -e "s3:" ] && [ ! -e "$work/voc/s3:" ] || fail "a local s3: folder was created"

# Training reads the shards from the bucket and publishes the model there.
out=$("$mw" -q --json --store "$store" --threads 2 train --arch resnet18 --epochs 1 --input-size 32 --batch 16 2>&1) \
  || fail "train on s3 failed: $out"
model=$(sed -n 's/^  "id": "\([0-9a-f]*\)".*/\1/p' <<<"$out")
[ -n "$model" ] || fail "no model id in: $out"
listing=$(curl -sf "$AWS_ENDPOINT_URL/mw-cli?list-type=2&prefix=runs/cli/models/&max-keys=1000") || fail "cannot list"
for f in model.json weights.pt inference.bin; do
  grep -q "<Key>runs/cli/models/$model/$f</Key>" <<<"$listing" || fail "models/$model/$f not in the bucket"
done

# The benchmark job on the bucket, recording into DynamoDB (dynalite on a free port).
dynalite=$services/node_modules/.bin/dynalite
ddbport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$dynalite" --host 127.0.0.1 --port "$ddbport" --createTableMs 0 >"$work/dynalite.log" 2>&1 &
ddbpid=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$ddbport") 2>/dev/null && break; sleep 0.1; done
export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$ddbport
for run in 1 2; do
  out=$("$mw" -q --json --store "$store" benchmark --sizes 5,10 --results dynamodb://benchmark 2>&1) \
    || fail "benchmark run $run failed: $out"
done
grep -q '"set_size": 10' <<<"$out" || fail "no set of 10 in: $out"
out=$("$mw" -q --json --store "$store" results --results dynamodb://benchmark 2>&1) || fail "results failed: $out"
n=$(grep -c '"run_id"' <<<"$out")
[ "$n" -eq 4 ] || fail "$n records in DynamoDB after two runs of two sets, expected 4 (history kept): $out"
out=$("$mw" -q --store "$store" results --results dynamodb://benchmark --size 10 2>&1) || fail "results --size failed"
grep -q "^2 records in dynamodb://benchmark" <<<"$out" || fail "results --size 10: $out"

# Clear errors: a bucket that does not exist, missing credentials.
out=$("$mw" -q --store s3://no-such-bucket/x ingest --data "$work/voc" 2>&1) && fail "ingest into a missing bucket succeeded"
grep -q "bucket 'no-such-bucket' does not exist at http://127.0.0.1:$port" <<<"$out" || fail "unclear: $out"
out=$(env -u AWS_ACCESS_KEY_ID "$mw" -q --store "$store" prepare 2>&1) && fail "prepare without credentials succeeded"
grep -q "AWS_ACCESS_KEY_ID" <<<"$out" || fail "unclear: $out"
echo "PASS"
