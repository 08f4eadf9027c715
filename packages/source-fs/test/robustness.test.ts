// R10-style faults: permission denied, entries vanishing mid-scan, descriptor exhaustion.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FsLayer, LocalPath } from '@fustor/source-fs';
import { byPath, collect, harness, makeTree, tempDir } from './helpers.js';

const errno = (code: string, p: LocalPath) => Object.assign(new Error(`${code}: injected, '${String(p)}'`), { code });
const isPath = (p: LocalPath, want: string) => String(p) === want;

describe('robustness', () => {
  it('permission-denied subtree (injected EACCES): reported once, skipped, scan continues; audit marks it not listed', async () => {
    const root = tempDir();
    makeTree(root, { 'open/a.dat': '1', 'locked/b.dat': '1', 'locked/sub/c.dat': '1', 'z.dat': '1' });
    const locked = join(root, 'locked');
    const fsLayer: Partial<FsLayer> = {
      readdir: async (p) => {
        if (isPath(p, locked)) throw errno('EACCES', p);
        return fs.promises.readdir(p, { withFileTypes: true });
      },
    };
    const { src, issues } = harness({ root, realtime: false, fs: fsLayer });
    await src.start();
    const snap = byPath(await collect(src.snapshot()));
    expect([...snap.keys()].sort()).toEqual(['/', '/locked', '/open', '/open/a.dat', '/z.dat']);
    const audit = byPath(await collect(src.audit()));
    // Its own entry is still sent (it exists) but flagged as not listed, so nothing below it is deleted.
    expect(audit.get('/locked')).toMatchObject({ is_dir: true, audit_skipped: true });
    expect(audit.get('/open')).toMatchObject({ audit_skipped: false });
    const denied = issues.filter((i) => i.kind === 'permission_denied');
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ path: locked, code: 'EACCES' });
  });

  it('a file deleted between readdir and stat is skipped as vanished, the rest is reported', async () => {
    const root = tempDir();
    makeTree(root, { 'd/gone.dat': '1', 'd/stays.dat': '22' });
    const d = join(root, 'd');
    let armed = false;
    const fsLayer: Partial<FsLayer> = {
      readdir: async (p) => {
        const list = await fs.promises.readdir(p, { withFileTypes: true });
        if (armed && isPath(p, d)) {
          armed = false;
          fs.unlinkSync(join(d, 'gone.dat')); // the race, made deterministic
        }
        return list;
      },
    };
    const { src, issues } = harness({ root, realtime: false, fs: fsLayer });
    await src.start();
    armed = true;
    const m = byPath(await collect(src.snapshot()));
    expect(m.has('/d/gone.dat')).toBe(false);
    expect(m.get('/d/stays.dat')).toMatchObject({ size: 2 });
    expect(issues).toEqual([expect.objectContaining({ kind: 'vanished', path: join(d, 'gone.dat') })]);
  });

  it('EMFILE on a listing: pauses, retries, reports once, and finishes the scan', async () => {
    const root = tempDir();
    makeTree(root, { 'a/f1': '1', 'a/f2': '1' });
    const a = join(root, 'a');
    let failures = 3;
    const fsLayer: Partial<FsLayer> = {
      readdir: async (p) => {
        if (isPath(p, a) && failures-- > 0) throw errno('EMFILE', p);
        return fs.promises.readdir(p, { withFileTypes: true });
      },
    };
    const { src, issues } = harness({ root, realtime: false, fs: fsLayer });
    await src.start();
    const m = byPath(await collect(src.snapshot()));
    expect(m.has('/a/f1') && m.has('/a/f2')).toBe(true);
    expect(issues.filter((i) => i.kind === 'too_many_open_files')).toHaveLength(1);
  });

  it('ELOOP / ENAMETOOLONG / unknown stat errors on single entries are reported with their kind and skipped', async () => {
    const root = tempDir();
    makeTree(root, { 'a/loop': '1', 'a/long': '1', 'a/odd': '1', 'a/fine': '1' });
    const fail: Record<string, string> = { loop: 'ELOOP', long: 'ENAMETOOLONG', odd: 'EIO' };
    const fsLayer: Partial<FsLayer> = {
      lstatSync: (p) => {
        const name = String(p).slice(String(p).lastIndexOf('/') + 1);
        if (fail[name]) throw errno(fail[name]!, p);
        return fs.lstatSync(p, { throwIfNoEntry: false });
      },
    };
    const { src, issues } = harness({ root, realtime: false, fs: fsLayer });
    await src.start();
    const m = byPath(await collect(src.snapshot()));
    expect(m.has('/a/fine')).toBe(true);
    expect(issues.map((i) => i.kind).sort()).toEqual(['io_error', 'name_too_long', 'symlink_loop']);
  });
});

// Tests run as root, and root bypasses permission bits: this part runs the built driver in a child
// process that drops to `nobody`, so the EACCES comes from the real kernel.
describe('robustness as an unprivileged user', () => {
  const pkg = fileURLToPath(new URL('..', import.meta.url));
  const canSetuid = typeof process.getuid === 'function' && process.getuid() === 0;

  beforeAll(() => {
    if (!canSetuid) return;
    const r = spawnSync('npx', ['tsc', '-b', pkg], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building source-fs failed: ${r.stdout}${r.stderr}`);
  }, 120_000);

  it.runIf(canSetuid)('a real mode-000 directory yields one permission_denied issue and the scan completes', async () => {
    const base = tempDir();
    fs.chmodSync(base, 0o755);
    const root = join(base, 'tree');
    makeTree(root, { 'ok/a.dat': '1', 'secret/b.dat': '1', 'c.dat': '1' });
    for (const p of ['', 'ok', 'secret']) fs.chmodSync(join(root, p), 0o755);
    for (const p of ['ok/a.dat', 'secret/b.dat', 'c.dat']) fs.chmodSync(join(root, p), 0o644);
    fs.chmodSync(join(root, 'secret'), 0o000);
    const script = `
      const { createFsSource } = await import(${JSON.stringify(join(pkg, 'dist/index.js'))});
      process.setgid(65534); process.setuid(65534);
      const issues = [];
      const src = createFsSource({ root: ${JSON.stringify(root)}, realtime: false, events: { issue: (i) => issues.push(i) } });
      await src.start();
      const paths = [];
      for await (const b of src.snapshot()) for (const e of b) paths.push(e.path);
      await src.close();
      console.log(JSON.stringify({ uid: process.getuid(), paths: paths.sort(), issues }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: base });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.uid).toBe(65534);
    expect(out.paths).toEqual(['/', '/c.dat', '/ok', '/ok/a.dat', '/secret']);
    expect(out.issues).toEqual([expect.objectContaining({ kind: 'permission_denied', code: 'EACCES', path: join(root, 'secret') })]);
  });
});
