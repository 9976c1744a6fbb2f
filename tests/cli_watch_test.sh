#!/usr/bin/env bash
# maskwatch watch on a short video made from a dataset photo (12 frames, the
# photo moving 2 px a frame): every frame read and processed, the faces keep
# their ids across frames, --out writes a readable video, --json lines parse.
set -uo pipefail
mw=$1
make_video=$2
source "$(dirname "$0")/cli_common.sh"
make_small_store 10 "$work/s" --epochs 1

"$make_video" "$data/images/maksssksksss0.jpg" "$work/in.avi" 12 640 480 2 || fail "make_test_video"
"$mw" --store "$work/s" --json --threads 2 watch --out "$work/out.avi" "$work/in.avi" >"$work/lines" 2>"$work/err" ||
  fail "watch: $(cat "$work/err")"
python3 - "$work/lines" <<'PY' || fail "watch --json: $(head -c 3000 "$work/lines")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
frames, summary = lines[:-1], lines[-1]["summary"]
assert [f["frame"] for f in frames] == list(range(12)), [f["frame"] for f in frames]
assert summary["frames_read"] == 12 and summary["frames_processed"] == 12, summary
assert summary["frames_dropped"] == 0, summary
assert abs(frames[1]["time_s"] - 0.04) < 1e-6, frames[1]["time_s"]
labels = ("with_mask", "without_mask", "mask_weared_incorrect")
first = {f["id"] for f in frames[0]["faces"]}
assert len(first) >= 2, frames[0]  # the photo has 3 faces; most are found
for fr in frames:
    ids = [f["id"] for f in fr["faces"]]
    assert len(ids) == len(set(ids)), fr
    for f in fr["faces"]:
        assert f["label"] in labels and f["smoothed_label"] in labels, f
        assert 0 <= f["confidence"] <= 1 and len(f["box"]) == 4, f
# The same faces throughout: each id of the first frame is seen in at least 10 of the 12 frames.
for i in first:
    seen = sum(i in {f["id"] for f in fr["faces"]} for fr in frames)
    assert seen >= 10, (i, seen, frames)
assert len(first) <= summary["people"] <= 3, summary  # passing false detections are not people
assert sum(summary["people_by_label"].values()) == summary["people"], summary
PY

# The annotated video reads back: 12 frames of 640x480.
"$mw" --store "$work/s" --json watch "$work/out.avi" >"$work/lines2" 2>"$work/err" || fail "watch on --out: $(cat "$work/err")"
python3 -c '
import json, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])["summary"]
assert s["frames_read"] == 12, s' "$work/lines2" || fail "the annotated video: $(tail -1 "$work/lines2")"

# Text summary, --every and --max-frames; an .mp4 out.
"$mw" --store "$work/s" watch --every 2 --max-frames 4 --out "$work/out.mp4" "$work/in.avi" >/dev/null 2>"$work/err" ||
  fail "watch --every: $(cat "$work/err")"
grep -q "^7 frames read, 4 processed, 0 dropped" "$work/err" || fail "summary: $(cat "$work/err")"
[ -s "$work/out.mp4" ] || fail "no .mp4 written"

# Numbers out of range are refused in plain words (CLI11's own checks print the largest double in full).
for case in "--max-frames -1|--max-frames: expected 0 or more, got -1" "--every 0|--every: expected 1 or more, got 0" \
  "--min-face -2|--min-face: expected 0 or more, got -2" "--min-score 2|--min-score: expected 0 to 1, got 2"; do
  read -ra opt <<<"${case%%|*}"
  "$mw" --store "$work/s" watch "${opt[@]}" "$work/in.avi" >/dev/null 2>"$work/err" && fail "${opt[*]} passed"
  [ "$(head -1 "$work/err")" = "${case#*|}" ] || fail "${opt[*]}: $(cat "$work/err")"
done

# A source whose frames are over --max-pixels (by default serve's 40000000) is refused before a frame is read.
"$mw" --store "$work/s" watch --max-pixels 100000 "$work/in.avi" >/dev/null 2>"$work/err" && fail "--max-pixels passed"
grep -qxF "error: $work/in.avi: frames are 640x480 (307200 pixels), over the limit of 100000 pixels (--max-pixels)" \
  "$work/err" || fail "--max-pixels 100000: $(cat "$work/err")"
"$make_video" "$data/images/maksssksksss0.jpg" "$work/big.avi" 1 6400 6256 0 || fail "make_test_video 6400x6256"
"$mw" --store "$work/s" watch "$work/big.avi" >/dev/null 2>"$work/err" && fail "a 6400x6256 video passed"
grep -qxF "error: $work/big.avi: frames are 6400x6256 (40038400 pixels), over the limit of 40000000 pixels (--max-pixels)" \
  "$work/err" || fail "the default --max-pixels: $(cat "$work/err")"
rm -f "$work/big.avi"

# A URL is a live source: read on its own thread, frames the model cannot keep up with dropped, none lost.
"$mw" --store "$work/s" --json watch "file://$work/in.avi" >"$work/lines3" 2>"$work/err" || fail "watch URL: $(cat "$work/err")"
python3 -c '
import json, sys
s = json.loads(open(sys.argv[1]).read().splitlines()[-1])["summary"]
assert s["frames_read"] == 12 and s["frames_processed"] >= 1, s
assert s["frames_processed"] + s["frames_dropped"] == 12, s' "$work/lines3" || fail "live source: $(tail -1 "$work/lines3")"

# A source that cannot be read (missing, not a video, a truncated .mp4, a URL
# nothing answers) gets one line on stderr: maskwatch's error naming it, with
# none of OpenCV's, GStreamer's or FFmpeg's before it.
echo "not a video" >"$work/text.mp4"
head -c $(($(stat -c %s "$work/out.mp4") / 2)) "$work/out.mp4" >"$work/cut.mp4"
for src in "$work/missing.avi" "$work/text.mp4" "$work/cut.mp4" "http://127.0.0.1:9/x.mp4"; do
  "$mw" --store "$work/s" watch "$src" >/dev/null 2>"$work/err" && fail "$src passed"
  [ "$(wc -l <"$work/err")" -eq 1 ] && grep -qF "error: $src: " "$work/err" || fail "$src: $(cat "$work/err")"
done
grep -qxF "error: http://127.0.0.1:9/x.mp4: cannot be opened as a video stream (unreachable, or not a video)" \
  "$work/err" || fail "the URL: $(cat "$work/err")"
echo "cli_watch: ok"
