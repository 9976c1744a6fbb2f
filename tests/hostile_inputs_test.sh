#!/usr/bin/env bash
# Hostile input, built here at test time (nothing large is kept in git), through
# `maskwatch classify` and through the Lambda function (maskwatch-lambda
# serving a Runtime API on loopback, as bench/lambda_cold_start.py does).
# Every run is bounded to 1.5 GiB of address space (prlimit --as): each hostile
# input is refused with an error that names the file or field and says why,
# the largest image the caps allow is classified, and a good image in the
# same call (or the next event) still gets its result.
# Usage: hostile_inputs_test.sh MASKWATCH_BINARY MASKWATCH_LAMBDA_BINARY
set -uo pipefail
mw=$1
lambda=$2
data=${MASKWATCH_DATA:-../shared/data/face-mask-detection}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
py=$(python3 -c 'import sys; print(sys.executable)')  # once: a version manager's shim can take a second a call

export MW_AS_LIMIT=$((1536 * 1024 * 1024))  # bytes of address space for every maskwatch and maskwatch-lambda run
bounded() { prlimit --as="$MW_AS_LIMIT" -- "$@"; }

# A store with a small model.
source "$(dirname "$0")/small_store.sh"
s=$work/store
make_small_store 12 "$s" --epochs 1
good=$data/images/maksssksksss0.jpg
good_box=79,105,109,142

# The hostile files.
c=$work/cases
mkdir -p "$c"
"$py" - "$c" "$data/images/maksssksksss106.jpg" "$good" <<'PY' || fail "making the cases"
import os, struct, sys, zlib
out, jpeg_55k, good = sys.argv[1], sys.argv[2], sys.argv[3]

