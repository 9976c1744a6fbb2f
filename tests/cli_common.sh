# Sourced by the CLI tests that need a small store: $data (the dataset,
# $MASKWATCH_DATA), $work (a temporary folder, removed at exit), fail(), and
# make_small_store (small_store.sh).
data=${MASKWATCH_DATA:-../shared/data/face-mask-detection}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/small_store.sh"
