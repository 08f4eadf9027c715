// `fustor` as a real process against a real Fusion: every query command in human and --json form (the JSON checked
// against the OpenAPI document), settings precedence and client.yaml, and the documented exit codes.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenApiValidator } from '../../fusion/test/server/openapi-validator.js';
import { CliFusion, cliEnv, KEYS, requireBuild, runFustor, seed } from './helpers.js';

let f: CliFusion;
let api: OpenApiValidator;
const fustor = (args: string[], env: Record<string, string | undefined> = {}) => runFustor(args, cliEnv(f, env));
const json = async (args: string[]) => {
  const r = await fustor([...args, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

beforeAll(async () => {
  requireBuild();
  f = new CliFusion();
  await f.start();
  await seed(f);
  api = await OpenApiValidator.fetch(f.url);
});
afterAll(() => f?.close());

describe('fustor query commands', () => {
  it('views: a table of the views, and their summaries as JSON', async () => {
    const r = await fustor(['views']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^VIEW\s+FILES\s+DIRS\s+SIZE\s+LEADER/);
    expect(r.stdout).toMatch(/research\s+4\s+4\s+2\.0 GiB\s+cli-test\s+1\s+complete/);
    const views = await json(['views']);
    expect(views.map((v: { id: string }) => v.id)).toEqual(['research']);
    for (const v of views) api.checkComponent('ViewSummary', v);
  });

  it('ls: names, -l columns with owner and human sizes, sorting, and JSON nodes', async () => {
    expect((await fustor(['ls'])).stdout).toBe('projects/\nraw/\n');
    expect((await fustor(['ls', '/', '--sort', 'size'])).stdout).toBe('raw/\nprojects/\n');
    const long = await fustor(['ls', 'projects/alpha', '-l']);
    expect(long.code).toBe(0);
    expect(long.stdout.split('\n')[0]).toMatch(/^MODE\s+OWNER\s+GROUP\s+SIZE\s+MODIFIED\s+M\s+NAME$/);
    expect(long.stdout).toMatch(/-rw-r--r--\s+alice\s+lab\s+1\.5 KiB\s+(60 min|1 h) ago\s+run-001\.csv/);
    expect(long.stdout).toMatch(/300 B\s+24 h ago\s+run-002\.csv/);
    const items = await json(['ls', '/projects/alpha', '--sort', 'mtime']);
    expect(items.map((n: { name: string }) => n.name)).toEqual(['run-001.csv', 'run-002.csv']);
    for (const n of items) api.checkComponent('TreeNode', n);
    expect((await json(['ls', '/raw/big.bin'])).map((n: { path: string }) => n.path)).toEqual(['/raw/big.bin']);
  });

  it('tree: box drawing to --depth, file sizes; JSON is the nested node', async () => {
    const r = await fustor(['tree', '/', '--depth', '3']);
    expect(r.stdout).toBe(
      ['/', '├── projects/', '│   ├── alpha/', '│   │   ├── run-001.csv  1.5 KiB', '│   │   └── run-002.csv  300 B', '│   └── beta/', '│       └── notes.md  20 B', '└── raw/', '    └── big.bin  2.0 GiB', ''].join('\n'),
    );
    const node = await json(['tree', '/projects', '--depth', '1']);
    api.checkComponent('TreeNode', node);
    expect(node.children.items.map((c: { name: string }) => c.name)).toEqual(['alpha', 'beta']);
  });

  it('stats: the verdict first, counts and freshness; JSON is the stats answer', async () => {
    const r = await fustor(['stats', '/projects']);
    expect(r.stdout).toMatch(/^path\s+\/projects\nverdict\s+finished \(stable\)\nfiles\s+3\ndirectories\s+2\nsize\s+1\.8 KiB \(1820 bytes\)/);
    const s = await json(['stats', '/projects/alpha']);
    api.checkComponent('ViewStats', s);
    expect(s).toMatchObject({ path: '/projects/alpha', file_count: 2, total_size: 1800, stable: true });
  });

  it('du: the size of a subtree, and who fills it (usage by owner or group)', async () => {
    expect((await fustor(['du', '/projects'])).stdout).toBe('1.8 KiB\t/projects\t(3 files, 2 directories)\n');
    const byOwner = await fustor(['du', '/', '--by', 'owner']);
    expect(byOwner.code, byOwner.stderr).toBe(0);
    const lines = byOwner.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\s*SIZE\s+FILES\s+DIRS\s+NEWEST\s+OWNER$/);
    expect(lines[1]).toMatch(/2\.0 GiB\s+3\s+\d+\s+.+\s+alice$/);
    expect(lines[2]).toMatch(/20 B\s+1\s+0\s+.+\s+bob$/);
    const items = await json(['du', '/', '--by', 'group']);
    for (const i of items) api.checkComponent('UsageItem', i);
    expect(items[0]).toMatchObject({ gid: 100, name: 'lab', file_count: 4 });
  });

  it('find: globs with --type, --owner, --min-size and --newer', async () => {
    expect((await fustor(['find', '*.csv'])).stdout).toBe('/projects/alpha/run-001.csv\n/projects/alpha/run-002.csv\n');
    expect((await fustor(['find', '*.csv', '--owner', 'alice', '--min-size', '1K', '--newer', '2h'])).stdout).toBe('/projects/alpha/run-001.csv\n');
    expect((await fustor(['find', '*', '--type', 'd', '--path', '/projects'])).stdout).toBe('/projects/alpha/\n/projects/beta/\n');
    expect((await fustor(['find', '*', '--min-size', '1G'])).stdout).toBe('/raw/big.bin\n');
    expect((await fustor(['find', '*', '--owner', 'bob'])).stdout).toBe('/projects/beta/notes.md\n');
    const found = await json(['find', '*.md']);
    for (const n of found) api.checkComponent('TreeNode', n);
    expect(found.map((n: { path: string }) => n.path)).toEqual(['/projects/beta/notes.md']);
  });

  it('top: largest files, newest files, directories by size', async () => {
    const r = await fustor(['top', '/', '-n', '2']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\s*SIZE\s+MODIFIED\s+OWNER\s+PATH$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).at(-1))).toEqual(['/raw/big.bin', '/projects/alpha/run-001.csv']);
    const newest = await json(['top', '/', '--by', 'mtime', '-n', '1']);
    expect(newest.map((i: { path: string }) => i.path)).toEqual(['/projects/alpha/run-001.csv']);
    const dirs = await json(['top', '/projects', '--type', 'd', '-n', '5']);
    for (const i of dirs) api.checkComponent('TopItem', i);
    expect(dirs[0]).toMatchObject({ path: '/projects/alpha', total_size: 1800 });
  });
});

