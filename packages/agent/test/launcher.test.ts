// The `fustor-agent` launcher: the bundle when it is up to date, the TypeScript build otherwise, and both behave alike.

import { spawnSync } from 'node:child_process';
import { rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tempTree, type TempTree } from '@fustor/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript beside the bin (it must run before any build), no declarations
import { agentEntry } from '../bin/entry.js';

type Entry = { url: string; bundled: boolean; reason: string };
const entryOf = agentEntry as (pkgUrl?: URL, env?: Record<string, string | undefined>) => Entry;

const PKG = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(PKG, 'bin', 'fustor-agent.js');

describe('launcher entry choice', () => {
  const trees: TempTree[] = [];
  afterEach(() => {
    for (const t of trees.splice(0)) t.cleanup();
  });
  /** A workspace with the agent and the two packages it bundles, every input written at `t` seconds. */
  const workspace = (bundle: boolean, t = 1_000_000): { pkg: URL; touch: (rel: string, s: number) => void } => {
    const files = ['packages/agent/dist/.tsbuildinfo', 'packages/source-fs/dist/.tsbuildinfo', 'packages/protocol/dist/.tsbuildinfo', 'node_modules/.package-lock.json'];
    if (bundle) files.push('packages/agent/dist/bundle/complete', 'packages/agent/dist/bundle/cli.cjs');
    const tree = tempTree(Object.fromEntries(files.map((f) => [f, { content: '', mtime: t }])));
    trees.push(tree);
    return {
      pkg: pathToFileURL(join(tree.dir, 'packages/agent') + '/'),
      touch: (rel, s) => utimesSync(join(tree.dir, rel), s, s),
    };
  };

  it('takes the bundle when its stamp is as new as every input', () => {
    const w = workspace(true);
    expect(entryOf(w.pkg, {})).toMatchObject({ bundled: true });
    expect(entryOf(w.pkg, {}).url).toMatch(/\/packages\/agent\/dist\/bundle\/cli\.cjs$/);
  });

  it('falls back to dist/cli/main.js when there is no bundle, and says how to make one', () => {
    const e = entryOf(workspace(false).pkg, {});
    expect(e.bundled).toBe(false);
    expect(e.url).toMatch(/\/packages\/agent\/dist\/cli\/main\.js$/);
    expect(e.reason).toContain('npm run build');
  });

  it.each([
    ['packages/agent/dist/.tsbuildinfo', 'dist/.tsbuildinfo'],
    ['packages/source-fs/dist/.tsbuildinfo', '../source-fs/dist/.tsbuildinfo'],
    ['packages/protocol/dist/.tsbuildinfo', '../protocol/dist/.tsbuildinfo'],
    ['node_modules/.package-lock.json', '../../node_modules/.package-lock.json'],
  ])('regression: a stale bundle is not run after %s is rebuilt', (rel, named) => {
    const w = workspace(true);
    w.touch(rel, 1_000_001);
    const e = entryOf(w.pkg, {});
    expect(e.bundled).toBe(false);
    expect(e.reason).toContain(named);
  });

  it('regression: a bundle directory an older build left (ESM cli.js, no cli.cjs) falls back instead of failing to load', () => {
    const w = workspace(true);
    rmSync(new URL('dist/bundle/cli.cjs', w.pkg));
    expect(entryOf(w.pkg, {})).toMatchObject({ bundled: false, reason: 'no dist/bundle/cli.cjs (run `npm run build`)' });
  });

  it("regression: a bundle left after the agent's build was cleaned is not run", () => {
    const w = workspace(true);
    rmSync(new URL('dist/.tsbuildinfo', w.pkg));
    expect(entryOf(w.pkg, {})).toMatchObject({ bundled: false, reason: 'no TypeScript build (run `npm run build`)' });
  });

  it('regression: an input a fraction of a millisecond newer than the stamp (the stamp is dated in whole ms) is not stale', () => {
    const w = workspace(true);
    w.touch('node_modules/.package-lock.json', 1_000_000.0004);
    expect(entryOf(w.pkg, {})).toMatchObject({ bundled: true });
  });

  it('FUSTOR_AGENT_BUNDLE=0 forces the unbundled build', () => {
    expect(entryOf(workspace(true).pkg, { FUSTOR_AGENT_BUNDLE: '0' })).toMatchObject({ bundled: false, reason: 'FUSTOR_AGENT_BUNDLE=0' });
  });
});

describe('launcher in this checkout (after npm run build)', () => {
  const run = (args: string[], bundle: boolean) =>
    spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, FUSTOR_AGENT_BUNDLE: bundle ? undefined : '0' } });

  it('uses the bundle, so the e2e tests run what users run', () => {
    const e = entryOf();
    expect(e.reason).toBe('bundle up to date');
    expect(e.bundled).toBe(true);
  });

  it('bundled and unbundled builds answer alike (help, and a config error)', () => {
    const tree = tempTree({ 'agent-config.yaml': 'agent_id: a1\nbogus_key: 1\n' });
    try {
      for (const args of [['--help'], ['validate', '--config', join(tree.dir, 'agent-config.yaml')]]) {
        const a = run(args, true);
        const b = run(args, false);
        expect({ status: a.status, stdout: a.stdout, stderr: a.stderr }).toEqual({ status: b.status, stdout: b.stdout, stderr: b.stderr });
      }
      expect(run(['validate', '--config', join(tree.dir, 'agent-config.yaml')], true).stderr).toMatch(/invalid configuration/);
    } finally {
      tree.cleanup();
    }
  });
});
