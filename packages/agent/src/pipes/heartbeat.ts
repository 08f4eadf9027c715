// The session heartbeat on its own timer chain: it keeps beating whatever the scans, sends or commands do.

import type { HeartbeatRequest, HeartbeatResponse } from '@fustor/protocol';
import { abortableSleep, Backoff, type BackoffOptions } from '../common/backoff.js';
import { SessionExpiredError } from '../errors.js';
import type { Sender } from '../senders/types.js';

export interface HeartbeatDeps {
  sender: Sender;
  sessionId: string;
  intervalMs: number;
  /** The wait before the first beat (default: one interval). */
  firstDelayMs?: number;
  signal: AbortSignal;
  backoff?: BackoffOptions;
  /** The body of the next beat (can_realtime, phase, stats). */
  body(): HeartbeatRequest;
  /** Fusion answered (role, commands). */
  answered(res: HeartbeatResponse | undefined): void;
  /** A beat failed (false) or succeeded again (true). */
  health(ok: boolean): void;
  expired(): void;
  error(err: unknown, context: string): void;
}

export async function runHeartbeat(d: HeartbeatDeps): Promise<void> {
  const retry = new Backoff({ ...d.backoff, capMs: d.intervalMs });
  let delay = d.firstDelayMs ?? d.intervalMs;
  while (!d.signal.aborted) {
    try {
      await abortableSleep(delay, d.signal);
    } catch {
      return;
    }
    delay = d.intervalMs;
    try {
      const res = await d.sender.heartbeat(d.sessionId, d.body(), d.signal);
      if (d.signal.aborted) return;
      retry.reset();
      d.health(true);
      d.answered(res);
    } catch (err) {
      if (d.signal.aborted) return;
      if (err instanceof SessionExpiredError) return d.expired();
      d.health(false);
      d.error(err, 'heartbeat');
      // Retry sooner than the interval (never later) so a short blip does not cost the session.
      delay = Math.min(d.intervalMs, retry.next());
    }
  }
}
