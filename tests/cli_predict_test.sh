#!/usr/bin/env bash
# maskwatch predict and evaluate --detect on real photos: the detector finds
# most of a dataset photo's annotated faces, a folder with a corrupt photo
# goes on past it, annotated copies are JPEGs and never replace a photo or an
# earlier copy, and the detection figures are numbers in range.
set -uo pipefail
mw=$1
source "$(dirname "$0")/cli_common.sh"
make_small_store 10 "$work/s" --epochs 1

# maksssksksss0 has 3 annotated faces; at least 2 are found (IoU >= 0.5).
out=$("$mw" --store "$work/s" predict --json "$data/images/maksssksksss0.jpg") || fail "predict: $out"
python3 - "$out" "$data/annotations/maksssksksss0.xml" <<'PY' || fail "predict found too few faces: $out"
import json, sys, xml.etree.ElementTree as ET
faces = json.loads(sys.argv[1])[0]["faces"]
truth = [[float(o.find("bndbox").find(k).text) for k in ("xmin", "ymin", "xmax", "ymax")]
         for o in ET.parse(sys.argv[2]).getroot().iter("object")]
def iou(a, b):
    w, h = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0: return 0
    i = w * h
    return i / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - i)
found = sum(any(iou(f["box"], t) >= 0.5 for f in faces) for t in truth)
assert 3 * found >= 2 * len(truth), (found, len(truth))
for f in faces:
    assert f["label"] in ("with_mask", "without_mask", "mask_weared_incorrect"), f
    assert 0.5 <= f["face_score"] <= 1, f
PY

# A folder of good photos and a corrupt one: the corrupt one is named, the rest are done.
mkdir -p "$work/photos" "$work/out"
cp "$data/images/maksssksksss0.jpg" "$data/images/maksssksksss14.jpg" "$work/photos/"
head -c 2000 "$data/images/maksssksksss19.jpg" > "$work/photos/broken.jpg"
out=$("$mw" --store "$work/s" predict --jsonl --out "$work/out" "$work/photos" 2>"$work/err") && fail "a corrupt photo passed"
grep -q "broken.jpg" "$work/err" || fail "the corrupt photo is not named: $(cat "$work/err")"
grep -q "1 of 3 photos failed" "$work/err" || fail "no count of failures: $(cat "$work/err")"
[ "$(wc -l <<<"$out")" -eq 3 ] || fail "expected a JSON line per photo: $out"
for f in maksssksksss0 maksssksksss14; do
  head -c 3 "$work/out/$f.jpg" | od -An -tx1 | grep -q "ff d8 ff" || fail "no annotated JPEG for $f"
done
[ -e "$work/out/broken.jpg" ] && fail "an annotated copy of the corrupt photo"

# A folder that cannot be walked in full: each entry that cannot be read is
# named and counted as failed, the photos are all done (exit 1). A symbolic
# link in a loop or to nothing named as a photo is such an entry; one not named
# as a photo, and a subfolder, are not photos and are passed over.
mkdir -p "$work/odd/sub"
cp "$data/images/maksssksksss0.jpg" "$data/images/maksssksksss14.jpg" "$work/odd/"
ln -s loop "$work/odd/loop"
ln -s loop.jpg "$work/odd/loop.jpg"
ln -s "$work/nowhere.jpg" "$work/odd/gone.jpg"
ln -s self "$work/self"
walked() {  # walked WHAT FAILED TOTAL ERROR_LINE... -- COMMAND...: run in $work, exit 1, those lines, the rest done
  local what=$1 failed=$2 total=$3 lines=()
  shift 3
  while [ "$1" != "--" ]; do lines+=("$1") && shift; done
  shift
  out=$(cd "$work" && "$@" 2>"$work/err")
  local rc=$?
  [ "$rc" -eq 1 ] || fail "$what: exit $rc, expected 1: $(cat "$work/err")"
  for l in "${lines[@]}" "$failed of $total photos failed"; do
    grep -qxF -- "$l" "$work/err" || fail "$what: no line '$l' in: $(cat "$work/err")"
  done
  [ "$(grep -c '"faces"' <<<"$out")" -eq $((total - failed)) ] || fail "$what: not every photo done: $out"
}
walked "links in a loop or to nothing" 3 5 \
  "error: odd/gone.jpg: cannot read: No such file or directory" \
  "error: odd/loop.jpg: cannot read: Too many levels of symbolic links" \
  "error: self: cannot read: Too many levels of symbolic links" \
  -- "$mw" -q --store s predict --jsonl odd self

# What the user cannot read: a folder that cannot be listed, one whose entries
# cannot be looked at, a photo. Root reads them all, so as root the run drops
# the capabilities that let it (setpriv); without setpriv the part is skipped.
as_user=()
[ "$(id -u)" -eq 0 ] &&
  as_user=(setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search --)
if "${as_user[@]}" true 2>/dev/null; then
  mkdir -p "$work/locked" "$work/unsearchable"
  cp "$data/images/maksssksksss0.jpg" "$work/locked/"
  cp "$data/images/maksssksksss0.jpg" "$work/unsearchable/a.jpg"
  cp "$data/images/maksssksksss14.jpg" "$work/unreadable.jpg"
  chmod 000 "$work/locked" "$work/unreadable.jpg"
  chmod 600 "$work/unsearchable"
  walked "unreadable folders and photos" 3 4 \
    "error: locked: cannot be listed: Permission denied" \
    "error: unsearchable/a.jpg: cannot read: Permission denied" \
    "error: unreadable.jpg: cannot open: Permission denied" \
    -- "${as_user[@]}" "$mw" -q --store s predict --jsonl locked unsearchable unreadable.jpg photos/maksssksksss0.jpg
  chmod 755 "$work/locked" "$work/unsearchable"
