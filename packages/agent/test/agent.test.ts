// Agent supervisor reload semantics and the CLI's config-checking commands (in-process).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Agent } from '../src/agent.js';
import { main } from '../src/cli/main.js';
import { parseConfig } from '../src/config/load.js';
import { FakeSender, FakeSource, quietLogger } from './helpers/fakes.js';
import { tempTree, waitFor, type TempTree } from '@fustor/test-helpers';

function yaml(data: string, pipes: string[], extra = ''): string {
  return `
agent_id: t
console: { port: 0 }
sources: [{ id: s1, type: fs, config: { uri: "${data}" } }]
senders: [{ id: f1, type: fusion, config: { endpoint: "http://127.0.0.1:1", credential: k } }]
pipes:
${pipes.map((p) => `  - ${p}`).join('\n')}
${extra}`;
}

describe('Agent.reload', () => {
  let tmp: TempTree;
  let agent: Agent | null = null;
  beforeEach(() => (tmp = tempTree()));
  afterEach(async () => {
    await agent?.stop(50);
    tmp.cleanup();
  });

  it('starts added pipes, stops removed ones, restarts changed ones, leaves the rest running', async () => {
    const senders: FakeSender[] = [];
    const parse = (t: string) => parseConfig(t, { file: join(tmp.dir, 'agent-config.yaml'), home: tmp.dir });
    agent = new Agent(parse(yaml(tmp.dir, ['{ id: keep, source_id: s1, sender_id: f1 }', '{ id: drop, source_id: s1, sender_id: f1 }', '{ id: change, source_id: s1, sender_id: f1 }'])), {
      log: quietLogger(),
      createSource: (o) => new FakeSource(o),
      createSender: () => {
        const s = new FakeSender();
        senders.push(s);
        return s;
      },
      backoff: { baseMs: 5, capMs: 20 },
      commandWaitMs: 50,
    });
    agent.start();
    await waitFor(() => agent!.status().pipes.every((p) => p.state === 'leader'), 'all pipes leader');
    const keep = agent.pipe('keep');
    const result = await agent.reload(parse(yaml(tmp.dir, [
      '{ id: keep, source_id: s1, sender_id: f1 }',
      '{ id: change, source_id: s1, sender_id: f1, audit_interval_sec: 5 }',
      '{ id: added, source_id: s1, sender_id: f1 }',
      '{ id: off, source_id: s1, sender_id: f1, enabled: false }',
    ])));
    expect(result).toEqual({ added: ['added'], removed: ['drop'], restarted: ['change'], unchanged: ['keep'] });
    expect(agent.pipe('keep')).toBe(keep);
    expect(agent.pipe('drop')).toBeUndefined();
    expect(agent.pipe('off')).toBeUndefined();
    expect(senders[1]!.closedSessions).toEqual(['s1']); // the removed pipe closed its session
    await waitFor(() => agent!.status().pipes.length === 3 && agent!.status().pipes.every((p) => p.state === 'leader'), 'reloaded pipes up');
    expect(agent.status().reload).toMatchObject({ generation: 1, error: null });
  });
});

describe('fustor-agent CLI (in-process)', () => {
  let tmp: TempTree;
  let stderr: string[];
  let stdout: string[];
  beforeEach(() => {
    tmp = tempTree();
    stderr = [];
    stdout = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (stderr.push(String(s)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (stdout.push(String(s)), true));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
    tmp.cleanup();
  });

  it('validate: OK line and exit 0 for a good file; exit 1 naming file and key for a broken one', async () => {
    const data = join(tmp.dir, 'data');
    mkdirSync(data);
    writeFileSync(join(tmp.dir, 'agent-config.yaml'), yaml(data, ['{ id: p1, source_id: s1, sender_id: f1 }']));
    await main(['node', 'fustor-agent', 'validate', '--home', tmp.dir]);
    expect(process.exitCode ?? 0).toBe(0);
    expect(stdout.join('')).toMatch(/OK — agent t, 1 source\(s\), 1 sender\(s\), 1 pipe\(s\)/);
    writeFileSync(join(tmp.dir, 'agent-config.yaml'), yaml(data, ['{ id: p1, source_id: s2, sender_id: f1 }']));
    await main(['node', 'fustor-agent', 'validate', '--home', tmp.dir]);
    expect(process.exitCode).toBe(1);
    expect(stderr.join('')).toContain(`${join(tmp.dir, 'agent-config.yaml')}: pipes[0] (id 'p1').source_id: no source 's2'; defined sources: s1`);
  });

  it('reload with a broken file exits non-zero naming the problem and signals nothing', async () => {
    writeFileSync(join(tmp.dir, 'agent-config.yaml'), 'pipes: [{ id: p1, source_id: nope, sender_id: f1, colour: red }]\n');
    // A pid file naming this very process: if reload signalled it, the test runner would get SIGHUP.
    writeFileSync(join(tmp.dir, 'agent.pid'), `${process.pid}\n`);
    const hup = vi.fn();
    process.on('SIGHUP', hup);
    try {
      await main(['node', 'fustor-agent', 'reload', '--home', tmp.dir]);
    } finally {
      process.off('SIGHUP', hup);
    }
    expect(process.exitCode).toBe(1);
    expect(stderr.join('')).toMatch(/pipes\[0\]\.colour: unknown key/);
    expect(hup).not.toHaveBeenCalled();
  });

  it('status exits 3 when not running; stop reports not running', async () => {
    await main(['node', 'fustor-agent', 'status', '--home', tmp.dir]);
    expect(process.exitCode).toBe(3);
    expect(stdout.join('')).toContain('not running');
    process.exitCode = undefined;
    await main(['node', 'fustor-agent', 'stop', '--home', tmp.dir]);
    expect(process.exitCode ?? 0).toBe(0);
  });
});
