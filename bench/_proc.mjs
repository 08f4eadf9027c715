// CPU time of live processes and their threads from Linux /proc (null or empty where it cannot be read).

import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** The fields of a /proc stat line after its `(comm)`: utime is [11], stime [12]. */
const fieldsOf = (raw) => raw.slice(raw.lastIndexOf(') ') + 2).split(' ');

/** User and system CPU time of a process in ms: the system share is the kernel's work (a walk's syscalls). */
export function cpuTimes(pid) {
  try {
    const f = fieldsOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return { user: Number(f[11]) * TICK_MS, sys: Number(f[12]) * TICK_MS };
  } catch {
    return null;
  }
}

/** User + system CPU time of a process in ms. */
export function cpuMs(pid) {
  const t = cpuTimes(pid);
  return t === null ? null : t.user + t.sys;
}

/** CPU ms per thread of a process: `main` for the main thread, `name:tid` for the others (worker threads share the process name). */
export function threadCpu(pid) {
  const out = {};
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const raw = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = fieldsOf(raw);
      const ms = (Number(f[11]) + Number(f[12])) * TICK_MS;
      if (ms > 0) out[tid === String(pid) ? 'main' : `${raw.slice(raw.indexOf('(') + 1, raw.lastIndexOf(')'))}:${tid}`] = ms;
    }
  } catch {
    // gone, or not Linux
  }
  return out;
}

/**
 * Time a process's main thread spent waiting, in ms: in the run queue for a CPU (schedstat) and on
 * block I/O (delay accounting: needs `sysctl kernel.task_delayacct=1`, else 0). Tells a CPU-bound run
 * from one that waits on the disk (Fusion's commits on a busy disk).
 */
export function waits(pid) {
  try {
    const f = fieldsOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const runq = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
    return { runq_ms: Math.round(runq), blkio_ms: Number(f[39]) * TICK_MS };
  } catch {
    return null;
  }
}
