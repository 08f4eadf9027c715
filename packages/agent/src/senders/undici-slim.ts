// The two pieces of undici the agent sends with (its Agent dispatcher and the request API), imported
// from their own modules instead of undici's index.
//
// Why: the index loads every dispatcher, the mocks, the caches, fetch, WebSocket and EventSource
// (about 110 modules) to export them; the agent uses two. Evaluating the index took ~47 ms of the
// agent's ~250 ms start-up in the bundle, and start-up is most of what separates a 100k-file snapshot
// from `find` (P3, docs/benchmarks.md). undici has no `exports` map, so these paths are importable
// files; test/senders/undici-slim.test.ts fails if an upgrade moves or reshapes them.

/// <reference path="./undici-modules.d.ts" />
import type { Dispatcher } from 'undici';
import AgentClass from 'undici/lib/dispatcher/agent.js';
import requestOn from 'undici/lib/api/api-request.js';

/** undici's Agent class (undici/lib/dispatcher/agent.js). */
export const Agent = AgentClass;

/** `dispatcher.request(opts)`: what undici's index attaches to every dispatcher, called directly. */
export function request(dispatcher: Dispatcher, opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return requestOn.call(dispatcher, opts);
}
