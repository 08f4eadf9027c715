// The shared daemon runtime: JSON-lines logger (redaction, rotation) and pid files (stale vs live).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

  it('redacts keys at any depth (redaction stopped at depth 4) and survives cycles', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', sink: (l) => lines.push(l) });
    let deep: Record<string, unknown> = { api_key: 'fk_deep_secret', token: 'tok_deep' };
    for (let i = 0; i < 12; i++) deep = { level: i, inner: deep, list: [{ authorization: 'Bearer fk_in_list' }] };
    const cyclic: Record<string, unknown> = { password: 'pw_cycle' };
    cyclic.self = cyclic;
    log.info('deep', { deep, cyclic });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/fk_deep_secret|tok_deep|fk_in_list|pw_cycle/);
    expect(lines[0]).toContain('[redacted]');
    expect(lines[0]).toContain('[circular]');
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

describe('pid file race', () => {
  const DIST = fileURLToPath(new URL('../../../protocol/dist/index.js', import.meta.url));

  /** `n` processes call writePidFile on `path` at the same moment; resolves with how many won. */
  async function race(path: string, n: number): Promise<{ won: number; lost: number }> {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run \`npm run build\` before this test`);
    const go = join(dir, 'go');
    const code = `
      const { writePidFile } = await import(${JSON.stringify(DIST)});
      const fs = await import('node:fs');
      while (!fs.existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 2));
      try { writePidFile(${JSON.stringify(path)}, 'd'); process.stdout.write('won'); }
      catch (e) { process.stdout.write(e.name === 'PidFileLockedError' ? 'lost' : 'error ' + e.message); }
      setTimeout(() => {}, 3000);`;
    const children = Array.from({ length: n }, () => spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] }));
    const outs = children.map((c) => new Promise<string>((resolve) => {
      let out = '';
      c.stdout!.on('data', (d) => {
        out += d;
        if (out === 'won' || out === 'lost' || out.startsWith('error')) resolve(out);
      });
    }));
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(go, '');
    const results = await Promise.all(outs);
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)))));
    rmSync(go);
    expect(results.filter((r) => r.startsWith('error'))).toEqual([]);
    return { won: results.filter((r) => r === 'won').length, lost: results.filter((r) => r === 'lost').length };
  }

  it('of 8 starts racing on no pid file, exactly one wins', async () => {
    const path = join(dir, 'race.pid');
    expect(await race(path, 8)).toEqual({ won: 1, lost: 7 });
  });

  it('of 8 starts racing on a stale pid file, exactly one wins (check-then-write let two win)', async () => {
    const path = join(dir, 'stale.pid');
    writeFileSync(path, '999999999\n');
    expect(await race(path, 8)).toEqual({ won: 1, lost: 7 });
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});
