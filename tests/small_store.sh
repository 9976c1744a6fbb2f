# Sourced by the CLI tests: a store with a small ResNet-18 model trained on
# the dataset's first N photos (crops and input 32 px), for tests that need a
# model, not a good one. Needs $mw, $data and fail() from the caller.
# Usage: make_small_store N STORE [extra train flags...]
make_small_store() {
  local n=$1 store=$2 voc
  shift 2
  voc=$(dirname "$store")/voc-$n
  mkdir -p "$voc/images" "$voc/annotations"
  for ((i = 0; i < n; i++)); do
    cp "$data/annotations/maksssksksss$i.xml" "$voc/annotations/" && cp "$data/images/maksssksksss$i.jpg" "$voc/images/" ||
      fail "copy"
  done
  "$mw" -q --store "$store" ingest --data "$voc" >/dev/null 2>&1 || fail "ingest"
  "$mw" -q --store "$store" prepare --crop-size 32 >/dev/null 2>&1 || fail "prepare"
  "$mw" -q --store "$store" --threads 2 train --arch resnet18 --input-size 32 --batch 16 "$@" >/dev/null 2>&1 ||
    fail "train"
}
