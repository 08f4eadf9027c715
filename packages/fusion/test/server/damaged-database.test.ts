// A 0-byte database (it started silently empty) and one damaged mid-file (it said only "malformed"): both name the file and the fix.

import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/validate.js';
import { FusionServer } from '../../src/server/fusion-server.js';
import { openViewStore } from '../../src/views/open-view-store.js';
import { KEYS, openSession, quietLogger, startFusion, testConfigRaw, upserts } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function serverOn(dbPath: string, home: string): FusionServer {
  const config = resolveConfig(testConfigRaw({ storage: { path: dbPath } }), join(home, 'fusion-config.yaml'), home);
  return new FusionServer({ config, openStore: openViewStore, log: quietLogger(), port: 0 });
}

async function startError(server: FusionServer): Promise<Error> {
  try {
    await server.start();
  } catch (err) {
    return err as Error;
  }
  await server.stop();
  throw new Error('Fusion started on a database it should have refused');
}

describe('a database that cannot be trusted', () => {
  it('a 0-byte fusion.db refuses to start, naming the file and the fix (it started silently empty)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'fustor-empty-db-'));
    dirs.push(home);
    const db = join(home, 'fusion.db');
    writeFileSync(db, '');
    const err = await startError(serverOn(db, home));
    expect(err.message).toContain(db);
    expect(err.message).toMatch(/empty \(0 bytes\)/);
    expect(err.message).toMatch(/restore it from a backup, or delete it to start fresh/i);
    expect(statSync(db).size).toBe(0);
  });

  it('a file damaged mid-way names the file and how to rebuild or restore (it said only "malformed")', async () => {
    const f = await startFusion();
    dirs.push(f.dir);
    const s = await openSession(f.client, KEYS.ingest, { agent_id: 'a', pipe_id: 'p', view: 'research' });
    for (let b = 0; b < 6; b++) {
      const r = await f.client.post(`/api/v1/pipe/sessions/${s.session_id}/events`, KEYS.ingest, { message_source: 'realtime', batch_seq: b, events: upserts(1000, `/d${b}/file-with-a-longish-name-`) });
      expect(r.status).toBe(200);
    }
    await f.client.close();
    await f.server.stop();
    const db = f.config.storage.path;
    // keep the header page, scribble over the middle half of the file
    const size = statSync(db).size;
    const fd = openSync(db, 'r+');
    writeSync(fd, Buffer.alloc(Math.floor(size / 2), 0xa5), 0, Math.floor(size / 2), Math.floor(size / 4));
    closeSync(fd);
    const err = await startError(serverOn(db, f.dir));
    expect(err.message).toContain(db);
    expect(err.message).toMatch(/damaged/);
    expect(err.message).toMatch(/move .* aside/);
    expect(err.message).toMatch(/restore the file from a backup/);
  });
});
