// Fast acceptance check for event batches on the ingest hot path; anything it does not clearly accept goes to zod,
// which then produces the exact error (so messages stay identical and this check may only be stricter, never looser).

import {
  isWireSize,
  isWireTime,
  MAX_EVENTS_PER_BATCH,
  MAX_MODE,
  MAX_PRINCIPAL_ID,
  MESSAGE_SOURCES,
  NODE_KINDS,
  viewPathProblem,
  type EventBatch,
} from '@fustor/protocol';

const UPSERT_KEYS = new Set([
  'op', 'path', 'is_dir', 'size', 'mtime_ms', 'observed_at_ms', 'is_atomic_write', 'parent_path', 'parent_mtime_ms', 'audit_skipped',
  'kind', 'uid', 'gid', 'mode', 'ctime_ms',
]);
const KINDS = new Set<string>(NODE_KINDS);
const DELETE_KEYS = new Set(['op', 'path', 'is_dir', 'observed_at_ms']);
const BATCH_KEYS = new Set(['message_source', 'batch_seq', 'command_id', 'events']);
const SOURCES = new Set<string>(MESSAGE_SOURCES);

const optTime = (v: unknown): boolean => v === undefined || isWireTime(v);
const optBool = (v: unknown): boolean => v === undefined || typeof v === 'boolean';
const optId = (v: unknown): boolean => v === undefined || (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= MAX_PRINCIPAL_ID);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(o: Record<string, unknown>, allowed: Set<string>): boolean {
  for (const k in o) if (!allowed.has(k)) return false;
  return true;
}

function upsertOk(e: Record<string, unknown>, source: string): boolean {
  if (!onlyKeys(e, UPSERT_KEYS)) return false;
  if (typeof e.path !== 'string' || viewPathProblem(e.path) !== null) return false;
  if (typeof e.is_dir !== 'boolean' || !isWireTime(e.mtime_ms)) return false;
  if (e.size === undefined ? !e.is_dir : !isWireSize(e.size)) return false;
  if (!optTime(e.observed_at_ms) || !optTime(e.parent_mtime_ms)) return false;
  if (e.is_atomic_write !== undefined && (typeof e.is_atomic_write !== 'boolean' || source !== 'realtime')) return false;
  if (e.audit_skipped !== undefined && (typeof e.audit_skipped !== 'boolean' || !e.is_dir || source !== 'audit')) return false;
  if (e.parent_path !== undefined && (typeof e.parent_path !== 'string' || viewPathProblem(e.parent_path) !== null)) return false;
  if (e.kind !== undefined && (typeof e.kind !== 'string' || !KINDS.has(e.kind) || (e.kind === 'dir') !== e.is_dir)) return false;
  if (!optId(e.uid) || !optId(e.gid) || !optTime(e.ctime_ms)) return false;
  if (e.mode !== undefined && !(Number.isInteger(e.mode) && (e.mode as number) >= 0 && (e.mode as number) <= MAX_MODE)) return false;
  return (e.parent_path === undefined) === (e.parent_mtime_ms === undefined);
}

function deleteOk(e: Record<string, unknown>, source: string): boolean {
  if (source === 'snapshot' || !onlyKeys(e, DELETE_KEYS)) return false;
  if (typeof e.path !== 'string' || viewPathProblem(e.path) !== null) return false;
  return optBool(e.is_dir) && optTime(e.observed_at_ms);
}

/** The batch itself when it is certainly valid under eventBatchSchema; null means "ask zod". */
export function fastAcceptBatch(body: unknown): EventBatch | null {
  if (!isObj(body) || !onlyKeys(body, BATCH_KEYS)) return null;
  const source = body.message_source;
  if (typeof source !== 'string' || !SOURCES.has(source)) return null;
  if (!Number.isSafeInteger(body.batch_seq) || (body.batch_seq as number) < 0) return null;
  const cid = body.command_id;
  if (cid !== undefined && cid !== null && !(typeof cid === 'string' && cid.length >= 1 && cid.length <= 128)) return null;
  if (source === 'on_demand' && !cid) return null;
  const events = body.events;
  if (!Array.isArray(events) || events.length > MAX_EVENTS_PER_BATCH) return null;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (!isObj(e)) return null;
    if (e.op === 'upsert') {
      if (!upsertOk(e, source)) return null;
    } else if (e.op === 'delete') {
      if (!deleteOk(e, source)) return null;
    } else return null;
  }
  return body as unknown as EventBatch;
}
