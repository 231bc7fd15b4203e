//! The browser benchmark (a script, not a test), in headless Chromium:
//! - scan: synthetic-5000 × 300 bars in memory, first-row and total ms (median
//!   after a warm-up), all workers against 1 worker, wasm against native;
//! - cold: a fresh browser per run, the first synthetic-5000 scan (the market
//!   generated on the workers: issue 12's "cold", goal ≤ 300 ms);
//! - longtasks: main-thread tasks over 50 ms during cold and warm scans (SPEC
//!   §6: none), with the Long Animation Frames that contain them and the
//!   scripts they ran (where a long frame comes from);
//! - memory: the JS heap (after a forced GC) and the wasm memory over 20 scans;
//! - idb: the real cache path, 5,000 symbols × 300 bars read from IndexedDB
//!   after a page reload (the synthetic market written as CSV files by
//!   `technic synth`, served from a loopback host through the `url` source):
//!   time to all rows and cache hits (goal: under 1 s); TECHNIC_BENCH_TRACE=1 adds
//!   each warm scan's long animation frames, TECHNIC_BENCH_TRACE_FILE=f.json a
//!   Chrome trace of the last one;
//! - backtest (only when asked for): the Backtest panel's HEAVY_EXPR (the same
//!   scan as `cargo bench --bench backtest`'s default) over
//!   synthetic-5000 × 2,520 bars on the workers, cold (bars generated) and
//!   warm (bars kept in memory), in ms and bars/s (goal: warm under 2 s), on
//!   all workers and on one (`?threads=1`), beside `cargo bench --bench
//!   backtest` (native, 1 thread and all): the heavy workload (≥ 1 s of work
//!   on one thread) of issue 12's scaling figures. `--backtest-expr E`
//!   backtests E instead (e.g. `tech_rating >= 18`, the Technic fields at
//!   every bar), under the same figure names: for a manual run, not bench.sh.
//!
//! - profile (only when asked for): where the workers' time goes in warm
//!   synthetic-5000 scans on one worker (`?threads=1`), as self time per
//!   function from Chromium's sampling profiler on each worker (CDP
//!   `Profiler.*` through a `--remote-debugging-port`, the worker targets
//!   auto-attached). Function names need a module with a name section:
//!   `--dist` a copy of dist/ whose `*_bg.wasm` is Trunk's unoptimised
//!   target/wasm-bindgen/release/technic-web_bg.wasm (wasm-opt drops names).
//!   profile-cold: the same for the cold scan, a fresh browser per run.
//! - the scan section also runs the engine alone (examples/engine_wasm.rs,
//!   built as scripts/build-st.sh builds the single-threaded page) in a bare
//!   dedicated worker of the same Chromium: the same scan over the same
//!   market on one thread, with no page around it (`wasm.engine.ms.1t`). Its
//!   ratios to native (`wasm.engine_vs_native`, `…_128bit`) are the compiled
//!   kernels' share of `wasm.per_thread_vs_native`; `wasm.page_vs_engine` is
//!   the page's (its worker pool, rows, UI and other threads on the same cores).
//!
//! Every figure is also printed as one JSON line `{"name", "value", "unit"}`
//! (scripts/bench.sh collects them; names as issue 12 writes them), and the
//! native benches' own JSON lines are passed through. Native builds run as
//! scripts/env.sh's `cargo_outside` does (outside the repository, so
//! .cargo/config.toml's build-std does not apply), in
//! ${CARGO_TARGET_DIR:-target}/native as scripts/test.sh's.
//!
//! Usage: scripts/build.sh && node scripts/bench-browser.mjs [--only scan,cold,longtasks,memory,idb,backtest,profile,profile-backtest,profile-cold]
//!          [--runs 5] [--source synthetic-5000] [--expr '<scan>'] [--backtest-expr '<scan>'] [--no-native] [--dist dist]
//!          [--threads N]   (profile-backtest only: the pool size, default all cores)
//! The default scan is `cargo bench --bench score`'s (same seed, scan and columns), so the
//! native figures compare; the CLI line adds reading the same market from CSV files.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import WebSocket from 'ws';

import { startServer } from '../tests/e2e/server.mjs';
import {
  freshProfile, openBrowser, openApp, runScan, setScan, median, sel, longTaskReport, jsHeapBytes, wasmMemoryBytes,
} from '../tests/e2e/harness.mjs';
import { workerSched, workerSchedPerScan } from './proc-threads.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BENCH_EXPR = 'macd_hist(12, 26, 9) > 0 and adx(14) > 20 and tech_rating >= 0';
/** The heavy workload of the scaling figures: benches/backtest.rs's HEAVY (keep them equal). */
const HEAVY_EXPR = 'rsi(14) < 30 and close > sma(close, 200) or adx(14) > 30 and macd_hist(12, 26, 9) > 0';
/**
 * Warm-up scans before the measured ones. V8 runs a module's functions in
 * its baseline tier (Liftoff) until they are hot and TurboFan has compiled
 * them on a background thread; with one worker busy on a 2-core machine
 * that took several synthetic-5000 scans (computeMs 117, 111, 69, 80, 61,
 * 54 … on a fresh page), so one warm-up measured part baseline code.
 */
const WARMUP_SCANS = 4;

/** One figure as a JSON line (scripts/bench.sh reads them). */
function fig(name, value, unit) {
  const v = Array.isArray(value) ? value : (Number.isFinite(value) ? Math.round(value * 10000) / 10000 : null);
  console.log(JSON.stringify({ name, value: v, unit }));
}