def png(path, width, height, rows=None):
    """An RGB PNG of zeros; rows: how many rows of pixel data to write (all by default)."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    z, row, idat = zlib.compressobj(9), bytes(1 + 3 * width), []
    for _ in range(height if rows is None else rows):
        idat.append(z.compress(row))
    idat.append(z.flush())
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", b"".join(idat)) + chunk(b"IEND", b""))

def claims(path, width, height):
    """A real 55 KB JPEG whose frame header claims width x height."""
    b = bytearray(open(jpeg_55k, "rb").read())
    at = 2
    while b[at + 1] not in (0xC0, 0xC1, 0xC2):  # the segments before the frame header
        at += 2 + struct.unpack(">H", b[at + 2:at + 4])[0]
    b[at + 5:at + 9] = struct.pack(">HH", height, width)
    open(path, "wb").write(b)

png(f"{out}/wide.png", 60000, 1000)          # each side is capped at 16384
png(f"{out}/side16384.png", 16384, 1000)     # at the cap: allowed
png(f"{out}/overcap.png", 16000, 16000, 1)   # sides allowed, 256 M pixels over the 60 M cap
png(f"{out}/small.png", 64, 64)
png(f"{out}/rows-missing.png", 640, 480, 10)  # the data ends after 10 rows
claims(f"{out}/claims-7000x8000.jpg", 7000, 8000)
claims(f"{out}/claims-0x0.jpg", 0, 0)
g = open(good, "rb").read()
open(f"{out}/cut.jpg", "wb").write(g[: len(g) // 3])
open(f"{out}/text.jpg", "w").write("not an image\n")
open(f"{out}/empty.jpg", "wb").close()
open(f"{out}/gif.jpg", "wb").write(b"GIF89a" + bytes(64))
# 1025 faces in an annotation (the cap is 1024 a request).
objs = "".join("<object><name>with_mask</name><bndbox><xmin>%d</xmin><ymin>10</ymin><xmax>%d</xmax>"
               "<ymax>40</ymax></bndbox></object>" % (k % 400, k % 400 + 30) for k in range(1025))
open(f"{out}/many.xml", "w").write("<annotation><filename>many.jpg</filename><size><width>512</width>"
                                   "<height>366</height><depth>3</depth></size>%s</annotation>" % objs)
PY

# ---- maskwatch classify ------------------------------------------------------------
# One call over the good photo, then each hostile file, then the good photo again: exit 1,
# each hostile file's error names it and says why, and both good photos get their face.
declare -A why=(
  [wide.png]="image side is over the cap of 16384 pixels (60000x1000)"
  [overcap.png]="image is over 60000000 pixels (16000x16000)"
  [claims-7000x8000.jpg]="image does not decode (corrupt or truncated JPEG data: Corrupt JPEG data: premature end"
  [claims-0x0.jpg]="image does not decode (corrupt JPEG data: Empty JPEG image"
  [rows-missing.png]="image does not decode (corrupt PNG data: Not enough image data)"
  [cut.jpg]="image does not decode (truncated JPEG data)"
  [text.jpg]="not a JPEG or PNG file; those are the formats maskwatch reads"
  [gif.jpg]="not a JPEG or PNG file; those are the formats maskwatch reads"
  [empty.jpg]="empty image file"
  [missing.jpg]="cannot read: No such file or directory"
  [small.png]="box 0 [79,105,109,142]: has no area inside the 64x64 image")  # the box is inside the good photo
files=()
for f in "${!why[@]}"; do files+=("$c/$f"); done
out=$(bounded "$mw" -q --store "$s" --threads 2 --json classify --box "$good_box" "$good" "${files[@]}" "$good" \
  2>"$work/err")
rc=$?
[ $rc -eq 1 ] || fail "classify of hostile files: exit $rc, expected 1: $(cat "$work/err")"
for f in "${!why[@]}"; do
  grep -qF -- "error: $c/$f: ${why[$f]}" "$work/err" || fail "$f: the error does not name it and say '${why[$f]}': $(cat "$work/err")"
done
grep -qF "${#why[@]} of $((${#why[@]} + 2)) images failed" "$work/err" || fail "no count of failures: $(cat "$work/err")"
"$py" - "$out" "$c" "${!why[@]}" <<'PY' || fail "classify --json: $out"
import json, sys
r, cases, names = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3:]
assert len(r) == len(names) + 2, r
for good in (r[0], r[-1]):
    assert len(good["faces"]) == 1 and "label" in good["faces"][0] and "error" not in good, good
for name, result in zip(names, r[1:-1]):
    assert result["image"] == cases + "/" + name and "faces" not in result, result
    assert result["error"].startswith(result["image"] + ": "), result
PY
out=$(bounded "$mw" -q --store "$s" --json classify --whole-image "$c/text.jpg" "$good" 2>"$work/err")
[ $? -eq 1 ] && grep -qF "$c/text.jpg: not a JPEG or PNG file" "$work/err" || fail "--whole-image: $(cat "$work/err")"
"$py" -c 'import json,sys; r=json.loads(sys.argv[1]); assert "error" in r[0] and len(r[1]["faces"]) == 1, r' "$out" ||
  fail "--whole-image: $out"
# 1025 faces in the second image's annotation.
cp "$data/annotations/maksssksksss0.xml" "$work/good.xml"
out=$(bounded "$mw" -q --store "$s" --json classify --boxes "$work/good.xml" --boxes "$c/many.xml" "$good" "$c/small.png" \
  2>"$work/err")
[ $? -eq 1 ] && grep -qF "$c/many.xml: 1025 boxes; at most 1024" "$work/err" || fail "1025 boxes: $(cat "$work/err")"
"$py" -c 'import json,sys; r=json.loads(sys.argv[1]); assert len(r[0]["faces"]) > 1 and "error" in r[1], r' "$out" ||
  fail "1025 boxes: $out"

# The largest image the caps allow is classified, whole and by its boxes, within the bound.
out=$(bounded "$mw" -q --store "$s" --threads 2 --json classify --box "$good_box" --box 0,0,16384,1000 \
  "$c/side16384.png" "$good" 2>&1) || fail "16384x1000 PNG: $out"
"$py" -c 'import json,sys; r=json.loads(sys.argv[1]); assert [len(x["faces"]) for x in r] == [2, 2], r' "$out" ||
  fail "16384x1000 PNG: $out"
bounded "$mw" -q --store "$s" --threads 2 classify --whole-image "$c/side16384.png" >/dev/null 2>&1 ||
  fail "16384x1000 PNG, whole image"

# Boxes that are refused before any image is read: exit 1, the error names the box.
refuses() {  # STORE WHY, then classify's arguments
  local store=$1 why=$2 out rc
  shift 2
  out=$(bounded "$mw" -q --store "$store" classify "$@" 2>&1)
  rc=$?
  [ $rc -eq 1 ] || fail "classify $*: exit $rc, expected 1: $out"
  grep -qF -- "$why" <<<"$out" || fail "classify $*: the error does not say '$why': $out"
}
refuses "$s" "--box '0x4f,1,20,20': expected XMIN,YMIN,XMAX,YMAX (four decimal numbers)" --box 0x4f,1,20,20 "$good"
refuses "$s" "--box '0,0,1e30,1e30': expected pixel coordinates (finite numbers up to 1000000)" --box 0,0,1e30,1e30 "$good"
refuses "$s" "--box '0,0,nan,5': expected XMIN,YMIN,XMAX,YMAX" --box 0,0,nan,5 "$good"
refuses "$s" "--box '50,50,10,10': expected xmin < xmax and ymin < ymax" --box 50,50,10,10 "$good"
many=()
for _ in $(seq 1025); do many+=(--box "$good_box"); done
refuses "$s" "classify --box: 1025 boxes; at most 1024" "${many[@]}" "$good"

# ---- hostile models ----------------------------------------------------------------
# A copy of the store's models, edited: classify and the Lambda function refuse it, naming the file and field.
id=$(cat "$s/models/latest")
model_store() {  # NAME: a store holding the model, its weights hard-linked, its model.json and models/latest copied
  local m=$work/m/$1
  mkdir -p "$m" && cp -al "$s/models" "$m/" || return 1
  cp --remove-destination "$s/models/$id/model.json" "$m/models/$id/model.json" &&
    cp --remove-destination "$s/models/latest" "$m/models/latest" && echo "$m"
}
edit_meta() {  # NAME FIELD JSON-VALUE
  local m
  m=$(model_store "$1")
  "$py" - "$m/models/$id/model.json" "$2" "$3" <<'PY'
import json, sys
path, field, value = sys.argv[1:]
meta = json.load(open(path))
meta[field] = json.loads(value)
json.dump(meta, open(path, "w"))
PY
}
edit_meta crop crop_size 0
edit_meta margin margin 1e9
edit_meta labels labels '[]'
edit_meta arch arch '"vgg"'
truncate -s 50M "$(model_store latest)/models/latest"
m=$(model_store weights) && head -c 1000 "$s/models/$id/inference.bin" > "$m/models/$id/inference.bin.cut" &&
  mv "$m/models/$id/inference.bin.cut" "$m/models/$id/inference.bin"
m=$(model_store escape) && echo "../../../../../etc" > "$m/models/latest"

model_json="models/$id/model.json"
declare -A model_why=(
  [crop]="$model_json: field 'crop_size' is 0; expected a whole number 16 to 1024"
  [margin]="$model_json: field 'margin' is 1000000000; expected 0 to 1"
  [labels]="$model_json: field 'labels' is []; expected"
  [arch]="$model_json: field 'arch' is \"vgg\"; expected one of resnet18, resnet34, face-resnet"
  [latest]="models/latest: is 52428800 bytes; a model id is under 1024"
  [weights]="models/$id/inference.bin: does not match its recorded SHA-256"
  [escape]="object key has an empty, '.' or '..' part")
for name in "${!model_why[@]}"; do
  refuses "$work/m/$name" "${model_why[$name]}" --box "$good_box" "$good"
done

# ---- the Lambda function --------------------------------------------------------------
export MW_LAMBDA=$lambda MW_STORE=$s MW_CASES=$c MW_GOOD=$good MW_GOOD_BOX=$good_box MW_MODELS=$work/m MW_MODEL_ID=$id
"$py" - <<'PY' || fail "the Lambda function"
import base64, http.server, json, os, subprocess, sys, threading, time

env = os.environ
cases, good = env["MW_CASES"], env["MW_GOOD"]
good_box = [float(v) for v in env["MW_GOOD_BOX"].split(",")]
b64 = lambda path: base64.b64encode(open(path, "rb").read()).decode()
failures = []


def serve(store, events):
    """Runs maskwatch-lambda on a Runtime API on loopback until it has answered every event or exited. Returns ({request id: (path, body)}, the init error's body or None, its exit status)."""
    got, init_error, done, lock = {}, [], threading.Event(), threading.Lock()
    queue = list(enumerate(events))

    class Runtime(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            with lock:
                item = queue.pop(0) if queue else None
            if item is None:  # nothing more: hold the poll until the function is stopped
                done.wait(120)
                return
            body = json.dumps(item[1]).encode()
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", "ev-%d" % item[0])
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60000))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with lock:
                if self.path.endswith("/init/error"):
                    init_error.append(body)
                else:
                    got[self.path.split("/")[-2]] = (self.path.split("/")[-1], body)
                if len(got) == len(events):  # after an init error, the function exits by itself
                    done.set()

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    fn_env = {"PATH": "/usr/bin:/bin", "MASKWATCH_STORE": store, "MASKWATCH_THREADS": "2",
              "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d" % srv.server_address[1]}
    p = subprocess.Popen(["prlimit", "--as=" + env["MW_AS_LIMIT"], "--", env["MW_LAMBDA"]], env=fn_env,
                         stderr=subprocess.DEVNULL)
    while not done.wait(0.05) and p.poll() is None:
        pass
    if p.poll() is None:
        p.terminate()
    rc = p.wait(30)
    done.set()
    srv.shutdown()
    return got, (init_error[0] if init_error else None), rc


