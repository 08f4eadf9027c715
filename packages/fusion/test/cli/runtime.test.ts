// The shared daemon runtime: JSON-lines logger (redaction, rotation) and pid files (stale vs live).

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, daemonStatus, isProcessAlive, PidFileLockedError, pidFileState, removePidFile, writePidFile } from '@fustor/protocol';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fustor-rt-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('logger', () => {
  it('writes JSON lines with level, time, msg and fields, and never the key', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', sink: (l) => lines.push(l) });
    log.debug('hidden');
    log.info('hello', { key: 'fk_secret', nested: { api_key: 'fk_secret2', ok: 1 }, authorization: 'Bearer x' });
    log.child({ view: 'v' }).warn('child');
    expect(lines).toHaveLength(2);
    const rec = JSON.parse(lines[0]!);
    expect(rec).toMatchObject({ level: 'info', msg: 'hello', key: '[redacted]', nested: { api_key: '[redacted]', ok: 1 }, authorization: '[redacted]' });
    expect(typeof rec.time).toBe('string');
    expect(lines.join('\n')).not.toContain('fk_secret');
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'warn', view: 'v' });
  });

  it('rotates the file by size, keeping N old files', () => {
    const file = join(dir, 'logs', 'x.log');
    const log = createLogger({ file, maxBytes: 1000, maxFiles: 2 });
    for (let i = 0; i < 100; i++) log.info('line', { i, pad: 'p'.repeat(50) });
    log.close();
    const files = readdirSync(join(dir, 'logs')).sort();
    expect(files).toEqual(['x.log', 'x.log.1', 'x.log.2']);
    for (const f of files) {
      const text = readFileSync(join(dir, 'logs', f), 'utf8');
      expect(text.length).toBeLessThanOrEqual(1000);
      for (const l of text.trim().split('\n')) expect(JSON.parse(l).msg).toBe('line');
    }
    const last = readFileSync(file, 'utf8').trim().split('\n').pop()!;
    expect(JSON.parse(last).i).toBe(99);
  });
});

describe('pid file', () => {
  it('refuses a live pid, replaces a stale one, removes only its own', async () => {
    const path = join(dir, 'd.pid');
    expect(pidFileState(path)).toEqual({ state: 'absent' });
    // a live process that is not us
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      writeFileSync(path, `${child.pid}\n`);
      expect(() => writePidFile(path, 'd')).toThrow(PidFileLockedError);
      expect(daemonStatus(path)).toMatchObject({ running: true, pid: child.pid, exitCode: 0 });
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    expect(isProcessAlive(child.pid!)).toBe(false);
    expect(daemonStatus(path)).toMatchObject({ running: false, stalePid: child.pid, exitCode: 3 });
    expect(writePidFile(path, 'd')).toBe(child.pid);
    expect(readFileSync(path, 'utf8')).toBe(`${process.pid}\n`);
    removePidFile(path, 12345678);
    expect(pidFileState(path).state).toBe('running');
    removePidFile(path);
    expect(pidFileState(path)).toEqual({ state: 'absent' });
  });
});
