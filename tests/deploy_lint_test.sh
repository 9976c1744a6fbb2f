#!/usr/bin/env bash
# deploy/: the scan state machine is valid Amazon States Language
# (asl-validator) and the SAM template passes cfn-lint (where cfn-lint is
# installed); each checker is shown to refuse a planted mistake first.
# Usage: deploy_lint_test.sh SOURCE_DIR SERVICES_DIR
set -uo pipefail
src=$1
services=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

asl=$services/node_modules/.bin/asl-validator
[ -x "$asl" ] || fail "$asl is missing (scripts/setup.sh --tests installs it)"
sed 's/"MaxItemsPerBatch": 50/"MaxItemsPerBatch": "fifty"/' "$src/deploy/scan.asl.json" >"$work/bad.asl.json"
"$asl" --silent --json-path "$work/bad.asl.json" && fail "asl-validator passed a string MaxItemsPerBatch"
out=$("$asl" --json-path "$src/deploy/scan.asl.json" 2>&1) || fail "deploy/scan.asl.json: $out"
grep -q '"DefinitionUri: scan.asl.json"\|DefinitionUri: scan.asl.json' "$src/deploy/template.yaml" ||
  fail "the template does not use deploy/scan.asl.json"

if command -v cfn-lint >/dev/null; then
  sed 's/BatchSize: 10/BatchSize: ten/' "$src/deploy/template.yaml" >"$work/template.yaml"
  cp "$src/deploy/scan.asl.json" "$work/"
  cfn-lint "$work/template.yaml" >/dev/null 2>&1 && fail "cfn-lint passed BatchSize: ten"
  out=$(cfn-lint "$src/deploy/template.yaml" 2>&1) || fail "deploy/template.yaml: $out"
else
  echo "cfn-lint is not installed: the template's lint is skipped (asl-validator ran)"
fi
echo "PASS"
