// Role and view checks: a bound key gets 403 for any other view name (no existence leak); others get 404 for unknown views.

import type { KeyRole } from '@fustor/protocol';
import { ForbiddenError, NotFoundError } from '../errors.js';
import type { Principal } from './key-registry.js';

/** Which roles may call a route group: admin may call everything. */
export function requireRole(p: Principal, role: KeyRole): void {
  if (p.role === 'admin' || p.role === role) return;
  throw new ForbiddenError(`a '${p.role}' key may not call this route (needs '${role}')`);
}

export function mayAccessView(p: Principal, view: string): boolean {
  return p.views === null || p.views.includes(view);
}

/** Checks the key's view binding first (403), then existence (404). */
export function requireView(p: Principal, view: string, exists: boolean): void {
  if (!mayAccessView(p, view)) throw new ForbiddenError(`this key is not allowed on view '${view}'`);
  if (!exists) throw new NotFoundError(`view '${view}' not found`);
}
