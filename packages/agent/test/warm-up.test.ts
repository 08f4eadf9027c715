// cli/warm-up.ts: the launcher's code cache is written once the first snapshot has ended, or at the latest
// after maxMs, and never when the agent stops before.

import { waitFor } from '@fustor/test-helpers';
import { describe, expect, it } from 'vitest';
import type { AgentStatus } from '../src/agent.js';
import { afterStartUp } from '../src/cli/warm-up.js';

/** A status source that counts how often it is consulted (the poll is the signal the tests wait on). */
function fakeStatus(ends: Array<number | null>) {
  const s = { polls: 0, status: () => (s.polls++, { pipes: ends.map((e) => ({ last_snapshot_end_ms: e })) }) as unknown as AgentStatus };
  return s;
}

describe('afterStartUp', () => {
  it('fires once, when a pipe reports its first snapshot end, and stops polling', async () => {
    const ends: Array<number | null> = [null, null];
    const s = fakeStatus(ends);
    let calls = 0;
    afterStartUp(s.status, () => calls++, { everyMs: 5, maxMs: 60_000 });
    await waitFor(() => s.polls >= 3, 'three polls');
    expect(calls).toBe(0);
    ends[1] = Date.now();
    await waitFor(() => calls === 1, 'the warm call');
    const polls = s.polls;
    // A second timer of the same period has fired several times: the first one is gone.
    await new Promise((r) => setTimeout(r, 50));
    expect({ calls, polls: s.polls }).toEqual({ calls: 1, polls });
  });

  it('fires after maxMs when no snapshot ends (a follower, or a long snapshot)', async () => {
    const s = fakeStatus([null]);
    let calls = 0;
    const t0 = Date.now();
    afterStartUp(s.status, () => calls++, { everyMs: 5, maxMs: 40 });
    await waitFor(() => calls === 1, 'the warm call');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
  });

  it('cancelled (the agent stops first): never fires', async () => {
    const s = fakeStatus([Date.now()]);
    let calls = 0;
    const cancel = afterStartUp(s.status, () => calls++, { everyMs: 5, maxMs: 5 });
    cancel();
    await new Promise((r) => setTimeout(r, 50));
    expect({ calls, polls: s.polls }).toEqual({ calls: 0, polls: 0 });
  });
});
