#!/usr/bin/env bash
# Runs every benchmark (issue 12) and prints one JSON line per figure,
# {"name":…, "value":…, "unit":…}, then a readable table with the goals; the
# steps' own tables go to stderr and to target/bench/<time>/<step>.log. Figures
# are printed, never asserted: the exit status is 0 unless a step failed.
#   native: cargo bench --bench indicators (kernels vs the `ta-lib` crate),
#           --bench score (score, scan run, memcpy floor), --bench backtest
#           (through bench-browser: the scaling workload), peak memory of a
#           10,000 × 2,520-bar backtest, a backtest of a Technic field;
#   browser (headless Chromium, dist/ from scripts/build.sh, whose Trunk hook
#           runs scripts/build-st.sh): scripts/bench-browser.mjs (scan warm,
#           cold, 1 worker vs all, wasm vs native, long tasks, memory over 20
#           scans, IndexedDB after a reload, backtest scaling),
#           scripts/bench-load.mjs (wasm size, navigation → ready), and
#           scripts/bench-live.mjs (closing kline → new row).
# Native builds run through cargo_outside (scripts/env.sh) in
# ${CARGO_TARGET_DIR:-target}/native, as scripts/test.sh's.
# Usage: scripts/bench.sh [--quick] [--no-build] [--skip STEP,…]
#   --quick     fewer rounds (native 3, browser 2, live 5): a few minutes less
#   --no-build  use the dist/ and release benches already built
#   --skip      any of kernels, browser, longtasks, load, live, peak, technic
#   TECHNIC_SKIP_SETUP=1 is passed on to scripts/build.sh (skips setup.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

QUICK=0
BUILD=1
SKIP=","
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --no-build) BUILD=0 ;;
    --skip) SKIP=",$2,"; shift ;;
    *) echo "bench.sh: unknown argument $1 (use --quick, --no-build, --skip STEP,…)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$QUICK" = 1 ]; then ROUNDS=3 RUNS=2 LIVE_ROUNDS=5; else ROUNDS=7 RUNS=5 LIVE_ROUNDS=20; fi

NATIVE_TARGET="${CARGO_TARGET_DIR:-$TECHNIC_ROOT/target}/native"
OUT="$TECHNIC_ROOT/target/bench/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
FAILED=()

