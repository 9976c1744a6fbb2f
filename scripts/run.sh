#!/usr/bin/env bash
# The main job: set up, build, then run the whole pipeline on the defaults
# (ingest -> prepare -> train -> evaluate) into ./maskwatch-data.
# Extra arguments go to 'maskwatch pipeline' (see: build/maskwatch pipeline --help).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
exec build/maskwatch pipeline "$@"
