// Test helpers: one temp dir per test, sources closed after, waits with deadlines (no fixed sleeps).

import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createFsSource, type FileEvent, type FsSource, type FsSourceOptions, type SourceIssue, type UpsertEvent } from '@fustor/source-fs';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A fresh temp directory (realpath'd) removed after the test. */
export function tempDir(prefix = 'fustor-srcfs-'): string {
  const d = fs.realpathSync(fs.mkdtempSync(join(tmpdir(), prefix)));
  cleanups.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Writes files/dirs from a spec: keys ending in '/' are directories, others files with content. */
export function makeTree(root: string, spec: Record<string, string>): void {
  for (const [p, content] of Object.entries(spec)) {
    const abs = join(root, p);
    if (p.endsWith('/')) fs.mkdirSync(abs, { recursive: true });
    else {
      fs.mkdirSync(join(abs, '..'), { recursive: true });
      fs.writeFileSync(abs, content);
    }
  }
}

export interface Harness {
  src: FsSource;
  issues: SourceIssue[];
  realtime: FileEvent[];
}

/** Creates (and later closes) a source collecting issues and realtime events. */
export function harness(opts: FsSourceOptions): Harness {
  const issues: SourceIssue[] = [];
  const realtime: FileEvent[] = [];
  const src = createFsSource({ ...opts, events: { ...opts.events, issue: (i) => issues.push(i) } });
  src.onRealtime((evs) => realtime.push(...evs));
  cleanups.push(() => src.close());
  return { src, issues, realtime };
}

/** True when `evs` holds an event of `op` on `path` for which `extra` holds. */
export function has(evs: FileEvent[], op: string, path: string, extra: (e: FileEvent) => boolean = () => true): boolean {
  return evs.some((e) => e.op === op && e.path === path && extra(e));
}

export async function collect(iter: AsyncIterable<UpsertEvent[]>): Promise<UpsertEvent[]> {
  const out: UpsertEvent[] = [];
  for await (const b of iter) out.push(...b);
  return out;
}

export function byPath(events: UpsertEvent[]): Map<string, UpsertEvent> {
  return new Map(events.map((e) => [e.path, e]));
}

/** Polls `pred` until true or the deadline; fails with `what` on timeout. */
export async function waitFor(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function secondsAgo(s: number): Date {
  return new Date(Date.now() - s * 1000);
}

/** Sets old mtimes on every directory so the audit cache trusts them (it ignores mtimes < 2 s old). */
export function ageDirs(root: string, seconds = 60): void {
  const t = secondsAgo(seconds);
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    fs.utimesSync(d, t, t);
  };
  walk(root);
}