function parseArgs(argv) {
  const o = { runs: 5, source: 'synthetic-5000', expr: BENCH_EXPR, backtestExpr: HEAVY_EXPR, native: true, dist: 'dist', only: ['scan', 'cold', 'longtasks', 'memory', 'idb'] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--source') o.source = argv[++i];
    else if (a === '--expr') o.expr = argv[++i];
    else if (a === '--backtest-expr') o.backtestExpr = argv[++i];
    else if (a === '--no-native') o.native = false;
    else if (a === '--dist') o.dist = argv[++i];
    else if (a === '--only') o.only = argv[++i].split(',');
    else if (a === '--threads') o.threads = Number(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(o.runs >= 1)) throw new Error('--runs must be at least 1');
  return o;
}

/**
 * WARMUP_SCANS warm-up scans, then `runs` measured scans on the page at `url`.
 * `sched`: the workers' time on a core and waiting for one over the measured
 * scans, a scan (scripts/proc-threads.mjs; null without Linux /proc).
 */
async function measure(page, url, { source, expr, runs }) {
  await openApp(page, url);
  let warm = await runScan(page, { source, expr });
  for (let i = 1; i < WARMUP_SCANS; i++) warm = await runScan(page, {});
  const scans = [];
  const schedBefore = workerSched();
  for (let i = 0; i < runs; i++) scans.push(await runScan(page, {}));
  const sched = workerSchedPerScan(schedBefore, workerSched(), runs);
  const firstRow = median(scans.map((s) => s.firstRowMs));
  const total = median(scans.map((s) => s.totalMs));
  const compute = median(scans.map((s) => s.computeMs ?? NaN));
  return {
    firstRowMs: firstRow,
    totalMs: total,
    computeMs: compute,
    threads: scans[0].threads,
    symbols: scans[0].symbols,
    rows: scans[0].rows,
    warmupMs: warm.totalMs,
    sched,
    stopped: scans.some((s) => s.stopped),
    all: scans.map((s) => Math.round(s.totalMs)),
  };
}

/** `technic synth` exists? Then the native CLI can scan the same market from CSVs. */
function cliHasSynth() {
  return cargoOutside(['run', '--quiet', '--release', '--locked', '--bin', 'technic', '--', 'synth', '--help']).status === 0;
}

function nativeEnv() {
  // Native builds must not rebuild std (CARGO_UNSTABLE_BUILD_STD is for wasm32).
  const env = { ...process.env };
  delete env.CARGO_UNSTABLE_BUILD_STD;
  return env;
}

/**
 * `cargo <args>` as scripts/env.sh's cargo_outside runs it: from an empty
 * temporary directory with --manifest-path, so .cargo/config.toml (the wasm
 * build's build-std) is not read, with the toolchain rust-toolchain.toml
 * names, in ${CARGO_TARGET_DIR:-target}/native (as scripts/test.sh).
 */
function cargoOutside(args, env = {}) {
  const toolchain = spawnSync('rustup', ['show', 'active-toolchain'], { cwd: ROOT, encoding: 'utf8' }).stdout.split(' ')[0].trim();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'technic-cargo-'));
  try {
    const [sub, ...rest] = args;
    return spawnSync('cargo', [sub, '--manifest-path', path.join(ROOT, 'Cargo.toml'), ...rest], {
      cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28,
      env: {
        ...nativeEnv(), ...(toolchain ? { RUSTUP_TOOLCHAIN: toolchain } : {}),
        CARGO_TARGET_DIR: path.resolve(ROOT, process.env.CARGO_TARGET_DIR ?? 'target', 'native'), ...env,
      },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The JSON figure lines of a native bench's output. */
const jsonLines = (stdout) => stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

/** Native CLI over the same synthetic market written to CSVs (needs `technic synth`). */
async function nativeCli({ symbols, expr, runs }) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'technic-synth-'));
  try {
    const cargo = (args) => cargoOutside(['run', '--quiet', '--release', '--locked', '--bin', 'technic', '--', ...args]);
    const made = cargo(['synth', '--out', dir, '--symbols', String(symbols), '--bars', '300']);
    if (made.status !== 0) throw new Error(`technic synth failed: ${made.stderr}`);
    const out = {};
    for (const threads of [1, os.availableParallelism()]) {
      const times = [];
      for (let i = 0; i <= runs; i++) {
        const t = process.hrtime.bigint();
        const r = cargo(['scan', '--data', dir, '--expr', expr, '--format', 'csv', '--threads', String(threads)]);
        const ms = Number(process.hrtime.bigint() - t) / 1e6;
        if (r.status !== 0) throw new Error(`technic scan failed: ${r.stderr.slice(0, 500)}`);
        if (i > 0) times.push(ms); // the first run warms the page cache
      }
      out[threads] = median(times);
    }
    return { kind: 'CLI (reads the CSVs, wall time incl. process start)', ms: out };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Fallback: `cargo bench --bench score`'s scan-run lines (same engine, bars in memory, seed differs). */
/** `lanes: 'portable'` runs the kernels' four-bar steps in 128-bit SSE2 (`TECHNIC_LANES=portable`,
 *  lanes.rs), the width of wasm's simd128, instead of AVX2. */
function nativeBench({ symbols, lanes, expr }) {
  const r = cargoOutside(['bench', '--locked', '--bench', 'score'], {
    BENCH_SYMBOLS: String(symbols), BENCH_BARS: '300', BENCH_ROUNDS: process.env.BENCH_ROUNDS ?? '5', BENCH_EXPR: expr,
    ...(lanes ? { TECHNIC_LANES: lanes } : {}),
  });
  if (r.status !== 0) throw new Error(`cargo bench --bench score failed:\n${r.stderr.slice(-2000)}`);
  const ms = {};
  for (const m of r.stdout.matchAll(/scan run\s+(\d+) thread\(s\):\s+[\d.]+ symbols\/s\s+\(([\d.]+) ms/g)) ms[Number(m[1])] = Number(m[2]);
  if (!Object.keys(ms).length) throw new Error(`no "scan run" lines in cargo bench output:\n${r.stdout}`);
  return { kind: 'cargo bench --bench score, scan run, bars in memory', ms, figures: jsonLines(r.stdout), text: r.stdout };
}

const fmt = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/**
 * Builds examples/engine_wasm.rs for wasm32 as scripts/build-st.sh builds the
 * single-threaded page (its RUSTFLAGS, TECHNIC_ST_RUSTFLAGS from
 * scripts/env.sh, and its target directory, so the crates it compiled are
 * reused); returns the module's path.
 */
function buildEngineWasm() {
  const targetDir = path.resolve(ROOT, process.env.CARGO_TARGET_DIR ?? 'target');
  const flags = spawnSync('bash', ['-c', 'source scripts/env.sh && printf %s "$TECHNIC_ST_RUSTFLAGS"'], { cwd: ROOT, encoding: 'utf8' });
  if (flags.status !== 0 || !flags.stdout) throw new Error(`scripts/env.sh gave no TECHNIC_ST_RUSTFLAGS: ${flags.stderr}`);
  const r = cargoOutside(['build', '--release', '--locked', '--offline', '--target', 'wasm32-unknown-unknown', '--example', 'engine_wasm'], {
    CARGO_TARGET_DIR: targetDir,
    RUSTFLAGS: flags.stdout,
    RUSTC_WORKSPACE_WRAPPER: '',
  });
  if (r.status !== 0) throw new Error(`building examples/engine_wasm.rs for wasm32 failed:\n${r.stderr.slice(-2000)}`);
  return path.join(targetDir, 'wasm32-unknown-unknown', 'release', 'examples', 'engine_wasm.wasm');
}

/** The worker's script: instantiates the engine module, sets up the market and scan, times `runs` runs after warm-ups. */
const ENGINE_WORKER = `
onmessage = async ({ data: { bytes, expr, symbols, bars, runs, warmups } }) => {
  try {
    const module = await WebAssembly.compile(bytes);
    const imports = {};
    // Nothing the engine's scan reaches imports anything; a stub that throws says so if that changes.
    for (const i of WebAssembly.Module.imports(module)) {
      (imports[i.module] ??= {})[i.name] = () => { throw new Error('engine_wasm called its import ' + i.module + '.' + i.name); };
    }
    const { exports: e } = await WebAssembly.instantiate(module, imports);
    const text = new TextEncoder().encode(expr);
    const at = e.expr_buffer(text.length);
    new Uint8Array(e.memory.buffer, at, text.length).set(text);
    if (e.scan_setup(symbols, bars, text.length) !== 0) throw new Error('the scan does not compile: ' + expr);
    let rows = 0;
    for (let i = 0; i < warmups; i++) rows = e.scan_run();
    const ms = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      rows = e.scan_run();
      ms.push(performance.now() - t);
    }
    postMessage({ ms, rows });
  } catch (err) {
    postMessage({ error: String(err && err.stack || err) });
  }
};`;

/**
 * The engine alone (buildEngineWasm's module) in a dedicated worker of the
 * browser behind `page`, on a blank page of `origin`: the median of `runs`
 * scan runs after WARMUP_SCANS + 2 warm-ups (V8 tiers the kernels up).
 */
async function engineInWorker(page, origin, wasmPath, { expr, symbols, bars, runs }) {
  const bytes = await fs.readFile(wasmPath);
  const [blank, wasm] = [`${origin}/__engine_wasm.html`, `${origin}/__engine_wasm.wasm`];
  await page.route(blank, (r) => r.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>engine</title>' }));
  await page.route(wasm, (r) => r.fulfill({ status: 200, contentType: 'application/wasm', body: bytes }));
  try {
    await page.goto(blank);
    const r = await page.evaluate(async ({ source, wasm, expr, symbols, bars, runs, warmups }) => {
      const bytes = await (await fetch(wasm)).arrayBuffer();
      const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
      try {
        return await new Promise((resolve) => {
          worker.onmessage = (m) => resolve(m.data);
          worker.onerror = (e) => resolve({ error: e.message });
          worker.postMessage({ bytes, expr, symbols, bars, runs, warmups }, [bytes]);
        });
      } finally {
        worker.terminate();
      }
    }, { source: ENGINE_WORKER, wasm, expr, symbols, bars, runs, warmups: WARMUP_SCANS + 2 });
    if (r.error) throw new Error(r.error);
    return { ms: median(r.ms), all: r.ms.map((x) => Math.round(x * 10) / 10), rows: r.rows };
  } finally {
    await page.unroute(blank);
    await page.unroute(wasm);
  }
}

async function benchScan(o, dist) {
  // The engine alone needs the synthetic market (it generates the same one);
  // built before the browser starts, so no build runs beside a measurement.
  const synthetic = /^synthetic-(\d+)$/.exec(o.source);
  let engineWasm = null;
  const notes = [];
  if (synthetic) {
    try {
      engineWasm = buildEngineWasm();
    } catch (e) {
      notes.push(`the engine alone was not measured: ${e.message}`);
    }
  } else {
    notes.push(`the engine alone was not measured: it generates the synthetic market, not ${o.source}`);
  }
  const isolated = await startServer({ dir: dist, isolation: true });
  const plain = await startServer({ dir: dist, isolation: false });
  const profile = await freshProfile('bench');
  const b = await openBrowser(profile, { longTasks: false });
  let all; let one; let oneKind; let st; let engine = null;
  try {
    all = await measure(b.page, isolated.url, o);
    one = await measure(b.page, `${isolated.url}?threads=1`, o);
    // The fallback for pages that are not cross-origin isolated (dist/st/;
    // a build made with TECHNIC_ST=later has none).
    const hasSt = await fs.access(path.join(dist, 'st')).then(() => true, () => false);
    st = hasSt ? await measure(b.page, `${plain.url}?coi=off`, o) : null;
    if (!hasSt) notes.push(`${dist}/st/ is missing: the single-threaded build was not measured`);
    oneKind = '1 worker (?threads=1)';
    if (one.threads !== 1) {
      notes.push(`?threads=1 is not honoured (the page ran ${one.threads} threads): add it to src/web/pool.rs; `
        + 'compared against the single-threaded build instead');
      one = await measure(b.page, `${plain.url}?coi=off`, o);
      oneKind = 'single-threaded build (no isolation)';
      one.sched = null; // no worker ran it
    }
    if (engineWasm) {
      engine = await engineInWorker(b.page, plain.url, engineWasm, { expr: o.expr, symbols: Number(synthetic[1]), bars: 300, runs: o.runs });
      if (engine.rows !== all.rows) notes.push(`the engine alone matched ${engine.rows} symbols, the page ${all.rows}`);
    }
  } finally {
    await b.context.close();
    await isolated.close();
    await plain.close();
    await fs.rm(profile, { recursive: true, force: true });
  }
  if (b.problems.length) notes.push(`console errors: ${b.problems.join(' | ')}`);

  // Native side, in the same run: the engine over the same bars in memory
  // (cargo bench --bench score uses the app's seed and default columns, and the same scan: BENCH_EXPR),
  // and, for the whole product, the CLI reading the same market from CSVs.
  let bench = null;
  let bench128 = null;
  let cli = null;
  if (o.native) {
    try {
      bench = nativeBench({ symbols: all.symbols, expr: o.expr });
      bench128 = nativeBench({ symbols: all.symbols, lanes: 'portable', expr: o.expr });
    } catch (e) {
      notes.push(`native bench failed: ${e.message}`);
    }
    try {
      if (cliHasSynth()) cli = await nativeCli({ symbols: all.symbols, expr: o.expr, runs: o.runs });
    } catch (e) {
      notes.push(`native CLI failed: ${e.message}`);
    }
  }

  const cores = os.availableParallelism();
  const line = (label, r) => `${label.padEnd(34)} ${fmt(r.firstRowMs, 1).padStart(9)} ${fmt(r.totalMs).padStart(9)} ${fmt(r.computeMs, 1).padStart(11)} ${fmt((r.symbols / r.computeMs) * 1000).padStart(10)} ${String(r.threads).padStart(7)}   totals ${r.all.join(' ')}`;
  console.log(`Technic Web browser benchmark: ${o.source} × 300 bars, warm cache, headless Chromium, ${cores} cores, median of ${o.runs} after ${WARMUP_SCANS} warm-up scans`);
  console.log(`scan: \`${o.expr}\` → ${all.rows} of ${all.symbols} symbols match`);
  console.log('total = Run click to last row on screen (frame-quantised); compute = the engine on the workers');
  console.log(`${'page'.padEnd(34)} ${'first ms'.padStart(9)} ${'total ms'.padStart(9)} ${'compute ms'.padStart(11)} ${'symbols/s'.padStart(10)} ${'threads'.padStart(7)}`);
  console.log(line(`wasm, all workers (${all.threads})`, all));
  console.log(line(`wasm, ${oneKind}`, one));
  if (st) console.log(line('wasm, single-threaded build (st/)', st));
  if (engine) console.log(`${'wasm, the engine alone (bare worker)'.padEnd(34)} ${''.padStart(9)} ${''.padStart(9)} ${fmt(engine.ms, 1).padStart(11)} ${fmt((Number(synthetic[1]) / engine.ms) * 1000).padStart(10)} ${'1'.padStart(7)}   runs ${engine.all.join(' ')}`);
  if (one.sched) {
    console.log(`the page's one worker, a scan (Linux schedstat): on a core ${fmt(one.sched.cpuMs, 1)} ms, ready but waiting for a core `
      + `${fmt(one.sched.waitMs, 1)} ms (preempted ${fmt(one.sched.involuntary, 1)} times): compute ≈ the two, the wait being the page's other threads on the same ${os.availableParallelism()} cores`);
  }
  console.log(`first row ${fmt(all.firstRowMs, 1)} ms (target < 50), all done ${fmt(all.totalMs)} ms (target < 1000)`);
  console.log(`all workers / 1 worker: compute ${fmt(one.computeMs / all.computeMs, 2)}x, total ${fmt(one.totalMs / all.totalMs, 2)}x   (target ≥ 1.8x on 2 workers)`);
  if (bench) {
    const n1 = bench.ms[1];
    const nAll = bench.ms[cores] ?? bench.ms[Math.max(...Object.keys(bench.ms).map(Number))];
    console.log(`native engine (${bench.kind}): 1 thread ${fmt(n1, 1)} ms, ${cores} threads ${fmt(nAll, 1)} ms`);
    console.log(`wasm / native compute, 1 thread: ${fmt(one.computeMs / n1, 2)}x   (target ≤ 1.3x); all threads: ${fmt(all.computeMs / nAll, 2)}x`);
  }
  if (cli) {
    const c1 = cli.ms[1];
    const cAll = cli.ms[cores] ?? cli.ms[Math.max(...Object.keys(cli.ms).map(Number))];
    console.log(`native ${cli.kind}: 1 thread ${fmt(c1, 1)} ms, ${cores} threads ${fmt(cAll, 1)} ms`);
  }
  for (const n of notes) console.log(`note: ${n}`);
  fig('browser.synthetic5000.warm_ms', all.totalMs, 'ms');
  fig('browser.synthetic5000.warm_first_row_ms', all.firstRowMs, 'ms');
  fig('browser.scan.compute_ms.all', all.computeMs, 'ms');
  fig('browser.scan.compute_ms.1w', one.computeMs, 'ms');
  if (st) {
    fig('browser.st.synthetic5000.warm_ms', st.totalMs, 'ms');
    fig('browser.st.scan.compute_ms', st.computeMs, 'ms');
  }
  fig('browser.workers', all.threads, 'count');
  if (engine) {
    fig('wasm.engine.ms.1t', engine.ms, 'ms');
    fig('wasm.page_vs_engine', one.computeMs / engine.ms, 'x');
  }
  if (one.sched) {
    fig('wasm.worker.cpu_ms.1w', one.sched.cpuMs, 'ms');
    fig('wasm.worker.wait_ms.1w', one.sched.waitMs, 'ms');
    if (engine) fig('wasm.worker_cpu_vs_engine', one.sched.cpuMs / engine.ms, 'x');
  }
  fig('scaling.browser.light_scan', one.computeMs / all.computeMs, 'x');
  if (bench) {
    const nAll = bench.ms[cores] ?? bench.ms[Math.max(...Object.keys(bench.ms).map(Number))];
    console.log(bench.text.split('\n').filter((l) => l && !l.startsWith('{')).join('\n'));
    for (const f of bench.figures) console.log(JSON.stringify(f));
    fig('wasm.per_thread_vs_native', one.computeMs / bench.ms[1], 'x');
    // The worker's own CPU time against native's: the per-thread ratio
    // without the wait for a core (native ran on an idle core).
    if (one.sched) fig('wasm.worker_cpu_vs_native', one.sched.cpuMs / bench.ms[1], 'x');
    if (bench128) {
      // The same native scan with 128-bit lanes (SSE2, as wide as wasm's simd128): how much of
      // the per-thread ratio is AVX2's width and how much the rest.
      console.log(`native engine, 128-bit lanes (TECHNIC_LANES=portable): 1 thread ${fmt(bench128.ms[1], 1)} ms`);
      fig('scan.native.ms.1t_128bit', bench128.ms[1], 'ms');
      fig('wasm.per_thread_vs_native_128bit', one.computeMs / bench128.ms[1], 'x');
      if (one.sched) fig('wasm.worker_cpu_vs_native_128bit', one.sched.cpuMs / bench128.ms[1], 'x');
      if (engine) fig('wasm.engine_vs_native_128bit', engine.ms / bench128.ms[1], 'x');
    }
    if (engine) {
      fig('wasm.engine_vs_native', engine.ms / bench.ms[1], 'x');
      console.log(`the engine alone / native, 1 thread: ${fmt(engine.ms / bench.ms[1], 2)}x (AVX2)${bench128 ? `, ${fmt(engine.ms / bench128.ms[1], 2)}x (128-bit lanes)` : ''}; the page's worker / the engine alone: ${fmt(one.computeMs / engine.ms, 2)}x`);
    }
    fig('wasm.all_threads_vs_native', all.computeMs / nAll, 'x');
    fig('scaling.native.light_scan', bench.ms[1] / nAll, 'x');
  }
  if (cli) {
    fig('cli.scan_ms.1t', cli.ms[1], 'ms');
    fig('cli.scan_ms.all', cli.ms[cores] ?? NaN, 'ms');
  }
}

/** The first scan of a fresh browser: synthetic-5000 generated on the workers (cold). */
async function benchCold(o, dist) {
  const server = await startServer({ dir: dist, isolation: true });
  const scans = [];
  try {
    for (let i = 0; i < o.runs; i++) {
      const profile = await freshProfile('bench-cold');
      const b = await openBrowser(profile);
      try {
        await openApp(b.page, server.url);
        scans.push(await runScan(b.page, { source: 'synthetic-5000', expr: o.expr }));
        if (b.problems.length) console.log(`note: console errors: ${b.problems.slice(0, 3).join(' | ')}`);
      } finally {
        await b.context.close();
        await fs.rm(profile, { recursive: true, force: true });
      }
    }
  } finally {
    await server.close();
  }
  const cold = median(scans.map((x) => x.totalMs));
  console.log(`\ncold synthetic-5000 scan (a fresh browser each run, the market generated on the workers; goal ≤ 300 ms): all rows ${scans.map((x) => Math.round(x.totalMs)).join(', ')} ms, median ${fmt(cold)} ms; first row median ${fmt(median(scans.map((x) => x.firstRowMs)), 1)} ms; engine ${fmt(median(scans.map((x) => x.computeMs ?? NaN)))} ms`);
  fig('browser.synthetic5000.cold_ms', cold, 'ms');
  fig('browser.synthetic5000.cold_first_row_ms', median(scans.map((x) => x.firstRowMs)), 'ms');
  // The workers' own time (first symbol taken to last done): the rest of
  // cold_ms is the page's (Run click to the run's start, the last frame).
  fig('browser.synthetic5000.cold_compute_ms', median(scans.map((x) => x.computeMs ?? NaN)), 'ms');
}


/** Frames and scripts of the long animation frames, summarised (largest first). */
function describeFrames(frames) {
  return [...frames].sort((a, b) => b.duration - a.duration).slice(0, 3).map((f) => {
    const scripts = f.scripts.reduce((n, x) => n + x.duration, 0);
    const renderStart = f.renderStart > 0 ? f.renderStart : f.start + f.duration;
    const render = f.start + f.duration - renderStart;
    // Time before rendering that no script (over 5 ms) accounts for: the page
    // thread waiting for a core, or work the browser does not attribute.
    const before = f.scripts.filter((x) => x.start < renderStart).reduce((n, x) => n + x.duration, 0);
    const top = [...f.scripts].sort((a, b) => b.duration - a.duration).slice(0, 2)
      .map((x) => `${x.invokerType} ${x.invoker || x.source || '?'} ${x.duration.toFixed(0)} ms`).join('; ');
    return `${f.duration.toFixed(0)} ms frame at ${f.start.toFixed(0)} ms (blocking ${f.blocking.toFixed(0)}; scripts ${scripts.toFixed(0)}, rendering ${render.toFixed(0)}, unattributed ${Math.max(0, renderStart - f.start - before).toFixed(0)}${top ? `; ${top}` : ''})`;
  });
}

/** Long tasks during cold and warm synthetic-5000 scans (the SPEC §6 figure). */
async function benchLongTasks(o, dist) {
  const server = await startServer({ dir: dist, isolation: true });
  const cores = os.availableParallelism();
  // Side by side: a worker per core (the default), and one core left to the
  // page (?threads=cores-1), to see whether the long frames are the page
  // thread waiting for a core.
  const variants = [{ label: `${cores} workers`, query: '' }];
  if (cores > 1) variants.push({ label: `${cores - 1} worker(s)`, query: `?threads=${cores - 1}` });
  const rows = [];
  try {
    for (let run = 0; run < o.runs; run++) {
      for (const v of variants) {
        // A fresh browser each run, so the first scan generates the market (cold).
        const profile = await freshProfile('bench-lt');
        const b = await openBrowser(profile, { longTasks: true });
        try {
          await openApp(b.page, `${server.url}${v.query}`);
          for (const label of ['cold', 'warm']) {
            await setScan(b.page, { source: 'synthetic-5000', expr: o.expr });
            await b.page.waitForTimeout(300);
            await b.page.evaluate(() => { window.__longTasks = []; window.__longFrames = []; });
            const scan = await runScan(b.page, {});
            await b.page.waitForTimeout(300);
            const r = await longTaskReport(b.page);
            if (r.unsupported) throw new Error(`long tasks not observable: ${r.unsupported}`);
            rows.push({ label, variant: v.label, run, scan, ...r });
          }
        } finally {
          await b.context.close();
          await fs.rm(profile, { recursive: true, force: true });
        }
      }
    }
  } finally {
    await server.close();
  }
  console.log(`\nlong tasks (main thread, > 50 ms) during synthetic-5000 scans, ${o.runs} fresh browsers per variant (SPEC §6: none on a warm cache)`);
  for (const v of variants) {
    for (const label of ['cold', 'warm']) {
      const rs = rows.filter((r) => r.label === label && r.variant === v.label);
      const over = rs.filter((r) => r.count > 0).length;
      console.log(`${v.label.padEnd(12)} ${label.padEnd(5)} runs with a long task: ${over} of ${rs.length}; longest per run (ms): ${rs.map((r) => r.longest.toFixed(0)).join(' ')}; total ms: ${rs.map((r) => Math.round(r.scan.totalMs)).join(' ')}`);
      if (v === variants[0]) fig(`browser.longtask.${label}.longest_ms`, median(rs.map((r) => r.longest)), 'ms');
      for (const r of rs) {
        for (const line of describeFrames(r.frames.filter((f) => f.duration > 50))) console.log(`  ${v.label} ${label} run ${r.run}: ${line}`);
      }
    }
  }
}

/** JS heap and wasm memory after each of 20 scans (should stay flat). */
async function benchMemory(o, dist) {
  const server = await startServer({ dir: dist, isolation: true });
  const profile = await freshProfile('bench-mem');
  const b = await openBrowser(profile, { memory: true });
  const heap = [];
  const wasm = [];
  try {
    await openApp(b.page, server.url);
    const sources = ['synthetic-5000', 'synthetic-1000', 'sample', 'synthetic-5000'];
    for (let i = 0; i < 20; i++) {
      await runScan(b.page, { source: sources[i % sources.length], expr: o.expr });
      heap.push(await jsHeapBytes(b.page));
      wasm.push(await wasmMemoryBytes(b.page));
    }
  } finally {
    await b.context.close();
    await server.close();
    await fs.rm(profile, { recursive: true, force: true });
  }
  const mb = (x) => (x / 1048576).toFixed(1);
  console.log('\nmemory over 20 scans (synthetic-5000, synthetic-1000, sample, synthetic-5000, …), MB after each scan');
  console.log(`JS heap (after GC): ${heap.map(mb).join(' ')}`);
  console.log(`wasm memory:        ${wasm.map(mb).join(' ')}`);
  console.log(`growth scan 5 → 20: JS heap ${mb(heap[19] - heap[4])} MB, wasm ${mb(wasm[19] - wasm[4])} MB`);
  fig('memory.heap_last_over_first', heap[19] / heap[0], 'x');
  fig('memory.wasm_last_over_first', wasm[19] / wasm[0], 'x');
  fig('memory.heap_series', heap, 'B');
  fig('memory.wasm_series', wasm, 'B');
}

/** The progress panel's data-stage counts: {hits, fetched, failed}. */
async function dataCounts(page) {
  const text = (await page.locator(`${sel('progress-stage')}[data-stage="data"]`).textContent()) ?? '';
  const num = (re) => Number(((text.match(re) ?? [])[1] ?? 'NaN').replace(/[^\d]/g, ''));
  return { hits: num(/([\d,.\u202f\u00a0 ]+) cache hits/), fetched: num(/([\d,.\u202f\u00a0 ]+) fetched/), failed: num(/([\d,.\u202f\u00a0 ]+) failed/), text: text.trim() };
}

/** 5,000 symbols × 300 bars from IndexedDB after a reload, through the url source. */
async function benchIndexedDb(o, dist) {
  const symbols = 5000;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'technic-idb-'));
  // TECHNIC_CLI=path/to/technic uses a built CLI instead of `cargo run`.
  const synth = ['synth', '--out', dir, '--symbols', String(symbols), '--bars', '300'];
  const made = process.env.TECHNIC_CLI
    ? spawnSync(process.env.TECHNIC_CLI, synth, { cwd: ROOT, encoding: 'utf8', env: nativeEnv() })
    : cargoOutside(['run', '--quiet', '--release', '--locked', '--bin', 'technic', '--', ...synth]);
  if (made.status !== 0) throw new Error(`technic synth failed: ${made.stderr}`);
  const names = (await fs.readdir(dir)).filter((f) => f.endsWith('.csv')).map((f) => f.slice(0, -4)).sort();
  const app = await startServer({ dir: dist, isolation: true });
  const data = await startServer({ dir, isolation: false, cors: true });
  const profile = await freshProfile('bench-idb');
  // TECHNIC_BENCH_TRACE=1: each warm scan's long animation frames (where the page's time went).
  const trace = !!process.env.TECHNIC_BENCH_TRACE;
  const b = await openBrowser(profile, { longTasks: trace });
  const results = [];
  try {
    const configure = async () => {
      await b.page.selectOption(sel('source'), 'url');
      await b.page.locator(sel('source-url')).fill(`${data.url}{symbol}.csv`);
      // 5,000 lines: set in one input event (the driver's fill types it out).
      await b.page.locator(sel('universe-input')).evaluate((el, text) => {
        el.value = text;
        el.dispatchEvent(new Event('input', { bubbles: true }));
        el.dispatchEvent(new Event('change', { bubbles: true }));
      }, names.join('\n'));
      await b.page.locator(sel('scan-input')).fill(o.expr);
    };
    // TECHNIC_BENCH_QUERY=?threads=1 and the like: the same path with another pool.
    await openApp(b.page, `${app.url}${process.env.TECHNIC_BENCH_QUERY ?? ''}`);
    await configure();
    data.reset();
    const fill = await runScan(b.page, { timeout: 900_000 });
    results.push({ label: 'first scan (network, fills IndexedDB)', scan: fill, counts: await dataCounts(b.page), requests: Object.keys(data.requests()).length });
    for (let i = 0; i < o.runs; i++) {
      await b.page.reload();
      await b.page.locator(sel('run')).waitFor();
      await configure();
      data.reset();
      const clickAt = await b.page.evaluate(() => { window.__longTasks = []; window.__longFrames = []; return performance.now(); });
      // TECHNIC_BENCH_TRACE_FILE=f.json: a Chrome trace of the last warm scan
      // (chrome://tracing or Perfetto; per-thread busy time says what holds the page).
      const traceFile = i === o.runs - 1 ? process.env.TECHNIC_BENCH_TRACE_FILE : undefined;
      let cdp; const events = [];
      if (traceFile) {
        cdp = await b.context.newCDPSession(b.page);
        cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
        await cdp.send('Tracing.start', { transferMode: 'ReportEvents', traceConfig: { includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'IndexedDB', 'v8', 'toplevel', 'v8.execute', 'disabled-by-default-devtools.timeline.frame', 'loading', 'mojom', 'navigation'] } });
      }
      const warm = await runScan(b.page, { timeout: 300_000 });
      if (traceFile) {
        const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
        await cdp.send('Tracing.end');
        await done;
        await fs.writeFile(traceFile, JSON.stringify({ traceEvents: events, clickAt: 0 }));
        console.log(`trace: ${events.length} events in ${traceFile}`);
      }
      if (trace) {
        await b.page.waitForTimeout(300);
        const r = await longTaskReport(b.page);
        console.log(`reload #${i + 1}: Run clicked at ${clickAt.toFixed(0)} ms, all rows ${fmt(warm.totalMs)} ms`);
        for (const l of describeFrames(r.frames.filter((f) => f.duration > 50))) console.log(`  frame: ${l}`);
        console.log(`  long frames > 50 ms: ${r.frames.filter((f) => f.duration > 50).length}, longest task ${r.longest.toFixed(0)} ms`);
      }
      results.push({ label: `after reload #${i + 1} (IndexedDB)`, scan: warm, counts: await dataCounts(b.page), requests: Object.keys(data.requests()).length });
    }
  } finally {
    // Also when a scan never ended: the page's errors say why.
    if (b.problems.length) console.log(`note: console errors: ${b.problems.slice(0, 5).join(' | ')}`);
    await b.context.close();
    await app.close();
    await data.close();
    await fs.rm(profile, { recursive: true, force: true });
    await fs.rm(dir, { recursive: true, force: true });
  }
  console.log(`\nIndexedDB cache path: ${symbols} symbols × 300 bars through the url source (loopback CSV host), \`${o.expr}\` (goal: all rows < 1000 ms after a reload)`);
  for (const r of results) {
    console.log(`${r.label.padEnd(40)} first row ${fmt(r.scan.firstRowMs, 0).padStart(6)} ms, all rows ${fmt(r.scan.totalMs, 0).padStart(6)} ms (engine ${fmt(r.scan.computeMs, 0)}), cache hits ${r.counts.hits}, fetched ${r.counts.fetched}, failed ${r.counts.failed}, requests seen ${r.requests}`);
  }
  const warm = results.slice(1).map((r) => r.scan.totalMs);
  console.log(`median all rows after a reload: ${fmt(median(warm), 0)} ms`);
  fig('browser.idb5000.reload_ms', median(warm), 'ms');
  fig('browser.idb5000.reload_first_row_ms', median(results.slice(1).map((r) => r.scan.firstRowMs)), 'ms');
  fig('browser.idb5000.reload_cache_hits', results.at(-1).counts.hits, 'count');
  fig('browser.idb5000.fill_ms', results[0].scan.totalMs, 'ms');
}

/** `cargo bench --bench backtest`: ms and bars/s natively, per thread count. */
function nativeBacktest() {
  const r = cargoOutside(['bench', '--locked', '--bench', 'backtest'], { BENCH_ROUNDS: '5' });
  if (r.status !== 0) throw new Error(`cargo bench --bench backtest failed:\n${r.stderr.slice(-2000)}`);
  const lines = jsonLines(r.stdout);
  // Passed through: the load-robust estimate from per-thread CPU time.
  for (const j of lines.filter((x) => x.name === 'backtest.native.scaling_cpu_estimate')) console.log(JSON.stringify(j));
  return lines.filter((j) => j.name === 'backtest.bars_per_s');
}

/**
 * A page at `url` with the Backtest panel set up; `run()` clicks Backtest and
 * returns the page's `__technicLastBacktest` (the first run generates the
 * bars: cold; later runs keep them: warm).
 */
async function backtestPage(url, { symbols, bars, expr }) {
  const b = await openBrowser(await freshProfile('bench-backtest'));
  try {
    await openApp(b.page, url);
    await setScan(b.page, { source: `synthetic-${symbols}`, expr });
    await b.page.selectOption(sel('backtest-bars'), String(bars));
  } catch (e) {
    await b.context.close().catch(() => {});
    throw e;
  }
  return {
    async run() {
      await b.page.evaluate(() => { window.__technicLastBacktest = undefined; });
      await b.page.locator(sel('backtest-run')).click({ timeout: 60_000 });
      await b.page.waitForFunction(() => window.__technicLastBacktest !== undefined, null, { timeout: 600_000, polling: 20 });
      const r = await b.page.evaluate(() => window.__technicLastBacktest);
      if (r.stopped) throw new Error(`the backtest did not complete: ${await b.page.locator(sel('backtest-progress')).textContent()}`);
      return r;
    },
    async threads() {
      return (await b.page.locator(sel('status-workers')).textContent()).trim();
    },
    async close() {
      if (b.problems.length) console.log(`note: console errors: ${b.problems.slice(0, 5).join(' | ')}`);
      await b.context.close().catch(() => {});
    },
  };
}

/**
 * The heavy workload of the scaling figures: the Backtest panel's HEAVY_EXPR
 * over synthetic-5000 × 2,520 bars (12.6 M bars, ≥ 1 s of work on one
 * thread), on all workers and on one, then natively on 1 thread and all.
 */
async function benchBacktest(o, dist) {
  const [symbols, bars, expr] = [5000, 2520, o.backtestExpr];
  const runs = Math.max(3, o.runs);
  const server = await startServer({ dir: dist, isolation: true });
  // Both pages stay open and take turns run by run (the order swapped each
  // round), so the machine's noise falls on both alike, as the native
  // bench's thread counts alternate; an idle page costs no CPU.
  const all = { runs: [] }; const one = { runs: [] };
  const pages = [];
  try {
    pages.push(await backtestPage(server.url, { symbols, bars, expr }));
    pages.push(await backtestPage(`${server.url}?threads=1`, { symbols, bars, expr }));
    for (let i = 0; i < runs; i++) {
      const order = i % 2 ? [1, 0] : [0, 1];
      for (const k of order) (k ? one : all).runs.push(await pages[k].run());
    }
    all.threads = await pages[0].threads();
    one.threads = await pages[1].threads();
  } finally {
    for (const p of pages) await p.close();
    await server.close();
  }
  const total = symbols * bars;
  const warm = (r, k) => median(r.runs.slice(1).map((x) => x[k]));
  console.log(`\nbacktest: \`${expr}\` over synthetic-${symbols} × ${bars} bars (${all.runs[0].signals} signals), Backtest panel on the workers`);
  console.log('ms = Backtest click to __technicLastBacktest (window hook), cold = bars generated on the workers, warm = bars kept from the previous run; engine = computeMs (the workers\' own time)');
  for (const [label, r] of [[`all workers (${all.threads})`, all], [`1 worker (${one.threads})`, one]]) {
    console.log(`${label}: cold ${fmt(r.runs[0].totalMs)} ms; warm ${r.runs.slice(1).map((x) => fmt(x.totalMs)).join(', ')} ms (median ${fmt(warm(r, 'totalMs'))} = ${fmt(total / warm(r, 'totalMs') / 1e3, 1)} M bars/s); engine ${r.runs.slice(1).map((x) => fmt(x.computeMs)).join(', ')} ms`);
  }
  const [browserAll, browserOne] = [warm(all, 'computeMs'), warm(one, 'computeMs')];
  console.log(`all workers over 1 worker: engine ${fmt(browserOne / browserAll, 2)}x, total ${fmt(warm(one, 'totalMs') / warm(all, 'totalMs'), 2)}x (goal ≥ 0.85·N)`);
  fig('backtest.warm_ms', warm(all, 'totalMs'), 'ms');
  fig('backtest.cold_ms', all.runs[0].totalMs, 'ms');
  fig('backtest.warm_ms.1w', warm(one, 'totalMs'), 'ms');
  fig('backtest.compute_ms.all', browserAll, 'ms');
  fig('backtest.compute_ms.1w', browserOne, 'ms');
  fig('scaling.browser', browserOne / browserAll, 'x');
  fig('scaling.browser.total', warm(one, 'totalMs') / warm(all, 'totalMs'), 'x');
  if (o.native) {
    const native = nativeBacktest();
    for (const n of native) {
      console.log(`native (cargo bench --bench backtest), ${n.threads} thread(s): ${fmt(n.seconds * 1000)} ms = ${fmt(n.bars_per_s / 1e6, 1)} M bars/s, ${n.signals} signals`);
    }
    const n1 = native.find((n) => n.threads === 1);
    const nAll = native.reduce((a, n) => (n.threads > (a?.threads ?? 0) ? n : a), null);
    if (n1 && nAll) {
      console.log(`native all threads over 1: ${fmt(n1.seconds / nAll.seconds, 2)}x (goal ≥ 0.9·N); wasm 1 worker / native 1 thread: ${fmt(browserOne / (n1.seconds * 1000), 2)}x`);
      fig('backtest.native.ms.1t', n1.seconds * 1000, 'ms');
      fig('backtest.native.ms.all', nAll.seconds * 1000, 'ms');
      fig('scaling.native', n1.seconds / nAll.seconds, 'x');
      fig('wasm.backtest.per_thread_vs_native', browserOne / (n1.seconds * 1000), 'x');
    }
  }
}

/**
 * CDP sampling profilers (100 µs) on the page at `pageUrl` and on each of its
 * workers, through the browser's `--remote-debugging-port` `port`.
 * `stop()` gives each target's busy time and self time per function, in µs.
 */
async function startProfilers(port, pageUrl) {
  const version = await (await fetch(`http://127.0.0.1:${port}/json/version`)).json();
  const ws = new WebSocket(version.webSocketDebuggerUrl, { perMessageDeflate: false });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  let id = 0;
  const pending = new Map();
  const attached = [];
  ws.on('message', (data) => {
    const m = JSON.parse(data);
    if (m.id && pending.has(m.id)) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) p.reject(new Error(JSON.stringify(m.error))); else p.resolve(m.result);
    } else if (m.method === 'Target.attachedToTarget') attached.push(m.params);
  });
  const send = (method, params = {}, sessionId = undefined) => new Promise((resolve, reject) => {
    const m = { id: ++id, method, params, ...(sessionId ? { sessionId } : {}) };
    pending.set(m.id, { resolve, reject });
    ws.send(JSON.stringify(m));
  });
  try {
    const { targetInfos } = await send('Target.getTargets');
    const page = targetInfos.find((t) => t.type === 'page' && t.url.startsWith(pageUrl));
    const { sessionId: pageSession } = await send('Target.attachToTarget', { targetId: page.targetId, flatten: true });
    await send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true }, pageSession);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const sessions = [['page', pageSession], ...attached.filter((a) => a.targetInfo.type === 'worker').map((a, k) => [`worker ${k}`, a.sessionId])];
    for (const [, s] of sessions) {
      await send('Profiler.enable', {}, s);
      await send('Profiler.setSamplingInterval', { interval: 100 }, s);
      await send('Profiler.start', {}, s);
    }
    const stop = async () => {
      const out = [];
      for (const [label, s] of sessions) {
        const { profile: p } = await send('Profiler.stop', {}, s);
        const nodes = new Map(p.nodes.map((n) => [n.id, n]));
        const self = new Map();
        let busy = 0;
        p.samples.forEach((sample, i) => {
          const f = nodes.get(sample).callFrame;
          const name = f.functionName || `(anonymous ${f.url.split('/').pop()})`;
          const dt = p.timeDeltas[i] ?? 0;
          if (!/^\(idle\)|^\(program\)|Condvar>::wait|futex/.test(name)) busy += dt;
          self.set(name, (self.get(name) ?? 0) + dt);
        });
        out.push({ label, busy, self });
      }
      ws.close();
      return out;
    };
    return { stop };
  } catch (e) {
    ws.close();
    throw e;
  }
}

