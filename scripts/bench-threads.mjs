//! Where a page scan's CPU goes, by Chromium thread (a script, not a test;
//! Linux only: it reads /proc). Opens the app at `?threads=1`, runs 4 warm-up
//! scans and 20 measured ones of synthetic-5000, and prints the median compute
//! (the engine on the worker, as bench-browser.mjs's) beside each thread's CPU
//! time over the 20 (utime + stime, 10 ms ticks). With `--pin`, before the
//! measured scans every Chromium thread is put on core 0 and the page's worker
//! alone on core 1 (`taskset`): the compute then shows what sharing the two
//! cores with the page's other threads costs (README, "The engine alone, and
//! the page around it"). Last, the worker's scheduler counters a scan
//! (scripts/proc-threads.mjs): its time on a core, its time ready to run but
//! waiting for one, and how often it was preempted.
//!
//! Usage: scripts/build.sh && node scripts/bench-threads.mjs [--pin] [--expr '<scan>'] [--dist dist]

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

import { available, chromiumThreads, workerSched, workerSchedPerScan } from './proc-threads.mjs';

import { startServer } from '../tests/e2e/server.mjs';
import { freshProfile, openBrowser, openApp, runScan, median } from '../tests/e2e/harness.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const pin = args.includes('--pin');
const expr = option('--expr', 'macd_hist(12, 26, 9) > 0 and adx(14) > 20 and tech_rating >= 0');
const dist = option('--dist', 'dist');

if (!available()) throw new Error('bench-threads.mjs reads Linux /proc, which this machine does not have');

const server = await startServer({ dir: dist, isolation: true });
const profile = await freshProfile('bench-threads');
const b = await openBrowser(profile);
try {
  await openApp(b.page, `${server.url}?threads=1`);
  await runScan(b.page, { source: 'synthetic-5000', expr });
  for (let i = 0; i < 3; i++) await runScan(b.page, {});
  if (pin) {
    const threads = [...chromiumThreads().keys()];
    for (const pid of new Set(threads.map((k) => k.split(':')[1]))) execFileSync('taskset', ['-a', '-p', '1', pid]);
    const workers = threads.filter((k) => k.endsWith(':DedicatedWorker'));
    if (workers.length !== 1) throw new Error(`expected one DedicatedWorker thread, found ${workers.length}`);
    execFileSync('taskset', ['-p', '2', workers[0].split(':')[2]]);
  }
  const [before, schedBefore] = [chromiumThreads(), workerSched()];
  const scans = [];
  for (let i = 0; i < 20; i++) scans.push(await runScan(b.page, {}));
  const [after, schedAfter] = [chromiumThreads(), workerSched()];
  const sched = workerSchedPerScan(schedBefore, schedAfter, scans.length);
  console.log(`20 warm scans of \`${expr}\` on one worker${pin ? ', the worker alone on core 1' : ''}: compute median ${median(scans.map((s) => s.computeMs)).toFixed(1)} ms, total ${median(scans.map((s) => s.totalMs)).toFixed(1)} ms`);
  const rows = [...after]
    .map(([k, { ticks }]) => [(ticks - (before.get(k)?.ticks ?? 0)) * 10, k])
    .filter(([ms]) => ms > 0)
    .sort((x, y) => y[0] - x[0]);
  console.log('CPU ms over the 20 scans (÷ 20 for one), by thread (process type:pid:tid:name):');
  for (const [ms, k] of rows.slice(0, 15)) console.log(`${String(ms).padStart(7)}  ${k}`);
  if (!sched) throw new Error('no dedicated worker thread found in /proc: was the page threaded?');
  console.log(`the worker, a scan (schedstat): on a core ${sched.cpuMs.toFixed(1)} ms, ready but waiting for one ${sched.waitMs.toFixed(1)} ms, `
    + `preempted ${sched.involuntary.toFixed(1)} times`);
} finally {
  await b.context.close();
  await server.close();
  await fs.promises.rm(profile, { recursive: true, force: true });
}
