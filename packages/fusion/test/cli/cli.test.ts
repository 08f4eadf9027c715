// fustor-fusion CLI as real processes: start -D on port 0, status, keys create while running, reload (broken and valid), stop.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '@fustor/test-helpers';
import { Client } from '../server/helpers.js';
import { readPort, requireBuild, runCli } from './helpers.js';

const ADMIN = 'fk_admin_cli_test_0123456789';
const configText = (views: string[]) => `server: { host: 127.0.0.1, port: 0 }
views:
${views.map((v) => `  - id: ${v}`).join('\n')}
api_keys:
  - { key: "${ADMIN}", role: admin }
`;

let home: string;
beforeAll(() => requireBuild());
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'fustor-cli-'));
  writeFileSync(join(home, 'fusion-config.yaml'), configText(['research']));
});
afterEach(async () => {
  await runCli(['stop', '--home', home]);
  rmSync(home, { recursive: true, force: true });
});

describe('fustor-fusion CLI', () => {
  it('start -D returns once listening; status, keys, reload and stop work on the daemon', async () => {
    const started = await runCli(['start', '-D', '--home', home]);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/started \(pid \d+\), listening on http:\/\/127\.0\.0\.1:\d+/);
    const port = readPort(home);
    expect(port).toBeGreaterThan(0);
    const client = new Client(`http://127.0.0.1:${port}`);
    // -D returned only after listening: no waiting needed
    expect((await client.get('/readyz')).status).toBe(200);

    const status = await runCli(['status', '--home', home]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/is running \(pid \d+, uptime/);
    expect(status.stdout).toMatch(/view research: 0 files/);

    const again = await runCli(['start', '-D', '--home', home]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already running/);

    // a key created by the CLI while the daemon runs works on its first use
    const keys = await runCli(['keys', 'create', '--role', 'read', '--views', 'research', '--home', home]);
    expect(keys.code, keys.stderr).toBe(0);
    const key = keys.stdout.trim();
    expect(key).toMatch(/^fk_read_/);
    expect((await client.get('/api/v1/views/research/stats', key)).status).toBe(200);

    // a broken file: reload fails naming the problem, the daemon keeps its running config
    writeFileSync(join(home, 'fusion-config.yaml'), configText(['research']).replace('views:', 'viewz:'));
    const broken = await runCli(['reload', '--home', home]);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toContain("viewz: unknown key; did you mean 'views'?");
    expect((await client.get('/api/v1/views', ADMIN)).body.data.items.map((v: any) => v.id)).toEqual(['research']);

    // a valid change is applied without a restart
    writeFileSync(join(home, 'fusion-config.yaml'), configText(['research', 'extra']));
    const ok = await runCli(['reload', '--home', home]);
    expect(ok.code, ok.stderr).toBe(0);
    await waitFor(async () => (await client.get('/api/v1/views', ADMIN)).body.data.items.length === 2, 'view added by reload');

    const stop = await runCli(['stop', '--home', home]);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/stopped/);
    const after = await runCli(['status', '--home', home]);
    expect(after.code).toBe(3);
    expect(after.stdout).toMatch(/not running/);
  });

  it('validate reports a broken file with its key path and exits non-zero; start -D refuses it', async () => {
    writeFileSync(join(home, 'fusion-config.yaml'), 'views:\n  - id: research\n    hot_file_treshold_sec: 1\n');
    const v = await runCli(['validate', '--home', home]);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain("views[0].hot_file_treshold_sec: unknown key; did you mean 'hot_file_threshold_sec'?");
    const s = await runCli(['start', '-D', '--home', home]);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('hot_file_treshold_sec');
    expect((await runCli(['status', '--home', home])).code).toBe(3);
  });

  it('a stale pid file is replaced by start', async () => {
    writeFileSync(join(home, 'fusion.pid'), '999999\n');
    const st = await runCli(['status', '--home', home]);
    expect(st.code).toBe(3);
    expect(st.stdout).toMatch(/stale pid file/);
    const started = await runCli(['start', '-D', '--home', home]);
    expect(started.code, started.stderr).toBe(0);
    expect((await runCli(['status', '--home', home])).code).toBe(0);
  });
});
