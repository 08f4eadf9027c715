// Catalog of the ingest routes (role ingest): sessions, event batches, scan phases, sentinel, commands, principals.

import {
  API_BASE,
  auditEndedSchema,
  auditStartedSchema,
  commandDoneAnswerSchema,
  commandDoneSchema,
  commandsResponseSchema,
  commandsWaitQuerySchema,
  createSessionSchema,
  eventBatchResultSchema,
  eventBatchSchema,
  heartbeatResponseSchema,
  heartbeatSchema,
  phaseEndSchema,
  principalsAnswerSchema,
  principalsSchema,
  sentinelFeedbackResultSchema,
  sentinelFeedbackSchema,
  sentinelTasksSchema,
  sessionClosedSchema,
  sessionCreatedSchema,
  snapshotEndedSchema,
  snapshotStartedSchema,
} from '@fustor/protocol';
import { ok, type RouteDoc } from './route-doc.js';

const S = `${API_BASE}/pipe/sessions/:sid`;

export const INGEST_ROUTES: RouteDoc[] = [
  {
    op: 'createSession', method: 'post', path: `${API_BASE}/pipe/sessions`, role: 'ingest', tag: 'sessions',
    summary: 'Open a session for one agent pipe on a view (the first live session of a view becomes its leader)',
    description: 'A session of the same agent_id and pipe_id replaces the previous one. `view` may be omitted when the key is bound to exactly one view. `scan_encodings` lists the scan batch encodings the agent can send; the answer\'s `scan_encoding` is the one to use.',
    body: createSessionSchema, answer: ok(sessionCreatedSchema), errors: [413, 415],
  },
  {
    op: 'heartbeat', method: 'post', path: `${S}/heartbeat`, role: 'ingest', tag: 'sessions',
    summary: 'Keep the session alive; answers its role and pending commands',
    body: heartbeatSchema, answer: ok(heartbeatResponseSchema), errors: [413, 415],
  },
  {
    op: 'closeSession', method: 'delete', path: S, role: 'ingest', tag: 'sessions',
    summary: 'Close the session (a follower may become leader)',
    answer: ok(sessionClosedSchema),
  },
  {
    op: 'waitCommands', method: 'get', path: `${S}/commands`, role: 'ingest', tag: 'sessions',
    summary: 'Long poll for commands (on-demand scans, resnapshot); answers at once when some are pending',
    query: commandsWaitQuerySchema, answer: ok(commandsResponseSchema),
  },
  {
    op: 'postEvents', method: 'post', path: `${S}/events`, role: 'ingest', tag: 'events',
    summary: 'Apply one batch of events; batch_seq is strictly +1 per session (a repeat answers duplicate: true)',
    description: 'The whole batch is validated first: one bad event rejects the batch (40001 naming it). snapshot and audit batches are accepted from the leader only (40302). A batch_seq that skips ahead answers 40901 with details.expected_seq. A scan batch may instead be sent as per-directory listings in MessagePack (Content-Type application/vnd.fustor.listings+msgpack, negotiated with scan_encodings at session creation; layout in docs/api.md, "Compact scan batches").',
    body: eventBatchSchema, answer: ok(eventBatchResultSchema), errors: [409, 413, 415],
  },
  {
    op: 'snapshotStart', method: 'post', path: `${S}/snapshot/start`, role: 'ingest', tag: 'phases',
    summary: 'The leader begins a snapshot', answer: ok(snapshotStartedSchema),
  },
  {
    op: 'snapshotEnd', method: 'post', path: `${S}/snapshot/end`, role: 'ingest', tag: 'phases',
    summary: 'The leader ends its snapshot (complete or not)', body: phaseEndSchema, answer: ok(snapshotEndedSchema), errors: [409, 413, 415],
  },
  {
    op: 'auditStart', method: 'post', path: `${S}/audit/start`, role: 'ingest', tag: 'phases',
    summary: 'The leader begins an audit', answer: ok(auditStartedSchema),
  },
  {
    op: 'auditEnd', method: 'post', path: `${S}/audit/end`, role: 'ingest', tag: 'phases',
    summary: 'The leader ends its audit; a complete audit runs missing-item detection',
    body: phaseEndSchema, answer: ok(auditEndedSchema), errors: [409, 413, 415],
  },
  {
    op: 'sentinelTasks', method: 'get', path: `${S}/sentinel/tasks`, role: 'ingest', tag: 'phases',
    summary: 'Suspect paths for the leader to re-check (oldest expiry first)', answer: ok(sentinelTasksSchema),
  },
  {
    op: 'sentinelFeedback', method: 'post', path: `${S}/sentinel/feedback`, role: 'ingest', tag: 'phases',
    summary: 'What the leader found when it re-checked suspects', body: sentinelFeedbackSchema, answer: ok(sentinelFeedbackResultSchema), errors: [413, 415],
  },
  {
    op: 'commandDone', method: 'post', path: `${S}/commands/:cid/done`, role: 'ingest', tag: 'sessions',
    summary: 'Report the outcome of a command', body: commandDoneSchema, answer: ok(commandDoneAnswerSchema), errors: [413, 415],
  },
  {
    op: 'postPrincipals', method: 'post', path: `${S}/principals`, role: 'ingest', tag: 'sessions',
    summary: 'Owner and group names for the uids and gids the agent reports', body: principalsSchema, answer: ok(principalsAnswerSchema), errors: [413, 415],
  },
];