describe('fustor settings and exit codes', () => {
  it('reads url, key and view from $FUSTOR_HOME/client.yaml; flags beat the environment, which beats the file', async () => {
    writeFileSync(join(f.home, 'client.yaml'), `url: ${f.url}\nkey: ${KEYS.readAll}\nview: research\n`);
    try {
      expect((await fustor(['ls'], { FUSTOR_URL: undefined, FUSTOR_KEY: undefined })).stdout).toBe('projects/\nraw/\n');
      // the environment's key (bound to research) wins over the file's; a flag's bad key wins over both
      expect((await fustor(['ls', '--view', 'other'], { FUSTOR_URL: undefined })).code).toBe(4);
      expect((await fustor(['ls', '--key', 'fk_nope'], { FUSTOR_URL: undefined })).code).toBe(4);
    } finally {
      writeFileSync(join(f.home, 'client.yaml'), '');
    }
  });

  it('a client.yaml with an unknown key is a usage error that suggests the right one', async () => {
    writeFileSync(join(f.home, 'client.yaml'), `urll: ${f.url}\n`);
    try {
      const r = await fustor(['views']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("unknown key 'urll' (did you mean 'url'?)");
    } finally {
      writeFileSync(join(f.home, 'client.yaml'), '');
    }
  });

  it('a key that reads several views needs --view (exit 2 naming them); with it, it works', async () => {
    const r = await fustor(['ls'], { FUSTOR_KEY: KEYS.readAll });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('this key may read 2 views: research, other');
    expect((await fustor(['ls', '--view', 'research'], { FUSTOR_KEY: KEYS.readAll })).code).toBe(0);
  });

  it('exit codes: 2 usage, 3 not found, 4 auth, 5 unreachable; the API message is printed', async () => {
    const usage = await fustor(['ls', '--sort', 'owner']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--sort: 'owner' is not one of name, size, mtime");
    expect((await fustor(['find', '*', '--min-size', 'lots'])).code).toBe(2);
    expect((await fustor(['frobnicate'])).code).toBe(2);
    expect((await fustor(['stats'])).code).toBe(2);
    expect((await fustor(['views'], { FUSTOR_KEY: undefined })).code).toBe(2);
    const missing = await fustor(['stats', '/nope']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain("fustor: path '/nope' not found in view 'research'");
    expect((await fustor(['ls', '--view', 'ghost'], { FUSTOR_KEY: KEYS.admin })).code).toBe(3);
    const auth = await fustor(['views'], { FUSTOR_KEY: 'fk_unknown_key_000' });
    expect(auth.code).toBe(4);
    expect(auth.stderr).toContain('unknown or revoked API key');
    expect((await fustor(['ls', '--view', 'research'], { FUSTOR_KEY: KEYS.readOther })).code).toBe(4);
    const down = await fustor(['views'], { FUSTOR_URL: 'http://127.0.0.1:1' });
    expect(down.code).toBe(5);
    expect(down.stderr).toContain('cannot reach Fusion at http://127.0.0.1:1');
    expect((await fustor(['--help'])).code).toBe(0);
  });
});
