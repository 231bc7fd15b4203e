//! Chromium's threads as Linux sees them (/proc), for the benchmarks: how much
//! CPU each thread used, and how long the page's workers were on a core
//! against how long they were ready to run but waited for one.
//!
//! `/proc/<pid>/task/<tid>/schedstat` holds three numbers: nanoseconds on a
//! CPU, nanoseconds runnable but waiting on a run queue, time slices. A
//! worker's compute (the engine's own clock, from its start to its end)
//! is about the sum of the first two: what the thread ran, and what it
//! waited while the page's other threads held both cores.
//!
//! Linux only; elsewhere `available()` is false and the readers return empty.

import fs from 'node:fs';

/** Whether this machine has the /proc files read here. */
export function available() {
  return fs.existsSync('/proc/self/task') && fs.existsSync(`/proc/self/task/${process.pid}/schedstat`);
}

/** Every thread of every Chromium process: key `type:pid:tid:name` → `{ ticks }` (utime + stime, 10 ms ticks). */
export function chromiumThreads() {
  const out = new Map();
  if (!available()) return out;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmd;
    let tids;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone
    }
    if (!cmd.includes('chrom')) continue;
    const type = (cmd.match(/--type=([a-z-]+)/) ?? [null, 'browser'])[1];
    for (const tid of tids) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(`${type}:${pid}:${tid}:${name}`, { ticks: Number(fields[11]) + Number(fields[12]) });
      } catch {
        // The thread ended between the listing and the read.
      }
    }
  }
  return out;
}

/**
 * The scheduler's counters of every dedicated worker thread of Chromium
 * (the page's pool): key `pid:tid` → `{ onCpuNs, waitNs, involuntary, voluntary }`.
 */
export function workerSched() {
  const out = new Map();
  for (const key of chromiumThreads().keys()) {
    if (!key.endsWith(':DedicatedWorker')) continue;
    const [, pid, tid] = key.split(':');
    try {
      const [onCpuNs, waitNs] = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
      const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const count = (field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
      out.set(`${pid}:${tid}`, {
        onCpuNs, waitNs, involuntary: count('nonvoluntary_ctxt_switches'), voluntary: count('voluntary_ctxt_switches'),
      });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/**
 * What the dedicated workers did between two `workerSched()` readings, summed
 * over them and divided by `scans`: `{ cpuMs, waitMs, involuntary }` a scan
 * (a worker that idled adds nothing), or null without /proc.
 */
export function workerSchedPerScan(before, after, scans) {
  if (!available() || !after.size) return null;
  let [cpu, wait, involuntary] = [0, 0, 0];
  for (const [key, a] of after) {
    const b = before.get(key) ?? { onCpuNs: 0, waitNs: 0, involuntary: 0 };
    cpu += a.onCpuNs - b.onCpuNs;
    wait += a.waitNs - b.waitNs;
    involuntary += a.involuntary - b.involuntary;
  }
  return { cpuMs: cpu / 1e6 / scans, waitMs: wait / 1e6 / scans, involuntary: involuntary / scans };
}
