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

# A command that reads a store refuses a folder that is not there, and makes none.
for cmd in "models" "evaluate" "classify --whole-image $data/images/maksssksksss0.jpg" "benchmark --no-record"; do
  out=$("$mw" --store "$work/typo" $cmd 2>&1) && fail "$cmd on a missing store succeeded"
  grep -q "no store here" <<<"$out" || fail "$cmd: unclear: $out"
  [ -e "$work/typo" ] && fail "$cmd created the missing store"
done

# classify before any model exists.
mkdir -p "$work/s"
out=$("$mw" --store "$work/s" classify --whole-image "$data/images/maksssksksss0.jpg" 2>&1) && fail "classify without a model"
grep -q "maskwatch train" <<<"$out" || fail "unclear: $out"

# Typos get the nearest command or option.
out=$("$mw" clasify x.jpg 2>&1) && fail "a mistyped command was accepted"
grep -q "did you mean 'classify'" <<<"$out" || fail "no suggestion in: $out"
out=$("$mw" evaluate --splt test 2>&1) && fail "a mistyped option was accepted"
grep -q "did you mean --split" <<<"$out" || fail "no suggestion in: $out"
"$mw" --version | grep -Eq "^maskwatch [0-9]+\.[0-9]+\.[0-9]+ \(commit " || fail "--version: $("$mw" --version 2>&1)"

# Unknown options and subcommands are refused with help.
"$mw" frobnicate >/dev/null 2>&1 && fail "unknown subcommand accepted"
"$mw" train --epochs >/dev/null 2>&1 && fail "missing value accepted"
for framing in "0,x,0.25" "0,0.6" "0,0.6,0.25,1" "nan,0.6,0.25"; do
  out=$("$mw" --store "$work/none" train --framing "$framing" 2>&1) && fail "--framing $framing accepted"
  grep -q "expected MIN,MAX,SHIFT" <<<"$out" || fail "--framing $framing: $out"
done
"$mw" --help | grep -q "pipeline" || fail "--help lists no pipeline"
# The main job end to end, tiny: the text report reaches the test split.
out=$("$mw" -q --store "$work/p" --threads 2 pipeline --data "$data" --arch resnet18 --input-size 32 --epochs 1 --limit 64 --val-limit 32 \
  --detector-epochs 1 --detector-limit 8 --detector-val-limit 8 2>&1) || fail "pipeline failed: $out"
grep -q "on the test split" <<<"$out" && grep -q "macro-F1" <<<"$out" || fail "no test report in: $out"
grep -q "^   400     400" <<<"$out" || fail "no benchmark set of 400 in: $out"
[ -f "$work/p/results.db" ] || fail "the pipeline's benchmark wrote no results table"
ls "$work/p/reports/" | grep -q "pipeline-" || fail "no pipeline report stored"
# It also fine-tuned and published a detector, scored it on the test split, and
# benchmarked detect-then-classify: the results table holds both modes.
grep -q "^trained detector " <<<"$out" && grep -q "detect-then-classify:  mAP@0.5 0" <<<"$out" \
  || fail "no detector training or detection report in: $out"
[ -f "$work/p/detectors/latest" ] || fail "the pipeline published no detector"
"$mw" --store "$work/p" --json results | python3 -c '
import json, sys
recs = json.load(sys.stdin)
modes = sorted(r["mode"] for r in recs)
assert modes == ["boxes"] * 3 + ["detect"] * 3, modes
for r in recs:
    if r["mode"] == "detect":
        assert 0 < r["map_50"] <= 1 and 0 < r["face_recall"] <= 1 and r["detector"], r
        assert r["objects"] > 0 and 0 <= r["accuracy"] <= 1, r
    else:
        assert r["map_50"] is None and r["detector"] is None, r
' || fail "the results table lacks the detect records"
out=$("$mw" --store "$work/p" pipeline --detector-epochs -1 2>&1) && fail "a negative --detector-epochs was accepted"
grep -q -- "--detector-epochs" <<<"$out" || fail "a negative --detector-epochs: $out"

# Global options before or after the command, in any order.
a=$("$mw" --store "$work/p" --json evaluate --split val 2>/dev/null) || fail "evaluate with options first"
b=$("$mw" evaluate --split val --json --store "$work/p" -q 2>/dev/null) || fail "evaluate with options after"
[ "$a" = "$b" ] || fail "the same options in another place gave another result"
python3 -c 'import json,sys; r=json.load(sys.stdin); assert 0 <= r["accuracy"] <= 1' <<<"$b" || fail "not JSON: $b"

# models lists the pipeline's model as latest, with the test figures evaluate recorded.
models=$("$mw" models --store "$work/p" --json) || fail "models"
python3 - "$models" <<'PY' || fail "models: $models"
import json, sys
m = json.loads(sys.argv[1])
assert len(m) == 1 and m[0]["latest"] and m[0]["arch"] == "resnet18", m
assert m[0]["test"] is not None and 0 <= m[0]["test"]["accuracy"] <= 1, m
PY
id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])' <<<"$models")
"$mw" --store "$work/p" models show "${id:0:6}" | grep -q "model $id (latest)" || fail "models show"
out=$("$mw" --store "$work/p" models show nosuchid 2>&1) && fail "models show of a missing id succeeded"
grep -q "no such model" <<<"$out" || fail "models show of a missing id: $out"

