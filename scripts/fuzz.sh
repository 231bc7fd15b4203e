#!/usr/bin/env bash
#: Runs the cargo-fuzz targets in fuzz/ (a crate of its own, never part of the
#: main build): installs cargo-fuzz if missing, builds once, seeds each working
#: corpus from fuzz/seeds/<target>/, runs each target for SECONDS and prints one
#: line per target. Exits non-zero when any target crashed (or did not run).
#:
#: usage: scripts/fuzz.sh [SECONDS] [TARGET...]     (default 600 s, every target)
#:   FUZZ_SANITIZER=address  build with ASan (default none: the code under test
#:                           has no unsafe, and no-sanitizer runs ~2x faster)
#:   FUZZ_TIMEOUT=20         seconds one input may take before it counts as a hang
#:   FUZZ_ARGS="..."         extra libFuzzer flags (e.g. -max_len=65536)
#: Logs: fuzz/logs/<target>.log; crashes: fuzz/artifacts/<target>/.
set -euo pipefail

cd "$(dirname "$0")/../fuzz"
seconds="${1:-600}"
shift || true
case "$seconds" in
  '' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2 ;;
esac
sanitizer="${FUZZ_SANITIZER:-none}"
timeout_s="${FUZZ_TIMEOUT:-20}"
# Fuzzing runs outside the main target dir (different flags, nothing to share).
unset CARGO_TARGET_DIR

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked || cargo install cargo-fuzz
fi

all_targets=$(cargo fuzz list)
if [ "$#" -gt 0 ]; then
  targets=("$@")
  for t in "${targets[@]}"; do
    if ! grep -qx -- "$t" <<<"$all_targets"; then
      echo "fuzz.sh: no target '$t' (have: $(echo $all_targets))" >&2
      exit 2
    fi
  done
else
  mapfile -t targets <<<"$all_targets"
fi

# One build for all targets (debug assertions and overflow checks on: the
# cargo-fuzz default without -O).
cargo fuzz build -s "$sanitizer" >&2

mkdir -p logs
failed=0
printf '%-16s %8s %12s %9s %8s  %s\n' target seconds runs exec/s corpus crashes
for t in "${targets[@]}"; do
  corpus="corpus/$t"
  mkdir -p "$corpus" "artifacts/$t"
  # Seeds, and inputs that once failed (kept so every run replays them).
  for d in "seeds/$t" "regressions/$t"; do
    if [ -d "$d" ]; then
      cp -n "$d"/* "$corpus"/ 2>/dev/null || true
    fi
  done
  before=$(find "artifacts/$t" -type f | wc -l)
  log="logs/$t.log"
  start=$(date +%s)
  set +e
  # shellcheck disable=SC2086
  cargo fuzz run -s "$sanitizer" "$t" "$corpus" -- \
    -max_total_time="$seconds" -timeout="$timeout_s" -rss_limit_mb=2048 \
    -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1
  rc=$?
  set -e
  took=$(($(date +%s) - start))
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
  size=$(find "$corpus" -type f | wc -l)
  artifact=$(grep -o 'Test unit written to [^ ]*' "$log" | tail -1 | sed 's/Test unit written to //' || true)
  after=$(find "artifacts/$t" -type f | wc -l)
  if [ "$rc" -ne 0 ] || [ -n "$artifact" ] || [ "$after" -gt "$before" ]; then
    failed=1
    crash="${artifact:-exit $rc, see fuzz/$log}"
  else
    crash=0
  fi
  printf '%-16s %8s %12s %9s %8s  %s\n' "$t" "$took" "${runs:-?}" "${speed:-?}" "$size" "$crash"
done
exit "$failed"
