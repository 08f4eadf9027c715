// Catalog of the admin routes (API keys, runtime settings, view reset, cluster) and of the webhook subscriptions.

import {
  adminConfigAnswerSchema,
  API_BASE,
  clusterInfoSchema,
  moveViewResultSchema,
  moveViewSchema,
  apiKeyCreatedSchema,
  apiKeyRevokedSchema,
  apiKeysAnswerSchema,
  createApiKeySchema,
  createSubscriptionSchema,
  deliverySchema,
  pageQuerySchema,
  pageSchema,
  runtimeAnswerSchema,
  runtimeSettingsSchema,
  subscriptionDeletedSchema,
  subscriptionSchema,
  subscriptionTestAnswerSchema,
  viewResetAnswerSchema,
} from '@fustor/protocol';
import { created, ok, type RouteDoc } from './route-doc.js';

const SUBS = `${API_BASE}/views/:view/subscriptions`;

export const ADMIN_ROUTES: RouteDoc[] = [
  {
    op: 'getCluster', method: 'get', path: `${API_BASE}/cluster`, role: 'read', tag: 'cluster',
    summary: 'Nodes (id, url, last seen, views owned, files) and the owner of each view (cluster.md); one node on SQLite',
    answer: ok(clusterInfoSchema),
  },
  {
    op: 'moveView', method: 'post', path: `${API_BASE}/admin/views/:view/move`, role: 'admin', tag: 'cluster',
    summary: 'Hand a view to another live node: drained, lease handed over, loaded by the target',
    body: moveViewSchema, answer: ok(moveViewResultSchema), errors: [404, 409, 413, 415],
  },
  {
    op: 'createApiKey', method: 'post', path: `${API_BASE}/admin/api-keys`, role: 'admin', tag: 'admin',
    summary: 'Create an API key; the secret is in this answer only (stored as SHA-256)',
    body: createApiKeySchema, answer: created(apiKeyCreatedSchema), errors: [413, 415],
  },
  {
    op: 'listApiKeys', method: 'get', path: `${API_BASE}/admin/api-keys`, role: 'admin', tag: 'admin',
    summary: 'Keys from fusion-config.yaml and created ones (never their secrets)', answer: ok(apiKeysAnswerSchema),
  },
  {
    op: 'revokeApiKey', method: 'delete', path: `${API_BASE}/admin/api-keys/:id`, role: 'admin', tag: 'admin',
    summary: 'Revoke a created key (effective on the next request)', answer: ok(apiKeyRevokedSchema), errors: [409],
  },
  {
    op: 'getConfig', method: 'get', path: `${API_BASE}/admin/config`, role: 'admin', tag: 'admin',
    summary: 'The running configuration (without key secrets) and the runtime settings', answer: ok(adminConfigAnswerSchema),
  },
  {
    op: 'putConfig', method: 'put', path: `${API_BASE}/admin/config`, role: 'admin', tag: 'admin',
    summary: 'Change runtime settings (rate limit per key, log level); persisted',
    body: runtimeSettingsSchema, answer: ok(runtimeAnswerSchema), errors: [413, 415],
  },
  {
    op: 'resetView', method: 'delete', path: `${API_BASE}/views/:view/tree`, role: 'admin', tag: 'admin',
    summary: 'Empty the view and tell its sessions to snapshot again', answer: ok(viewResetAnswerSchema),
  },
  {
    op: 'createSubscription', method: 'post', path: SUBS, role: 'admin', tag: 'subscriptions',
    summary: 'Subscribe a webhook to created/modified/deleted files or `stable` subtrees under a path',
    body: createSubscriptionSchema, answer: created(subscriptionSchema), errors: [413, 415],
  },
  {
    op: 'listSubscriptions', method: 'get', path: SUBS, role: 'read', tag: 'subscriptions',
    summary: 'Subscriptions of the view', query: pageQuerySchema, answer: ok(pageSchema(subscriptionSchema)),
  },
  {
    op: 'getSubscription', method: 'get', path: `${SUBS}/:id`, role: 'read', tag: 'subscriptions',
    summary: 'One subscription with its pending subtrees and deliveries', answer: ok(subscriptionSchema),
  },
  {
    op: 'deleteSubscription', method: 'delete', path: `${SUBS}/:id`, role: 'admin', tag: 'subscriptions',
    summary: 'Delete a subscription and its pending deliveries', answer: ok(subscriptionDeletedSchema),
  },
  {
    op: 'listDeliveries', method: 'get', path: `${SUBS}/:id/deliveries`, role: 'read', tag: 'subscriptions',
    summary: 'Recent deliveries with their status codes and errors', query: pageQuerySchema, answer: ok(pageSchema(deliverySchema)),
  },
  {
    op: 'testSubscription', method: 'post', path: `${SUBS}/:id/test`, role: 'admin', tag: 'subscriptions',
    summary: 'Send a test delivery now and answer how it went', answer: ok(subscriptionTestAnswerSchema),
  },
];