else
  echo "cli_predict: no setpriv to drop root's capabilities; unreadable folders not tested"
fi

# --out never replaces a photo: the input folder (however it is written), a
# photo's own name, or two photos with one name are refused up front (exit 2,
# nothing written); an existing annotated copy is kept unless --overwrite.
refused() {  # refused WHAT TEXT ARGS...: predict ARGS exits 2 naming TEXT
  local what=$1 text=$2
  shift 2
  (cd "$work" && "$mw" --store s predict "$@" >/dev/null 2>"$work/err")
  local rc=$?
  [ "$rc" -eq 2 ] || fail "$what: exit $rc, expected 2: $(cat "$work/err")"
  grep -qF -- "$text" "$work/err" || fail "$what: no '$text' in: $(cat "$work/err")"
  [ "$(wc -l <"$work/err")" -eq 1 ] || fail "$what: expected one line: $(cat "$work/err")"
}
sums() { (cd "$1" && md5sum -- *); }
before=$(sums "$work/photos")
refused "--out the input folder" "is the input folder" --out "$work/photos" "$work/photos"
refused "--out ./photos for photos/" "--out ./photos is the input folder photos/" --out ./photos photos/
refused "--out photos/ for ./photos" "is the input folder ./photos" --out photos/ ./photos
refused "--out a photo's folder" "the annotated copy of photos/maksssksksss0.jpg would replace it" \
  --out ./photos/. photos/maksssksksss0.jpg
[ "$(sums "$work/photos")" = "$before" ] || fail "a refused run changed the photos"
mkdir -p "$work/same-name"
cp "$data/images/maksssksksss0.jpg" "$work/same-name/a.jpg"
cp "$data/images/maksssksksss0.jpg" "$work/same-name/a.png"
refused "two photos with one name" "same-name/a.jpg and same-name/a.png would both be written as new/a.jpg" \
  --out new same-name
[ -e "$work/new" ] && fail "a refused run made its --out folder"
: >"$work/out/maksssksksss0.jpg"
before=$(sums "$work/out")
refused "existing copies" "2 of the annotated copies exist already: " --out out photos
[ "$(sums "$work/out")" = "$before" ] || fail "a refused run changed the annotated copies"
mkdir -p "$work/many" "$work/many-out"
for i in 1 2 3 4 5; do
  cp "$data/images/maksssksksss0.jpg" "$work/many/p$i.jpg" && touch "$work/many-out/p$i.jpg"
done
refused "many existing copies" "5 of the annotated copies exist already: many-out/p1.jpg, many-out/p2.jpg, many-out/p3.jpg and 2 more; --overwrite replaces them" \
  --out many-out many
"$mw" --store "$work/s" predict --overwrite --out "$work/out" "$work/photos" >/dev/null 2>"$work/err" &&
  fail "--overwrite: the corrupt photo passed"
grep -q "1 of 3 photos failed" "$work/err" || fail "--overwrite: $(cat "$work/err")"
head -c 3 "$work/out/maksssksksss0.jpg" | od -An -tx1 | grep -q "ff d8 ff" || fail "--overwrite did not replace the copy"

# --min-face drops the small faces; --min-score outside 0..1 is refused.
out=$("$mw" --store "$work/s" predict --json --min-face 1000 "$data/images/maksssksksss0.jpg") || fail "--min-face: $out"
python3 -c 'import json,sys; assert json.loads(sys.argv[1])[0]["faces"] == []' "$out" || fail "--min-face 1000 kept faces"
"$mw" --store "$work/s" predict --min-score 2 "$data/images/maksssksksss0.jpg" >/dev/null 2>&1 && fail "--min-score 2"
"$mw" --store "$work/s" predict --min-confidence 1.5 "$data/images/maksssksksss0.jpg" >/dev/null 2>"$work/err" &&
  fail "--min-confidence 1.5"
[ "$(head -1 "$work/err")" = "--min-confidence: expected 0 to 1, got 1.5" ] || fail "--min-confidence: $(cat "$work/err")"

# evaluate --detect: VOC figures in range, the PR plot written.
"$mw" --store "$work/s" evaluate --detect --split train --json --plot "$work/pr.svg" --close-views >"$work/eval.json" ||
  fail "evaluate --detect: $(head -c 2000 "$work/eval.json")"
python3 - "$work/eval.json" <<'PY' || fail "evaluate --detect: $(head -c 2000 "$work/eval.json")"
import json, sys
r = json.load(open(sys.argv[1]))
for part in ("faces", "detect_then_classify"):
    m = r[part]["map_50"]
    assert m is not None and 0 < m <= 1, (part, m)
    assert r[part]["map_50_95"] <= m
assert r["photos"] > 0 and r["ms_per_photo"]["detect_median"] > 0
cv = r["close_views"]  # the photos' faces over 48 px, re-cut close
assert cv["views"] > 0 and 0 <= cv["found"] <= 1 and cv["false_positives_per_view"] >= 0, cv
PY
grep -q "<path" "$work/pr.svg" || fail "no curve in the PR plot"
echo "cli_predict: ok"