/** Prints profiles summed over `n` runs (`stop()`'s results, a list per run), per run. */
function printProfiles(runs, n) {
  const byLabel = new Map();
  for (const targets of runs) {
    for (const { label, busy, self } of targets) {
      const sum = byLabel.get(label) ?? { busy: 0, self: new Map() };
      sum.busy += busy;
      for (const [name, t] of self) sum.self.set(name, (sum.self.get(name) ?? 0) + t);
      byLabel.set(label, sum);
    }
  }
  for (const [label, { busy, self }] of byLabel) {
    console.log(`${label}: busy ${fmt(busy / 1000)} ms = ${fmt(busy / 1000 / n, 1)} ms a run; self time a run, largest first:`);
    for (const [name, t] of [...self].sort((x, y) => y[1] - x[1]).slice(0, 25)) {
      console.log(`  ${fmt(t / 1000 / n, 2).padStart(8)} ms  ${name.replace(/\[[0-9a-f]{16}\]/g, '').slice(0, 140)}`);
    }
  }
}

/**
 * Self time per function on the page and on each worker over `o.runs` warm
 * synthetic-5000 scans on one worker, after WARMUP_SCANS warm-ups (CDP
 * Profiler on the worker targets; see the file's header for names).
 * `backtest`: instead, warm runs of the heavy backtest (the scaling
 * workload) on all workers (`--only profile-backtest`).
 */
