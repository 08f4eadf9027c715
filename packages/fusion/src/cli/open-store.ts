// Loads the real view engine lazily so the CLI's light commands (status, stop, validate) do not open SQLite.

import type { OpenViewStoreOptions, ViewStore } from '../contract.js';

export async function loadOpenViewStore(): Promise<(opts: OpenViewStoreOptions) => ViewStore> {
  const mod = await import('../views/open-view-store.js');
  return mod.openViewStore;
}