# `step NAME command…`: runs it, its output to stderr and $OUT/NAME.log.
step() {
  local name="$1" t0=$SECONDS
  shift
  printf '\n==> %s: %s\n' "$name" "$*" >&2
  "$@" 2>&1 | tee "$OUT/$name.log" >&2
  local rc=${PIPESTATUS[0]}
  printf '==> %s: %d s, exit %d\n' "$name" $((SECONDS - t0)) "$rc" >&2
  [ "$rc" = 0 ] || FAILED+=("$name")
}
skipped() { case "$SKIP" in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
native() { CARGO_TARGET_DIR="$NATIVE_TARGET" cargo_outside "$@"; }

# The machine's load beside the figures (the scaling ones mean little when
# other work holds the cores): the 1-minute load average at the start and end.
loadavg() { printf '{"name":"machine.loadavg_1m.%s","value":%s,"unit":"load"}\n' "$1" "$(cut -d' ' -f1 /proc/loadavg)"; }
loadavg start > "$OUT/machine-start.log"

if [ "$BUILD" = 1 ]; then
  step build-native native bench --locked --no-run --bench indicators --bench score --bench backtest
  step build-cli native build --release --locked --bin technic
  step build-wasm scripts/build.sh
fi
export TECHNIC_CLI="$NATIVE_TARGET/release/technic"

kernels() { BENCH_ROUNDS="$ROUNDS" native bench --locked --bench indicators; }
skipped kernels || step kernels kernels

BROWSER_ONLY="scan,cold,memory,idb,backtest"
skipped longtasks || BROWSER_ONLY="$BROWSER_ONLY,longtasks"
skipped browser || step browser env BENCH_ROUNDS="$ROUNDS" node scripts/bench-browser.mjs --only "$BROWSER_ONLY" --runs "$RUNS"
skipped load || step load node scripts/bench-load.mjs --runs "$RUNS"
skipped live || step live node scripts/bench-live.mjs --rounds "$LIVE_ROUNDS"

# The newest backtest bench binary (cargo bench --bench backtest, built above).
backtest_bin() {
  local bin
  bin=$(ls -t "$NATIVE_TARGET"/release/deps/backtest-* 2>/dev/null | grep -v '\.d$' | head -1)
  [ -x "$bin" ] || { echo "no backtest bench binary in $NATIVE_TARGET/release/deps: run without --no-build" >&2; return 1; }
  echo "$bin"
}

# Peak resident memory of the native backtest over 10,000 × 2,520 bars (bars
# generated, then 1 thread and all): issue 12's "peak for 10,000 × 2,520 bars".
peak() {
  local bin
  bin=$(backtest_bin) || return 1
  BENCH_SYMBOLS=10000 BENCH_BARS=2520 BENCH_ROUNDS=1 /usr/bin/time -f 'peak_kb %M' "$bin" --bench 2>&1 |
    awk '/^peak_kb/ { printf "{\"name\":\"memory.native.peak_10000x2520_bytes\",\"value\":%d,\"unit\":\"B\"}\n", $2 * 1024; next } { print }'
}
skipped peak || step peak peak

# A backtest that reads the Technic fields at every bar (`tech_rating >= 18`,
# 1,000 × 2,520 bars, natively, 1 thread and all): the score's series once a
# symbol and its windows a block of bars at a time, where it had been
# recomputed from the first bar at every bar (~0.2 M bars/s).
technic() {
  local bin
  bin=$(backtest_bin) || return 1
  BENCH_EXPR='tech_rating >= 18' BENCH_SYMBOLS=1000 BENCH_BARS=2520 BENCH_ROUNDS=3 "$bin" --bench |
    node -e '
      for (const line of require("fs").readFileSync(0, "utf8").split("\n")) {
        if (!line.startsWith("{")) continue;
        // Kept in the log, but not as figures: the scaling lines are the heavy scan'"'"'s.
        console.log(`  ${line}`);
        const j = JSON.parse(line);
        if (j.name !== "backtest.bars_per_s") continue;
        const which = j.threads === 1 ? "1t" : "all";
        console.log(JSON.stringify({ name: `backtest.technic.bars_per_s.${which}`, value: j.bars_per_s, unit: "bars/s" }));
      }'
}
skipped technic || step technic technic

loadavg end > "$OUT/machine-end.log"

# Every figure line of every step (the last of a name wins), derived figures,
# then the table.
node --input-type=module - "$OUT" "$(nproc)" "${FAILED[*]:-}" <<'EOF'
import fs from 'node:fs';
import path from 'node:path';
const [out, nproc, failed] = process.argv.slice(2);
const N = Number(nproc);
const figures = new Map();
for (const f of fs.readdirSync(out).filter((f) => f.endsWith('.log')).sort()) {
  for (const line of fs.readFileSync(path.join(out, f), 'utf8').split('\n')) {
    if (!line.startsWith('{"name"')) continue;
    try {
      const j = JSON.parse(line);
      if ('value' in j && 'unit' in j) figures.set(j.name, j);
    } catch { /* not a figure */ }
  }
}
const v = (name) => figures.get(name)?.value;
// The original system (the Python scanner, measured on its own code): 2.06 ms a symbol.
const ORIGINAL_SYMBOLS_PER_S = 485;
const derive = (name, value, unit) => {
  if (Number.isFinite(value)) figures.set(name, { name, value: Math.round(value * 10000) / 10000, unit });
};
derive('scan.native.vs_original.1t', v('scan.native.symbols_per_s.1t') / ORIGINAL_SYMBOLS_PER_S, 'x');
derive('browser.scan.symbols_per_s', 5000 / (v('browser.scan.compute_ms.all') / 1000), 'symbols/s');
derive('browser.scan.vs_original', 5000 / (v('browser.scan.compute_ms.all') / 1000) / ORIGINAL_SYMBOLS_PER_S, 'x');
derive('floor.scan_vs_native_1t', v('scan.native.ms.1t') / v('floor.scan_ms'), 'x');
fs.writeFileSync(path.join(out, 'figures.jsonl'), [...figures.values()].map((j) => JSON.stringify(j)).join('\n') + '\n');
for (const j of figures.values()) console.log(JSON.stringify(j));

// Goals of issue 12 / SPEC §6: [test, text].
const goals = {
  'kernels.min_vs_talib': [(x) => x >= 1, '≥ 1.0x'],
  'kernels.set_vs_talib': [(x) => x >= 1.3, '≥ 1.3x'],
  'wasm.per_thread_vs_native': [(x) => x <= 1.3, '≤ 1.3x'],
  'wasm.backtest.per_thread_vs_native': [(x) => x <= 1.3, '≤ 1.3x'],
  'scaling.native': [(x) => x >= 0.9 * N, `≥ ${(0.9 * N).toFixed(2)}x (0.9·${N})`],
  'scaling.browser': [(x) => x >= 0.85 * N, `≥ ${(0.85 * N).toFixed(2)}x (0.85·${N})`],
  'browser.synthetic5000.cold_ms': [(x) => x <= 300, '≤ 300 ms'],
  'browser.synthetic5000.warm_ms': [(x) => x < 1000, '< 1000 ms'],
  'browser.synthetic5000.warm_first_row_ms': [(x) => x < 50, '< 50 ms'],
  'browser.idb5000.reload_ms': [(x) => x < 1000, '< 1000 ms'],
  'browser.longtask.warm.longest_ms': [(x) => x <= 50, 'none > 50 ms'],
  'memory.heap_last_over_first': [(x) => x <= 1.1, 'flat (≈ 1)'],
  'memory.wasm_last_over_first': [(x) => x <= 1.1, 'flat (≈ 1)'],
  'backtest.warm_ms': [(x) => x < 2000, '< 2000 ms'],
  'live.close_to_row_ms.p50': [(x) => x < 100, '< 100 ms'],
  'scan.native.vs_original.1t': [(x) => x > 1, `original: ${ORIGINAL_SYMBOLS_PER_S} symbols/s`],
};
const show = (j) => {
  if (Array.isArray(j.value)) return j.value.map((x) => (j.unit === 'B' ? (x / 1048576).toFixed(1) : String(x))).join(' ') + (j.unit === 'B' ? ' MB' : '');
  if (j.value === null) return 'n/a';
  if (j.unit === 'B') return `${j.value.toLocaleString('en-US')} B (${(j.value / 1048576).toFixed(2)} MB)`;
  const d = Math.abs(j.value) >= 100 ? 0 : Math.abs(j.value) >= 10 ? 1 : 2;
  return `${j.value.toFixed(d)} ${j.unit}`;
};
console.log(`\nTechnic Web benchmarks (${N} cores, ${new Date().toISOString()}; logs in ${out})`);
console.log(`${'figure'.padEnd(44)} ${'value'.padStart(24)}  goal`);
const perKernel = /^kernels\.[A-Z0-9_]+\.(streaming_)?vs_talib$/;
const order = [...figures.keys()].filter((k) => !perKernel.test(k));
for (const name of order) {
  const j = figures.get(name);
  const g = goals[name];
  const mark = g && Number.isFinite(j.value) ? (g[0](j.value) ? '  met' : '  MISSED') : '';
  console.log(`${name.padEnd(44)} ${show(j).padStart(24)}  ${g ? g[1] : ''}${mark}`);
}
for (const [suffix, how] of [['vs_talib', 'hot, columns in cache'], ['streaming_vs_talib', 'streaming, columns from memory']]) {
  const kernels = [...figures.values()].filter((j) => j.name.endsWith(`.${suffix}`) && perKernel.test(j.name)).sort((a, b) => a.value - b.value);
  if (!kernels.length) continue;
  console.log(`kernels vs TA-Lib, ${how} (TA-Lib time / ours, > 1 = faster; goal ≥ 1.0x each), slowest first:`);
  console.log('  ' + kernels.map((j) => `${j.name.split('.')[1]} ${j.value.toFixed(2)}`).join(', '));
}
const missing = ['kernels.min_vs_talib', 'kernels.set_vs_talib', 'wasm.per_thread_vs_native', 'scaling.native', 'scaling.browser',
  'browser.synthetic5000.cold_ms', 'browser.synthetic5000.warm_ms', 'browser.idb5000.reload_ms', 'load.wasm_gzip_bytes', 'load.ready_ms',
  'load.st.ready_ms', 'memory.heap_last_over_first'].filter((n) => !figures.has(n));
if (missing.length) console.log(`missing figures: ${missing.join(', ')}`);
if (failed) console.log(`failed steps: ${failed} (see their logs)`);
EOF
[ ${#FAILED[@]} -eq 0 ]