async function benchProfile(o, dist, { backtest = false } = {}) {
  const port = 9300 + Math.floor(Math.random() * 500);
  const server = await startServer({ dir: dist, isolation: true });
  const profile = await freshProfile('bench-profile');
  const b = await openBrowser(profile, { args: [`--remote-debugging-port=${port}`] });
  try {
    let work;
    if (backtest) {
      await openApp(b.page, o.threads ? `${server.url}?threads=${o.threads}` : server.url);
      await setScan(b.page, { source: 'synthetic-5000', expr: HEAVY_EXPR });
      await b.page.selectOption(sel('backtest-bars'), '2520');
      work = async () => {
        await b.page.evaluate(() => { window.__technicLastBacktest = undefined; });
        await b.page.locator(sel('backtest-run')).click({ timeout: 60_000 });
        await b.page.waitForFunction(() => window.__technicLastBacktest !== undefined, null, { timeout: 600_000, polling: 20 });
        return (await b.page.evaluate(() => window.__technicLastBacktest)).computeMs;
      };
      await work();
      await work();
    } else {
      await openApp(b.page, `${server.url}?threads=1`);
      await runScan(b.page, { source: o.source, expr: o.expr });
      for (let i = 1; i < WARMUP_SCANS; i++) await runScan(b.page, {});
      work = async () => (await runScan(b.page, {})).computeMs;
    }
    const profilers = await startProfilers(port, server.url);
    const compute = [];
    for (let i = 0; i < o.runs; i++) compute.push(await work());
    const what = backtest ? `heavy backtests (synthetic-5000 × 2520) on ${o.threads ? `${o.threads} worker(s)` : 'all workers'}, \`${HEAVY_EXPR}\`` : `${o.source} scans on 1 worker, \`${o.expr}\``;
    console.log(`\nprofile: ${o.runs} warm ${what}; engine ms ${compute.map((x) => fmt(x)).join(' ')} (the profiler slows them)`);
    printProfiles([await profilers.stop()], o.runs);
  } finally {
    await b.context.close();
    await server.close();
    await fs.rm(profile, { recursive: true, force: true });
  }
}

