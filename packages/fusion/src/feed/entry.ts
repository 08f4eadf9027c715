// Storage-form change records → the wire entries of consumers.md §4, named with the view's labels.

import type { ChangeEntry } from '@fustor/protocol';
import { B_CREATED, B_DIR, CHANGE_OPS, OP_UPSERT } from '../changes/change-buffer.js';
import type { ChangeRecord } from '../changes/committed.js';
import { kindOfCode, NO_ID, NO_MODE, sourceName, type Labels } from '../tree/node-meta.js';

export function toEntry(r: ChangeRecord, labels: Labels): ChangeEntry {
  const isDir = (r.bits & B_DIR) !== 0;
  const e: ChangeEntry = {
    cursor: r.cursor,
    op: CHANGE_OPS[r.op - 1]!,
    path: r.path,
    is_dir: isDir,
    kind: kindOfCode(r.ks) ?? (isDir ? 'dir' : null),
    size: r.size,
    mtime_ms: r.mtime,
    uid: r.uid === NO_ID ? null : r.uid,
    gid: r.gid === NO_ID ? null : r.gid,
    owner: labels.userName(r.uid),
    group: labels.groupName(r.gid),
    mode: r.mode === NO_MODE ? null : r.mode,
    ctime_ms: Number.isNaN(r.ctime) ? null : r.ctime,
    message_source: sourceName(r.src),
    agent_id: labels.agentOf(r.agent),
    at_ms: r.at,
  };
  if (r.op === OP_UPSERT) e.created = (r.bits & B_CREATED) !== 0;
  return e;
}
