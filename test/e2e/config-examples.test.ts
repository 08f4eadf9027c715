// The shipped examples in config/ must be accepted by both CLIs' `validate` (with a temp home and real directory).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempTree, type TempTree } from '@fustor/test-helpers';
import { afterEach, describe, expect, test } from 'vitest';
import { AGENT_BIN, CONFIG_DIR, FUSION_BIN } from './helpers/paths.js';
import { runToCompletion } from './helpers/process.js';

let tmp: TempTree | null = null;
afterEach(() => {
  tmp?.cleanup();
  tmp = null;
});

describe('config/ examples', () => {
  test('config/fusion-config.yaml passes `fustor-fusion validate`', async () => {
    tmp = tempTree({ 'fusion-config.yaml': readFileSync(join(CONFIG_DIR, 'fusion-config.yaml')) }, 'fustor-e2e-cfg-');
    const root = tmp.dir;
    const r = await runToCompletion(FUSION_BIN, ['validate', '--home', root], { env: { FUSTOR_HOME: undefined } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  test('config/agent-config.yaml passes `fustor-agent validate` once its directory exists', async () => {
    tmp = tempTree({ 'research/': null }, 'fustor-e2e-cfg-');
    const root = tmp.dir;
    const data = join(root, 'research');
    // The example watches /data/research; point it at a directory that exists here, nothing else changes.
    const text = readFileSync(join(CONFIG_DIR, 'agent-config.yaml'), 'utf8');
    expect(text).toContain('uri: /data/research');
    writeFileSync(join(root, 'agent-config.yaml'), text.replace('uri: /data/research', `uri: ${data}`));
    const r = await runToCompletion(AGENT_BIN, ['validate', '--home', root], { env: { FUSTOR_HOME: undefined } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  test('a broken agent config makes `validate` exit non-zero naming file, key path and fix', async () => {
    tmp = tempTree({ 'agent-config.yaml': 'sources:\n  - id: s\n    type: fs\n    config: { uri: relative/dir }\n' }, 'fustor-e2e-cfg-');
    const root = tmp.dir;
    const r = await runToCompletion(AGENT_BIN, ['validate', '--home', root], { env: { FUSTOR_HOME: undefined } });
    expect(r.code).not.toBe(0);
    const out = r.stdout + r.stderr;
    expect(out).toContain('agent-config.yaml');
    expect(out).toMatch(/sources\[0\]\.config\.uri/);
  });
});
