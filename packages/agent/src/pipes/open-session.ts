// Opens a Fusion session offering the compact scan encoding, and falls back for a Fusion that predates it.

import { SCAN_ENCODINGS, type CreateSessionRequest, type SessionCreated } from '@fustor/protocol';
import { FusionError } from '../errors.js';
import type { Sender } from '../senders/types.js';

/**
 * Offers every scan encoding this agent can send, most preferred first; Fusion answers the one to use.
 * A Fusion older than the negotiation refuses the unknown field (its session schema is strict): 40001
 * naming `scan_encodings`. Then the same request goes again without it, and scans travel as JSON.
 */
export async function openSession(sender: Sender, req: CreateSessionRequest): Promise<SessionCreated> {
  if (typeof sender.postListings !== 'function') return sender.openSession(req);
  try {
    return await sender.openSession({ ...req, scan_encodings: [...SCAN_ENCODINGS].reverse() });
  } catch (err) {
    if (err instanceof FusionError && err.code === 40001 && err.message.includes('scan_encodings')) return sender.openSession(req);
    throw err;
  }
}
