#!/usr/bin/env bash
# The CLI on an s3:// store: ingest and prepare against s3rver on loopback.
# Usage: cli_s3_store_test.sh MASKWATCH_BINARY SERVICES_DIR
set -uo pipefail
mw=$1
services=$2
data=${MASKWATCH_DATA:-../shared/data/face-mask-detection}
work=$(mktemp -d)
s3pid=""
cleanup() {
  if [ -n "$s3pid" ]; then kill "$s3pid" 2>/dev/null; wait "$s3pid" 2>/dev/null; fi
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
for key in dataset/index.json dataset/manifest.json reports/ingest.json shards/train.bin shards/val.bin \
  shards/test.bin raw/images/maksssksksss0.jpg raw/annotations/maksssksksss19.xml; do
  grep -q "<Key>runs/cli/$key</Key>" <<<"$listing" || fail "runs/cli/$key not in the bucket"
done
images=$(grep -o "<Key>runs/cli/raw/images/[^<]*</Key>" <<<"$listing" | wc -l)
[ "$images" -eq 20 ] || fail "$images images in the bucket, expected 20"
# Nothing was written to a local folder named after the URI.
[ ! -e "s3:" ] && [ ! -e "$work/voc/s3:" ] || fail "a local s3: folder was created"

# Clear errors: a bucket that does not exist, missing credentials.
out=$("$mw" -q --store s3://no-such-bucket/x ingest --data "$work/voc" 2>&1) && fail "ingest into a missing bucket succeeded"
grep -q "bucket 'no-such-bucket' does not exist at http://127.0.0.1:$port" <<<"$out" || fail "unclear: $out"
out=$(env -u AWS_ACCESS_KEY_ID "$mw" -q --store "$store" prepare 2>&1) && fail "prepare without credentials succeeded"
grep -q "AWS_ACCESS_KEY_ID" <<<"$out" || fail "unclear: $out"
echo "PASS"
