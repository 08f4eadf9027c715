// R1 regression: kill -9 Fusion right after a 200 and restart; every acknowledged batch is there and batch_seq continues.

import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { waitFor } from '@fustor/test-helpers';
import { Client, openSession, upserts } from '../server/helpers.js';
import { readPort, requireBuild, spawnForeground } from './helpers.js';

const INGEST = 'fk_ingest_durability_000001';
const READ = 'fk_read_durability_00000001';

let home: string;
let child: ChildProcess | null = null;
beforeAll(() => requireBuild());
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  child = null;
  rmSync(home, { recursive: true, force: true });
});

async function boot(): Promise<Client> {
  rmSync(join(home, 'fusion.port'), { force: true });
  child = spawnForeground(['--home', home]);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const port = await waitFor(() => readPort(home), `fusion.port (stderr: ${stderr})`, { timeoutMs: 20_000 });
  const client = new Client(`http://127.0.0.1:${port}`);
  await waitFor(async () => (await client.get('/readyz').catch(() => ({ status: 0 }))).status === 200, 'readyz', { timeoutMs: 20_000 });
  return client;
}

describe('durability (R1)', () => {
  it('kill -9 right after a 200 loses no acknowledged batch; the session continues with its batch_seq', async () => {
    home = mkdtempSync(join(tmpdir(), 'fustor-dur-'));
    writeFileSync(
      join(home, 'fusion-config.yaml'),
      `server: { port: 0 }\nviews: [{ id: research }]\napi_keys:\n  - { key: "${INGEST}", role: ingest }\n  - { key: "${READ}", role: read }\n`,
    );
    let client = await boot();
    const s = await openSession(client, INGEST, { agent_id: 'a', pipe_id: 'p', view: 'research', session_timeout_sec: 300 });
    const ev = `/api/v1/pipe/sessions/${s.session_id}/events`;
    const BATCHES = 20;
    const PER = 200;
    let acked = -1;
    for (let seq = 0; seq < BATCHES; seq++) {
      const r = await client.post(ev, INGEST, { message_source: 'realtime', batch_seq: seq, events: upserts(PER, `/b${seq}/f`) });
      expect(r.status).toBe(200);
      acked = seq;
    }
    // one more on the wire while the kill lands: it may or may not be applied, but never half
    const inFlight = client.post(ev, INGEST, { message_source: 'realtime', batch_seq: BATCHES, events: upserts(PER, `/b${BATCHES}/f`) }).catch(() => null);
    child!.kill('SIGKILL');
    await once(child!, 'exit');
    const lastAnswer = await inFlight;
    if (lastAnswer?.status === 200) acked = BATCHES;

    client = await boot();
    const st = await client.get('/api/v1/views/research/stats', READ);
    const files = st.body.data.file_count as number;
    // every acknowledged batch is present; the in-flight one is all or nothing
    expect([(acked + 1) * PER, (BATCHES + 1) * PER]).toContain(files);
    for (let seq = 0; seq <= acked; seq++) {
      const sub = await client.get(`/api/v1/views/research/stats?path=/b${seq}`, READ);
      expect(sub.body.data.file_count, `batch ${seq}`).toBe(PER);
    }
    const applied = files / PER - 1;
    // retrying the last applied number is a duplicate; the next one continues the sequence
    const dup = await client.post(ev, INGEST, { message_source: 'realtime', batch_seq: applied, events: upserts(PER, `/b${applied}/f`) });
    expect(dup.body.data.duplicate).toBe(true);
    const next = await client.post(ev, INGEST, { message_source: 'realtime', batch_seq: applied + 1, events: upserts(1, '/after') });
    expect(next.body.data).toMatchObject({ duplicate: false, accepted: 1 });
  });
});
