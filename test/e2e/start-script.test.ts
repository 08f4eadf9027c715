// `npm start`'s script: first run writes configs and keys, starts both daemons, prints a curl line that works; SIGTERM stops both.

import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';
import { REPO_ROOT, START_SCRIPT } from './helpers/paths.js';
import { freePort } from './helpers/ports.js';
import { tempTree } from '@fustor/test-helpers';
import { notYet, waitFor } from './helpers/wait.js';

const run = promisify(execFile);
let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

// Like a shell job: the script leads its own process group, so the test can send Ctrl-C to the whole group.
function startScript(home: string, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [START_SCRIPT, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, FUSTOR_HOME: home, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

/** Failure path: kill the script and the daemons it started (they run in process groups of their own). */
async function killAll(s: ReturnType<typeof startScript>, home: string): Promise<void> {
  s.child.kill('SIGKILL');
  await s.exited;
  for (const f of ['fusion.pid', 'agent.pid']) {
    try {
      process.kill(Number(readFileSync(join(home, f), 'utf8').trim()), 'SIGKILL');
    } catch {
      // not running, or no pid file
    }
  }
}

describe('scripts/start.mjs', () => {
  test('starts Fusion and an agent on a named directory and prints a working curl line', async () => {
    const tmp = tempTree({ 'watched/top.txt': 'hello', 'watched/nested/inner.dat': 'inner' }, 'fustor-e2e-start-');
    const home = join(tmp.dir, 'home');
    const data = join(tmp.dir, 'watched');
    const s = startScript(home, [data], {
      FUSTOR_FUSION_PORT: String(await freePort()),
      FUSTOR_CONSOLE_PORT: String(await freePort()),
    });
    cleanup = async () => {
      await killAll(s, home);
      tmp.cleanup();
    };

    const curl = await waitFor(
      async () => {
        if (s.child.exitCode !== null) throw new Error(`start.mjs exited ${s.child.exitCode}:\n${s.output()}`);
        const line = s.output().split('\n').map((l) => l.trim()).find((l) => l.startsWith('curl '));
        return line ? line : notYet(s.output());
      },
      { timeoutMs: 60_000, what: 'start.mjs to print its curl line' },
    );
    expect(s.output()).toMatch(/Fusion:\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(s.output()).toMatch(/Agent console:\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(existsSync(join(home, 'fusion-config.yaml'))).toBe(true);
    expect(readFileSync(join(home, 'agent-config.yaml'), 'utf8')).toContain(data);

    // The printed command, run as printed, eventually lists what is in the directory.
    const listing = await waitFor(
      async () => {
        const { stdout } = await run('sh', ['-c', curl], { timeout: 10_000 });
        const body = JSON.parse(stdout) as { code: number; data?: { node: { children?: { items: { name: string }[] } } } };
        const names = (body.data?.node.children?.items ?? []).map((i) => i.name).sort();
        return body.code === 0 && names.join() === 'nested,top.txt' ? names : notYet(stdout);
      },
      { timeoutMs: 30_000, what: 'the printed curl command to list the watched directory' },
    );
    expect(listing).toEqual(['nested', 'top.txt']);

    // The page it points at is served, and the printed fustor line (run from the checkout) lists the directory.
    const page = /Web page:\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(s.output());
    expect(page, s.output()).not.toBeNull();
    const html = await fetch(page![1]!);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(await html.text()).toContain('<title>Fustor</title>');
    const fustorLine = s.output().split('\n').map((l) => l.trim()).find((l) => l.startsWith('FUSTOR_URL='));
    const { stdout: ls } = await run('sh', ['-c', fustorLine!], { timeout: 30_000, cwd: REPO_ROOT });
    expect(ls).toMatch(/top\.txt/);

    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.output()).toMatch(/stopped agent/);
    expect(s.output()).toMatch(/stopped fusion/);

    // A later run keeps the generated keys; naming another directory re-points the agent and resets the view.
    tmp.write({ 'other/only-here.txt': 'second directory' });
    const other = join(tmp.dir, 'other');
    const again = startScript(home, [other], {});
    cleanup = async () => {
      await killAll(again, home);
      tmp.cleanup();
    };
    const curl2 = await waitFor(
      async () => {
        if (again.child.exitCode !== null) throw new Error(`start.mjs exited ${again.child.exitCode}:\n${again.output()}`);
        const line = again.output().split('\n').map((l) => l.trim()).find((l) => l.startsWith('curl '));
        return line ? line : notYet(again.output());
      },
      { timeoutMs: 60_000, what: 'the second run to print its curl line' },
    );
    expect(curl2).toBe(curl);
    await waitFor(
      async () => {
        const { stdout } = await run('sh', ['-c', curl2], { timeout: 10_000 });
        const body = JSON.parse(stdout) as { data?: { node: { children?: { items: { name: string }[] } } } };
        const names = (body.data?.node.children?.items ?? []).map((i) => i.name).sort();
        return names.join() === 'only-here.txt' ? names : notYet(stdout);
      },
      { timeoutMs: 30_000, what: 'the view to show only the newly named directory' },
    );
    // Ctrl-C in a terminal signals the whole foreground group; the agent must still stop before Fusion, gracefully.
    process.kill(-again.child.pid!, 'SIGINT');
    expect(await again.exited).toBe(0);
    expect(again.output()).toMatch(/stopped agent\nstopped fusion/);
    expect(existsSync(join(home, 'agent.pid'))).toBe(false);
    expect(existsSync(join(home, 'fusion.pid'))).toBe(false);
  });

  test('refuses a directory that does not exist, naming it', async () => {
    const tmp = tempTree({}, 'fustor-e2e-start-');
    const root = tmp.dir;
    cleanup = async () => tmp.cleanup();
    const s = startScript(join(root, 'home'), [join(root, 'missing')], {});
    expect(await s.exited).toBe(1);
    expect(s.output()).toContain(join(root, 'missing'));
  });
});
