// Catalog of the read routes (role read): views, tree, stats, search, marks, sessions, the change feed and the reports.

import {
  API_BASE,
  blindSpotsAnswerSchema,
  blindSpotsQuerySchema,
  changesPageSchema,
  changesQuerySchema,
  histogramAnswerSchema,
  histogramQuerySchema,
  pageQuerySchema,
  searchAnswerSchema,
  searchQuerySchema,
  sessionsAnswerSchema,
  statsQuerySchema,
  suspectsAnswerSchema,
  suspectsQuerySchema,
  topAnswerSchema,
  topQuerySchema,
  treeAnswerSchema,
  treeQuerySchema,
  usageAnswerSchema,
  usageQuerySchema,
  viewStatsSchema,
  viewsAnswerSchema,
} from '@fustor/protocol';
import { ok, type RouteDoc } from './route-doc.js';

const V = `${API_BASE}/views/:view`;

const SSE = [
  'With `Accept: text/event-stream` the answer is a Server-Sent Events stream instead of a page:',
  '`event: change` per entry (data: one change entry as in the JSON page, `id:` its cursor), `event: reset` when the view is reset',
  '(re-read the tree), `event: lagged` (data `{ "cursor": N }`) when the client fell more than feed.max_lag entries behind: the',
  'stream then ends and the client resumes by polling from that cursor. A comment line (`: keepalive`) is sent at least every',
  '15 s on an idle stream. Without `since` the stream starts at the newest entry; a reconnecting client sends `Last-Event-ID`',
  '(it wins over `since`). A cursor older than the retention answers 409 40901 with details.oldest_cursor.',
].join(' ');

export const READ_ROUTES: RouteDoc[] = [
  {
    op: 'listViews', method: 'get', path: `${API_BASE}/views`, role: 'read', tag: 'queries',
    summary: 'The views this key may read, with leader, sessions, counts and freshness', answer: ok(viewsAnswerSchema),
  },
  {
    op: 'getTree', method: 'get', path: `${V}/tree`, role: 'read', tag: 'queries',
    summary: 'A node and its children (sorted, paged; nested to `depth`)',
    description: '`force_real_time=true` first asks the leader to scan `path` and waits up to `timeout_ms` for it (the answer then carries `job`).',
    query: treeQuerySchema, answer: ok(treeAnswerSchema),
  },
  {
    op: 'getStats', method: 'get', path: `${V}/stats`, role: 'read', tag: 'queries',
    summary: 'Counts, size, newest mtime, suspects and the `stable` verdict of a subtree (O(1))',
    description: '`stable` is true when the view has a complete snapshot, no suspect is inside and the newest mtime is older than the view\'s hot_file_threshold_sec before `watermark_ms`.',
    query: statsQuerySchema, answer: ok(viewStatsSchema),
  },
  {
    op: 'search', method: 'get', path: `${V}/search`, role: 'read', tag: 'queries',
    summary: 'Glob search on base names (or whole paths when the pattern holds a /), with metadata filters',
    query: searchQuerySchema, answer: ok(searchAnswerSchema),
  },
  {
    op: 'listSuspects', method: 'get', path: `${V}/suspects`, role: 'read', tag: 'queries',
    summary: 'Files possibly still being written', query: suspectsQuerySchema, answer: ok(suspectsAnswerSchema),
  },
  {
    op: 'listBlindSpots', method: 'get', path: `${V}/blind-spots`, role: 'read', tag: 'queries',
    summary: 'Changes no agent saw happen (found by audits)', query: blindSpotsQuerySchema, answer: ok(blindSpotsAnswerSchema),
  },
  {
    op: 'listSessions', method: 'get', path: `${V}/sessions`, role: 'read', tag: 'queries',
    summary: 'The live sessions of the view', query: pageQuerySchema, answer: ok(sessionsAnswerSchema),
  },
  {
    op: 'getChanges', method: 'get', path: `${V}/changes`, role: 'read', tag: 'changes',
    summary: 'The change feed: poll with since/limit, or follow it as Server-Sent Events',
    query: changesQuerySchema, answer: ok(changesPageSchema), errors: [409], sse: SSE,
  },
  {
    op: 'usage', method: 'get', path: `${V}/usage`, role: 'read', tag: 'reports',
    summary: 'Who fills this subtree: files, directories, bytes and newest mtime per owner or group (by total_size desc, paged)',
    query: usageQuerySchema, answer: ok(usageAnswerSchema),
  },
  {
    op: 'top', method: 'get', path: `${V}/top`, role: 'read', tag: 'reports',
    summary: 'The largest, newest or oldest files, or directories by subtree size or newest change',
    query: topQuerySchema, answer: ok(topAnswerSchema),
  },
  {
    op: 'histogram', method: 'get', path: `${V}/histogram`, role: 'read', tag: 'reports',
    summary: 'Files of the subtree in log2 bins of size (bytes) or age (seconds before the watermark)',
    query: histogramQuerySchema, answer: ok(histogramAnswerSchema),
  },
];
