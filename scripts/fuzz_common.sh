# What scripts/sanitize.sh and bench/fuzz.sh share (sourced, not run).

fuzz_targets=(fuzz_voc fuzz_image fuzz_tfjs_manifest fuzz_plain_net fuzz_model_meta fuzz_lambda_event fuzz_schedule
  fuzz_pth fuzz_http)
# The largest input each target is given (bytes).
declare -A fuzz_max_len=([fuzz_voc]=16384 [fuzz_image]=65536 [fuzz_tfjs_manifest]=8192 [fuzz_plain_net]=16384
  [fuzz_model_meta]=4096 [fuzz_lambda_event]=8192 [fuzz_schedule]=256 [fuzz_pth]=16384
  [fuzz_http]=16384)
dataset_seed_files=5   # annotations and images taken from the dataset as seeds

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

install_clang() {
  local packages=(clang libclang-rt-14-dev) missing=() p sudo=""
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  echo "sanitize: installing ${missing[*]}"
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

configure_and_build() {
  local build=$1 launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  if [ ! -f "$build/build.ninja" ]; then
    CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMASKWATCH_FUZZ=ON \
      -DCMAKE_DISABLE_FIND_PACKAGE_Torch=ON -DMASKWATCH_BUILD_BENCH=OFF "${launcher[@]}" \
      -DMASKWATCH_TEST_DATA="$MASKWATCH_DATA" > /dev/null
  fi
  cmake --build "$build" -j "$(nproc)" --target unit_tests fuzz_targets
}

# The dataset's first annotations and smallest images (read in place, never copied into git).
collect_dataset_seeds() {
  local seeds=$1 f
  mkdir -p "$seeds/fuzz_voc" "$seeds/fuzz_image"
  [ -d "$MASKWATCH_DATA/annotations" ] || { echo "sanitize: no dataset at $MASKWATCH_DATA; no dataset seeds"; return; }
  for f in $(ls "$MASKWATCH_DATA/annotations" | sort | head -n "$dataset_seed_files"); do
    cp "$MASKWATCH_DATA/annotations/$f" "$seeds/fuzz_voc/"
  done
  for f in $(ls -S "$MASKWATCH_DATA/images" | tail -n "$dataset_seed_files"); do
    cp "$MASKWATCH_DATA/images/$f" "$seeds/fuzz_image/"
  done
}

# Runs one target (seed 1, so that a run can be repeated) for $3 seconds over its corpus (build/corpus/<target>, kept
# between runs) and seeds (tests/fuzz/seeds/<target>, build/seeds/<target>).
run_fuzz_target() {
  local build=$1 target=$2 seconds=$3 log
  local corpus=$build/corpus/$target findings=$build/findings
  mkdir -p "$corpus" "$findings" "$build/seeds/$target"
  log=$build/fuzz-logs/$target.log
  mkdir -p "$(dirname "$log")"
  local dirs=("$corpus" "$build/seeds/$target")
  [ -d "tests/fuzz/seeds/$target" ] && dirs+=("tests/fuzz/seeds/$target")
  [ "$target" = fuzz_lambda_event ] && dirs+=(deploy/events)  # the shipped example events
  if "$build/tests/fuzz/$target" -max_total_time="$seconds" -max_len="${fuzz_max_len[$target]}" \
    -seed=1 -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 -artifact_prefix="$findings/$target-" "${dirs[@]}" \
    > "$log" 2>&1; then
    echo "fuzz: $target ok: $(grep -Eo '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1)"
  else
    echo "fuzz: $target FAILED (log: $log, inputs: $findings/$target-*)"
    grep -E -A30 'ERROR: |runtime error|uncaught exception|deadly signal' "$log" | head -60
    return 1
  fi
}