/**
 * Self time per function on the page and on each worker during the cold
 * synthetic-5000 scan (`--only profile-cold`): `o.runs` fresh browsers, each
 * profiled from "ready" to the end of its first scan (the `cold` figure's
 * run, with the profilers' own cost on top). The workers' profiles also hold
 * the start of `SyntheticSource::keep`, which follows the scan at once.
 */
async function benchProfileCold(o, dist) {
  const server = await startServer({ dir: dist, isolation: true });
  const runs = [];
  const compute = [];
  try {
    for (let i = 0; i < o.runs; i++) {
      const port = 9300 + Math.floor(Math.random() * 500);
      const profile = await freshProfile('bench-profile-cold');
      const b = await openBrowser(profile, { args: [`--remote-debugging-port=${port}`] });
      try {
        await openApp(b.page, server.url);
        const profilers = await startProfilers(port, server.url);
        compute.push((await runScan(b.page, { source: 'synthetic-5000', expr: o.expr })).computeMs);
        runs.push(await profilers.stop());
      } finally {
        await b.context.close();
        await fs.rm(profile, { recursive: true, force: true });
      }
    }
  } finally {
    await server.close();
  }
  console.log(`\nprofile: ${o.runs} cold synthetic-5000 scans (fresh browsers), \`${o.expr}\`; engine ms ${compute.map((x) => fmt(x)).join(' ')} (the profiler slows them)`);
  printProfiles(runs, o.runs);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const dist = path.resolve(ROOT, o.dist);
  await fs.access(path.join(dist, 'index.html')).catch(() => {
    throw new Error(`${dist} has no build: run scripts/build.sh first`);
  });
  const cores = os.availableParallelism();
  console.log(`Technic Web browser benchmark: headless Chromium, ${cores} cores (${o.only.join(', ')})`);
  if (o.only.includes('scan')) await benchScan(o, dist);
  if (o.only.includes('cold')) await benchCold(o, dist);
  if (o.only.includes('longtasks')) await benchLongTasks(o, dist);
  if (o.only.includes('memory')) await benchMemory(o, dist);
  if (o.only.includes('idb')) await benchIndexedDb(o, dist);
  if (o.only.includes('backtest')) await benchBacktest(o, dist);
  if (o.only.includes('profile')) await benchProfile(o, dist);
  if (o.only.includes('profile-backtest')) await benchProfile(o, dist, { backtest: true });
  if (o.only.includes('profile-cold')) await benchProfileCold(o, dist);
}

main().catch((e) => {
  console.error(`bench-browser: ${e.stack ?? e}`);
  process.exit(1);
});
