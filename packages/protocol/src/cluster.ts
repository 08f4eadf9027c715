// The cluster routes (cluster.md): nodes and view owners, and handing a view to another node.

import { z } from 'zod';

export const clusterInfoSchema = z.object({
  /** `single`: one Fusion on SQLite (it owns every view); `cluster`: nodes on PostgreSQL. */
  mode: z.enum(['single', 'cluster']),
  /** The node that answered. */
  node: z.string(),
  lease_sec: z.number(),
  nodes: z.array(
    z.object({
      id: z.string(),
      url: z.string().nullable(),
      alive: z.boolean(),
      last_seen_ms: z.number(),
      views: z.number().int(),
      files: z.number(),
    }),
  ),
  views: z.array(
    z.object({
      view: z.string(),
      /** null while nobody owns it (failing over, moving). */
      owner: z.string().nullable(),
      url: z.string().nullable(),
      /** Bumped by every change of owner; writes carry it (fencing). */
      epoch: z.number().int(),
      expired: z.boolean(),
    }),
  ),
});
export type ClusterInfo = z.infer<typeof clusterInfoSchema>;

export const moveViewSchema = z.strictObject({
  /** Node id (as GET /api/v1/cluster lists them) to hand the view to. */
  to: z.string().min(1).max(128),
});

export const moveViewResultSchema = z.object({
  view: z.string(),
  from: z.string(),
  to: z.string(),
  epoch: z.number().int(),
});
