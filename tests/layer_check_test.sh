#!/usr/bin/env bash
# tools/check_layers.py, which the build runs: the tree as it is passes; a
# copy with an include against the order (the engine reading the AWS client,
# the detector reading the trainer, the Lambda handler reading the CLI) fails,
# naming each file, line and layer.
set -uo pipefail
root=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
check="python3 $root/tools/check_layers.py"
$check "$root/src" || fail "the tree breaks its own layers"
cp -r "$root/src" "$work/src" && cp "$root/CMakeLists.txt" "$work/"
echo '#include "aws/http_client.h"' >> "$work/src/infer/engine.cpp"
echo '#include "train/step.h"' >> "$work/src/detect/detector.h"
echo '#include "cli/cli.h"' >> "$work/src/lambda/handler.cpp"
out=$($check "$work/src" 2>&1) && fail "includes against the order passed"
echo "$out"
echo "$out" | grep -q 'infer/engine.cpp:[0-9]*: includes "aws/http_client.h" (cloud); the infer layer' ||
  fail "the engine's include is not named"
echo "$out" | grep -q 'detect/detector.h:[0-9]*: includes "train/step.h" (train)' || fail "the detector's include is not named"
echo "$out" | grep -q 'lambda/handler.cpp:[0-9]*: includes "cli/cli.h" (cli); the cloud layer may include only infer, cloud' ||
  fail "the handler's include is not named"
echo "$out" | grep -q "3 include(s) against the layer order" || fail "not counted"
