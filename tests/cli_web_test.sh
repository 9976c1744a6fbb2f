#!/usr/bin/env bash
# The web page in Debian's chromium against a real maskwatch serve: a
# dataset photo uploaded gets labelled boxes, the dashboard draws its charts
# (tests/web/page_test.js). Screenshots go to SCREENSHOT_DIR.
# Usage: cli_web_test.sh MASKWATCH_BINARY SCREENSHOT_DIR
set -uo pipefail
mw=$1
shots=$2
here=$(cd "$(dirname "$0")" && pwd)
data=${MASKWATCH_DATA:-../shared/data/face-mask-detection}
work=$(mktemp -d)
source "$(dirname "$0")/serve_process.sh"
trap stop_serve EXIT
fail() {
  echo "FAIL: $*"
  [ -f "$work/serve.log" ] && tail -20 "$work/serve.log"
  exit 1
}

command -v "${CHROMIUM:-chromium}" >/dev/null || fail "chromium is missing (scripts/setup.sh installs it)"
if [ ! -d "$here/web/node_modules/playwright-core" ]; then
  (cd "$here/web" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in tests/web"
fi
mkdir -p "$shots"

source "$(dirname "$0")/small_store.sh"
s=$work/store
make_small_store 20 "$s" --epochs 2 --limit 32 --val-limit 16
"$mw" -q --store "$s" --threads 2 benchmark --sizes 5,10,20 >/dev/null 2>&1 || fail "benchmark"

start_serve "$work/serve.log" --store "$s" --threads 2
grep -q "API only" "$work/serve.log" && fail "the server found no web page"
node "$here/web/page_test.js" "http://127.0.0.1:$port/" "$data/images/maksssksksss4.jpg" "$shots" || fail "page test"
echo "screenshots in $shots"
