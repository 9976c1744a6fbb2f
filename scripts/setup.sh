#!/usr/bin/env bash
# Installs what maskwatch needs (only what is missing) and builds it: one line
# a phase; the tools' own output goes to <build>/setup.log, which an error
# names with its last lines.
# Usage: scripts/setup.sh [build-dir] [--tests]     (default: build)
#   without --tests: what the main job needs (the programs, the weights);
#   --tests: also what the test suite needs (GoogleTest, Chromium, the
#            S3/DynamoDB servers, playwright, pytest), and the whole build.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build tests=0
for a in "$@"; do
  case $a in
    --tests) tests=1 ;;
    -*) echo "usage: $0 [build-dir] [--tests]" >&2; exit 2 ;;
    *) build=$a ;;
  esac
done
mkdir -p "$build"
log=$PWD/$build/setup.log
: > "$log"

# phase WHAT COMMAND...: says WHAT, runs COMMAND with its output in the log.
phase() {
  local what=$1 start=$SECONDS
  shift
  echo "setup: $what"
  echo "==== $what: $*" >> "$log"
  if ! "$@" >> "$log" 2>&1; then
    echo "setup: $what failed; the last lines of $log:" >&2
    tail -n 15 "$log" >&2
    exit 1
  fi
  [ $((SECONDS - start)) -lt 5 ] || echo "setup: $what took $((SECONDS - start)) s"
}

packages=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev                                   # tensors, training, inference
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  libopencv-videoio-dev                          # maskwatch watch (video in and out)
  libpugixml-dev nlohmann-json3-dev libcli11-dev
  libsqlite3-dev libssl-dev libcurl4-openssl-dev
  libeigen3-dev                                  # the plain inference engine (header-only)
  libdnnl-dev                                    # its convolutions (oneDNN)
  libjpeg62-turbo-dev libpng-dev                 # image decoding (src/data/image_decode.cpp)
  libcpp-httplib-dev                             # maskwatch serve
  pybind11-dev python3-dev python3-numpy         # the Python module (import maskwatch)
  zip python3                                    # maskwatch package
)
test_packages=(
  libgtest-dev
  curl                                           # the CLI tests
  python3-torch python3-torchvision              # the torchvision checkpoint test
  python3-pytest python3-pil                     # the Python module's tests
  chromium                                       # the web page's browser test
)
[ "$tests" = 1 ] && packages+=("${test_packages[@]}")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
apt_install() {
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}
[ ${#missing[@]} -eq 0 ] || phase "installing ${#missing[@]} Debian packages (${missing[*]})" apt_install "${missing[@]}"

# Pretrained face networks: face-api's TensorFlow.js weights, from npm, pinned
# by package-lock.json (tarball integrity checked by npm ci); the face
# detectors from human-models' npm tarball, pinned by SHA-256.
weights=third_party/face-api/node_modules/@vladmandic/face-api/model/face_recognition_model.bin
need_npm() { command -v npm >/dev/null || apt_install nodejs npm; }
npm_ci() { need_npm && (cd "$1" && npm ci --no-audit --no-fund --loglevel=error); }
fetch_weights() {
  [ -f "$weights" ] || npm_ci third_party/face-api
  echo "b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589  $weights" | sha256sum -c --quiet - ||
    { echo "$weights does not match its pinned SHA-256"; return 1; }
  need_npm && third_party/human-models/fetch.sh
}
phase "pretrained weights (face-api, human-models)" fetch_weights

if [ "$tests" = 1 ]; then
  # S3 and DynamoDB servers for the integration tests (s3rver, dynalite),
  # the state machine's validator (asl-validator) and playwright-core for
  # the web page's browser test (drives Debian's chromium), pinned by their
  # package-lock.json.
  test_services() {
    local bin=tests/services/node_modules/.bin
    { [ -x $bin/s3rver ] && [ -x $bin/dynalite ] && [ -x $bin/asl-validator ] || npm_ci tests/services; } &&
      { [ -d tests/web/node_modules/playwright-core ] || npm_ci tests/web; }
  }
  phase "test services (s3rver, dynalite, asl-validator, playwright-core)" test_services
fi

configure() {
  local flags=(-DMASKWATCH_BUILD_TESTS=$([ "$tests" = 1 ] && echo ON || echo OFF))
  [ -z "${MASKWATCH_DATA:-}" ] || flags+=(-DMASKWATCH_TEST_DATA="$MASKWATCH_DATA")
  # ccache, where installed, makes rebuilds of other checkouts cheap
  command -v ccache >/dev/null && flags+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  [ -f "$build/build.ninja" ] || flags+=(-G Ninja -DCMAKE_BUILD_TYPE=Release)
  cmake -S . -B "$build" "${flags[@]}"
}
phase "configuring $build/" configure
targets=(--target maskwatch_cli maskwatch_lambda)
[ "$tests" = 1 ] && targets=()
phase "building $build/ ($([ "$tests" = 1 ] && echo "everything" || echo "the programs"))" \
  cmake --build "$build" -j "$(nproc)" "${targets[@]}"
