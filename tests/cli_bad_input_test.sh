#!/usr/bin/env bash
# The CLI on bad input: clear errors that name the file, and the rest goes on.
set -uo pipefail
mw=$1
data=${MASKWATCH_DATA:-../shared/data/face-mask-detection}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# No dataset anywhere: the error says how to get one.
out=$(cd "$work" && env -u MASKWATCH_DATA "$mw" --store "$work/s" ingest 2>&1) && fail "ingest without data succeeded"
grep -q "MASKWATCH_DATA" <<<"$out" || fail "no hint in: $out"

# An empty dataset folder.
mkdir -p "$work/empty/images" "$work/empty/annotations"
out=$("$mw" --store "$work/s" ingest --data "$work/empty" 2>&1) && fail "empty folder accepted"
grep -q "no .xml annotations" <<<"$out" || fail "unclear: $out"

# classify before any model exists.
out=$("$mw" --store "$work/s" classify --whole-image "$data/images/maksssksksss0.jpg" 2>&1) && fail "classify without a model"
grep -q "maskwatch train" <<<"$out" || fail "unclear: $out"

# Unknown options and subcommands are refused with help.
"$mw" frobnicate >/dev/null 2>&1 && fail "unknown subcommand accepted"
"$mw" train --epochs >/dev/null 2>&1 && fail "missing value accepted"
"$mw" --help | grep -q "pipeline" || fail "--help lists no pipeline"
# The main job end to end, tiny: the text report reaches the test split.
out=$("$mw" -q --store "$work/p" --threads 2 pipeline --data "$data" --input-size 32 --epochs 1 --limit 64 --val-limit 32 2>&1) \
  || fail "pipeline failed: $out"
grep -q "on the test split" <<<"$out" && grep -q "macro-F1" <<<"$out" || fail "no test report in: $out"
grep -q "^   400     400" <<<"$out" || fail "no benchmark set of 400 in: $out"
[ -f "$work/p/results.db" ] || fail "the pipeline's benchmark wrote no results table"
ls "$work/p/reports/" | grep -q "pipeline-" || fail "no pipeline report stored"
echo "PASS"