def http_event(body, **extra):
    e = {"version": "2.0", "rawPath": "/", "requestContext": {"http": {"method": "POST", "path": "/"}}, "body": body,
         "isBase64Encoded": False}
    e.update(extra)
    return e


# (name, event, what must come back: ("response", substring), ("error", substring) or (HTTP status, substring)).
image = lambda name, boxes=[good_box]: {"image": b64(f"{cases}/{name}"), "boxes": boxes}
request = lambda **fields: json.dumps(fields)
hostile = [
    ("60000x1000 PNG", image("wide.png"), ("error", "image side is over the cap of 16384 pixels (60000x1000)")),
    ("JPEG claiming 7000x8000", image("claims-7000x8000.jpg"), ("error", "image does not decode (corrupt or truncated")),
    ("truncated JPEG", image("cut.jpg"), ("error", "image: image does not decode (truncated JPEG data)")),
    ("not an image", image("text.jpg"), ("error", "image: not a JPEG or PNG file")),
    ("over the pixel cap", image("overcap.png", None), ("error", "image is over 60000000 pixels")),
    ("box off the image", image("small.png"), ("error", "box 0 [79,105,109,142]: has no area inside the 64x64 image")),
    ("hex box", {"image": b64(good), "boxes": [["0x4f", 1, 20, 20]]}, ("error", "boxes[0]: expected [xmin")),
    ("box of 1e30", {"image": b64(good), "boxes": [[0, 0, 1e30, 1e30]]}, ("error", "boxes[0]: expected pixel")),
    ("1025 boxes", {"image": b64(good), "boxes": [good_box] * 1025}, ("error", "boxes: 1025 boxes; at most 1024")),
    ("boxes not a list", {"image": b64(good), "boxes": {"a": 1}}, ("error", "boxes: expected an array")),
    ("bad base64", {"image": "!!!!" + b64(good)[4:]}, ("error", "base64: invalid character at offset 0")),
    ("empty image", {"image": ""}, ("error", "image: empty")),
    ("HTTP: bad base64", http_event(request(image="@@@@")), (400, "base64: invalid character")),
    ("HTTP: isBase64Encoded 'yes'", http_event(base64.b64encode(request(image=b64(good)).encode()).decode(),
                                                isBase64Encoded="yes"), (400, "event.isBase64Encoded: expected")),
    ("HTTP: body an object", http_event({"image": b64(good)}), (400, "event.body: expected a string")),
    ("HTTP: body nested JSON text", http_event(json.dumps(request(image=b64(good)))), (400, "event.body: expected")),
    ("HTTP: body not JSON", http_event("{\"image\": "), (400, "event.body: expected a JSON object")),
    ("HTTP: not an image", http_event(request(image=b64(f"{cases}/gif.jpg"))), (415, "not a JPEG or PNG file")),
    ("HTTP: 60000x1000 PNG", http_event(request(image=b64(f"{cases}/wide.png"))), (413, "image side is over the cap")),
    ("unknown event", {"detail": [1, 2]}, ("error", "neither a scheduled event nor a classify request")),
    ("empty event", {},
     ("error", 'neither a scheduled event nor a classify request; expected {"maskwatch": "benchmark"}')),
    ("HTTP: the schedule's input as a body", http_event(request(maskwatch="benchmark")),
     (400, "image: expected a base64 string")),
    ("16384x1000 PNG (allowed)", image("side16384.png", [[8000, 400, 8100, 500]]), ("response", '"label"')),
]
good_event = ("good", image(os.path.relpath(good, cases)), ("response", '"label"'))
events = []
for case in hostile:  # each hostile event is followed by a good one: the function goes on answering
    events += [case, good_event]
