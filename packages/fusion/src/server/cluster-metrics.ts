// Cluster gauges sampled at scrape time: which node owns which view, how many nodes are alive (cluster.md "what to monitor").

import { Gauge, type Registry } from 'prom-client';

export interface ClusterFigures {
  node: string;
  nodesAlive: number;
  /** view → owning node id (null: no owner right now). */
  owners: Map<string, string | null>;
  /** Views this node serves now. */
  served: Set<string>;
}

export class ClusterGauges {
  readonly #owner: Gauge<'view' | 'owner'>;
  readonly #served: Gauge<'view'>;
  readonly #alive: Gauge;
  readonly #orphans: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.#owner = new Gauge({ name: 'fustor_cluster_view_owner', help: '1 for the node that owns each view (owner="" while none does).', labelNames: ['view', 'owner'], registers });
    this.#served = new Gauge({ name: 'fustor_cluster_view_served', help: '1 when this node serves the view now.', labelNames: ['view'], registers });
    this.#alive = new Gauge({ name: 'fustor_cluster_nodes_alive', help: 'Cluster nodes seen within one lease.', registers });
    this.#orphans = new Gauge({ name: 'fustor_cluster_views_without_owner', help: 'Views no node owns right now (failing over or moving); alert when it stays above 0.', registers });
  }

  sample(f: ClusterFigures): void {
    this.#owner.reset();
    this.#served.reset();
    let orphans = 0;
    for (const [view, owner] of f.owners) {
      this.#owner.set({ view, owner: owner ?? '' }, 1);
      this.#served.set({ view }, f.served.has(view) ? 1 : 0);
      if (owner === null) orphans++;
    }
    this.#alive.set(f.nodesAlive);
    this.#orphans.set(orphans);
  }
}