# Per-file errors name the file; the other images are still classified (also with --json).
printf 'not an image' > "$work/bad.jpg"
head -c 2000 "$data/images/maksssksksss1.jpg" > "$work/cut.jpg"
out=$("$mw" --store "$work/p" classify --json --box 10,10,40,40 "$data/images/maksssksksss0.jpg" "$work/bad.jpg" \
  "$work/cut.jpg" "$work/missing.jpg" 2>"$work/err") && fail "bad images gave exit 0"
for f in bad.jpg cut.jpg missing.jpg; do grep -q "$work/$f" "$work/err" || fail "$f not named in: $(cat "$work/err")"; done
python3 - "$out" <<'PY' || fail "classify --json: $out"
import json, sys
r = json.loads(sys.argv[1])
assert len(r) == 4 and len(r[0]["faces"]) == 1 and all("error" in x for x in r[1:]), r
PY
out=$("$mw" --store "$work/p" classify --box 0x4f,1,20,20 "$data/images/maksssksksss0.jpg" 2>&1) && fail "hex box accepted"
grep -q "decimal" <<<"$out" || fail "unclear: $out"

# An honest "unsure": the published model carries a temperature fitted on validation; evaluate reports
# calibration and risk-coverage; a face less sure than --min-confidence is answered "unsure", its guess kept.
"$mw" --store "$work/p" models show --json | python3 -c '
import json, sys
c = json.load(sys.stdin)["confidence"]
assert c["fitted_on"] == "val" and 0.05 <= c["temperature"] <= 20 and c["ece_val_after"] <= c["ece_val_before"] + 1e-9, c
' || fail "no fitted temperature in model.json"
out=$("$mw" --store "$work/p" --json evaluate --risk-plot "$work/risk.svg" 2>&1) || fail "evaluate --risk-plot: $out"
python3 - "$out" <<'PY' || fail "evaluate --json confidence: $out"
import json, sys
c = json.loads(sys.argv[1])["confidence"]
assert 0 <= c["ece_before"] <= 1 and 0 <= c["ece_after"] <= 1, c
pts = {p["coverage"]: p for p in c["risk_coverage"]}
assert sorted(pts) == [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0], pts
assert all(0 <= p["accuracy"] <= 1 for p in pts.values()), pts
assert pts[1.0]["answered"] >= pts[0.5]["answered"] > 0, pts
PY
grep -q "<svg" "$work/risk.svg" && grep -q "<path" "$work/risk.svg" || fail "no risk-coverage curve in the plot"
"$mw" --store "$work/p" evaluate | grep -q "expected calibration error" || fail "evaluate's text has no calibration"
img="$data/images/maksssksksss0.jpg"
boxes=(--box 79,105,109,142 --box 185,100,226,144 --box 325,90,360,141)
out=$("$mw" --store "$work/p" classify --json "${boxes[@]}" "$img") || fail "classify: $out"
threshold=$(python3 - "$out" <<'PY'
import json, sys
f = json.loads(sys.argv[1])[0]["faces"]
assert all("guess" not in x and x["label"] != "unsure" for x in f), f
c = sorted(x["confidence"] for x in f)
assert c[0] < c[-1], c
print((c[0] + c[-1]) / 2)
PY
) || fail "classify without --min-confidence: $out"
out=$("$mw" --store "$work/p" classify --json --min-confidence "$threshold" "${boxes[@]}" "$img") || fail "--min-confidence: $out"
python3 - "$out" "$threshold" <<'PY' || fail "classify --min-confidence $threshold: $out"
import json, sys
f, t = json.loads(sys.argv[1])[0]["faces"], float(sys.argv[2])
unsure = [x for x in f if x["label"] == "unsure"]
assert 0 < len(unsure) < len(f), f
assert all(x["confidence"] < t and x["guess"] in x["scores"] for x in unsure), f
assert all(x["confidence"] >= t and "guess" not in x for x in f if x["label"] != "unsure"), f
PY
"$mw" --store "$work/p" classify --min-confidence 1 "${boxes[@]}" "$img" | grep -q "unsure (best guess " ||
  fail "no unsure face in the text output"
out=$("$mw" --store "$work/p" classify --min-confidence 1.5 "${boxes[@]}" "$img" 2>&1) && fail "--min-confidence 1.5 accepted"
grep -q "min-confidence '1.5'.*expected a number from 0 to 1" <<<"$out" || fail "unclear: $out"
out=$("$mw" --store "$work/p" --json models calibrate 2>&1) || fail "models calibrate: $out"
grep -q '"temperature"' <<<"$out" || fail "models calibrate fitted no temperature: $out"
echo "PASS"
