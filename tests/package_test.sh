#!/usr/bin/env bash
# The installed package, as a program outside the repository uses it:
# cmake --install into a temporary prefix, the prefix moved elsewhere (the
# install is relocatable), tests/package configured and built against it
# with find_package(maskwatch CONFIG), and run on a dataset photo with the
# folder `maskwatch models export` wrote; where built with LibTorch, a second
# program trains a model through maskwatch::train and labels the photo with
# it; the Python module of the same install labels the photo too. The build tree is not on any path it uses.
set -uo pipefail
build=$1 src=$2 with_train=${3:-0}  # 1: built with LibTorch, so maskwatch::train is installed
mw=$build/maskwatch
source "$(dirname "$0")/cli_common.sh"
make_small_store 10 "$work/s" --epochs 1

cmake --install "$build" --prefix "$work/prefix" >"$work/install.log" 2>&1 || fail "install: $(tail -5 "$work/install.log")"
mv "$work/prefix" "$work/moved" || fail "move the prefix"
cmake -S "$src/tests/package" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/moved" >"$work/cfg.log" 2>&1 ||
  fail "configure the consumer: $(tail -20 "$work/cfg.log")"
cmake --build "$work/consumer" >"$work/build.log" 2>&1 || fail "build the consumer: $(tail -20 "$work/build.log")"
! grep -q "$build" "$work/consumer/CMakeCache.txt" || fail "the consumer's build refers to the build tree"

"$work/moved/bin/maskwatch" -q --store "$work/s" models export "$work/models" >/dev/null || fail "models export"
photo=$data/images/maksssksksss0.jpg
out=$("$work/consumer/label_photo" "$work/models" "$photo") || fail "label_photo: $out"
echo "$out"
faces=$(echo "$out" | grep -cE '^(with_mask|without_mask|mask_weared_incorrect|unsure) ')
[ "$faces" -ge 2 ] || fail "label_photo found $faces faces in a photo of 3"
err=$("$work/consumer/label_photo" "$work/models" "$work/none.jpg" 2>&1) && fail "a missing photo passed"
echo "$err" | grep -q "none.jpg" || fail "the missing photo is not named: $err"

# Training through the package (maskwatch::train), where it was built with LibTorch.
if [ "$with_train" = 1 ]; then
  [ -x "$work/consumer/train_tiny" ] || fail "maskwatch::train was not found by the consumer"
  out=$("$work/consumer/train_tiny" "$work/voc-10" "$work/trained" "$photo" 2>&1) || fail "train_tiny: $out"
  echo "$out" | tail -1
  echo "$out" | tail -1 | grep -qE '^model [0-9a-f]{16}: [0-9]+ faces$' || fail "train_tiny printed: $out"
  [ -f "$work/trained/models/latest" ] || fail "train_tiny published no model"
fi

# Python, from the install alone.
site=$work/moved/lib/python3/dist-packages
[ -f "$site/maskwatch/__init__.py" ] || exit 0  # built without pybind11
py=$(PYTHONPATH="$site" /usr/bin/python3 -c "import maskwatch, sys
faces = maskwatch.open(sys.argv[1]).detect(sys.argv[2])
print(len(faces), faces[0].label)" "$work/models" "$photo") || fail "python from the install: $py"
[ "${py%% *}" = "$faces" ] || fail "python found ${py%% *} faces, C++ $faces"
echo "package test: C++ and Python found $faces faces each"
