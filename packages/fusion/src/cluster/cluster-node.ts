// This process as a member of a Fusion cluster: leases, request routing, and what changes when a view arrives or leaves.

import type { NextFunction, Request, Response } from 'express';
import type { ViewEngine } from '../contract.js';
import type { KeyRegistry } from '../auth/key-registry.js';
import type { FeedHub } from '../feed/feed-hub.js';
import type { SessionManager } from '../sessions/session-manager.js';
import type { PgViewStore } from '../store/postgres/pg-store.js';
import type { SubscriptionService } from '../subscriptions/subscription-service.js';
import { LeaseManager, type ViewOwner } from './lease-manager.js';
import type { NodeRow } from './placement.js';
import { clusterRouter } from './router.js';

export interface ClusterNodeOptions {
  store: PgViewStore;
  nodeId: string;
  advertiseUrl: string;
  leaseSec: number;
  sessions(): SessionManager;
  keys(): KeyRegistry;
  feed: FeedHub;
  subscriptions(): SubscriptionService;
  summary(engine: ViewEngine): Record<string, unknown>;
  /** server.max_body_mb (the router reads a session create's body to find its view). */
  maxBodyMb(): number;
  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void;
}

export interface ClusterInfo {
  mode: 'cluster';
  node: string;
  lease_sec: number;
  nodes: Array<{ id: string; url: string; alive: boolean; last_seen_ms: number; views: number; files: number }>;
  views: Array<{ view: string; owner: string | null; url: string | null; epoch: number; expired: boolean }>;
}

export class ClusterNode {
  readonly #o: ClusterNodeOptions;
  readonly leases: LeaseManager;
  readonly route: (req: Request, res: Response, next: NextFunction) => Promise<void>;

  constructor(o: ClusterNodeOptions) {
    this.#o = o;
    this.leases = new LeaseManager({
      store: o.store,
      nodeId: o.nodeId,
      advertiseUrl: o.advertiseUrl,
      leaseSec: o.leaseSec,
      attached: (view, engine) => this.#attached(view, engine),
      detached: (view, reason) => this.#detached(view, reason),
      summary: o.summary,
      log: o.log,
    });
    this.route = clusterRouter({
      leases: this.leases,
      store: o.store,
      sessions: o.sessions,
      keys: o.keys,
      nodeId: o.nodeId,
      configured: (view) => o.store.configured().some((c) => c.id === view),
      maxBodyMb: o.maxBodyMb,
    });
  }

  get nodeId(): string {
    return this.#o.nodeId;
  }

  start(): Promise<void> {
    return this.leases.start();
  }

  stop(): Promise<void> {
    return this.leases.stop();
  }

  /** A write of the view failed (PostgreSQL gone, or another node owns it now). */
  viewFailed(view: string, err: Error): void {
    this.leases.failed(view, err);
  }

  /** Sessions carry on where they were (same ids, same batch_seq), subscriptions' pending subtrees are armed here. */
  async #attached(view: string, _engine: ViewEngine): Promise<void> {
    const recs = await this.#o.store.sessionsOf(view);
    this.#o.store.noteSessions(recs);
    this.#o.sessions().adoptView(view, recs);
    await this.#o.subscriptions().attachView(view);
  }

  #detached(view: string, reason: string): void {
    this.#o.log('info', 'stopped serving view', { view, reason });
    this.#o.sessions().forgetView(view);
    this.#o.subscriptions().detachView(view);
    // Stream readers reconnect (Last-Event-ID) and reach the new owner through any node.
    this.#o.feed.closeAll(view);
  }

  async move(view: string, to: string): Promise<{ view: string; from: string; to: string; epoch: number }> {
    const target = this.leases.nodes().find((n) => n.id === to);
    if (!target) throw new MoveError(`no node '${to}' in the cluster; known nodes: ${this.leases.nodes().map((n) => n.id).join(', ')}`);
    if (!target.alive) throw new MoveError(`node '${to}' is not alive (last seen ${new Date(Number(target.last_seen_ms)).toISOString()})`);
    if (to === this.#o.nodeId) throw new MoveError(`view '${view}' is already on node '${to}'`);
    return this.leases.move(view, to);
  }

  info(): ClusterInfo {
    return {
      mode: 'cluster',
      node: this.#o.nodeId,
      lease_sec: this.#o.leaseSec,
      nodes: this.leases.nodes().map((n: NodeRow) => ({
        id: n.id, url: n.url, alive: n.alive, last_seen_ms: Math.round(Number(n.last_seen_ms)), views: Number(n.views), files: Number(n.files),
      })),
      views: this.leases.owners().map((o: ViewOwner) => ({ view: o.view, owner: o.owner, url: o.url, epoch: o.epoch, expired: o.expired })),
    };
  }

  /** Summaries of views served elsewhere, as their owners last published them (GET /views on any node). */
  async remoteSummaries(): Promise<Map<string, Record<string, unknown> & { owner: string }>> {
    const r = await this.#o.store.pool.query(`SELECT view, summary FROM view_summaries`);
    return new Map((r.rows as Array<{ view: string; summary: Record<string, unknown> & { owner: string } }>).map((x) => [x.view, x.summary]));
  }
}

export class MoveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoveError';
  }
}