got, init_error, rc = serve(env["MW_STORE"], [e for _, e, _ in events])
if init_error or rc != 0:
    failures.append("the function: init error %s, exit %d" % (init_error, rc))
for k, (name, _, (want, text)) in enumerate(events):
    path, body = got.get("ev-%d" % k, (None, ""))
    if isinstance(want, int):
        ok = path == "response" and json.loads(body)["statusCode"] == want and text in json.loads(body)["body"]
    else:
        ok = path == want and text in (json.loads(body)["errorMessage"] if want == "error" else body)
    if not ok:
        failures.append("%s (event %d): expected %s with '%s', got %s %s" % (name, k, want, text, path, body[:300]))
reports = os.path.join(env["MW_STORE"], "reports")
ran = [f for f in (os.listdir(reports) if os.path.isdir(reports) else []) if f.startswith("benchmark-")]
if ran:
    failures.append("a hostile event ran the benchmark: %s" % ran)

# Hostile models: an init error naming the file and the field, and exit status 1.
model_json = "models/%s/model.json" % env["MW_MODEL_ID"]
for name, text in [("crop", model_json + ": field 'crop_size' is 0"), ("margin", "field 'margin' is 1000000000"),
                   ("labels", "field 'labels' is []"), ("arch", "field 'arch' is \"vgg\""),
                   ("latest", "models/latest: is 52428800 bytes"),
                   ("weights", "inference.bin: does not match its recorded SHA-256"),
                   ("escape", "object key has an empty, '.' or '..' part")]:
    got, init_error, rc = serve(os.path.join(env["MW_MODELS"], name), [image("small.png", None)])
    if rc != 1 or init_error is None or text not in json.loads(init_error)["errorMessage"]:
        failures.append("model %s: expected an init error with '%s' and exit 1, got %s, exit %d" %
                        (name, text, init_error, rc))
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
PY
echo "PASS"
