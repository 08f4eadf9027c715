// Nearest-known-key suggestions and the table of renamed options, so config typos fail helpfully.

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** The known key closest to `key`, if it is close enough to be a plausible typo. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  if (best === undefined) return undefined;
  return bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/**
 * Options that were renamed: `<section>.<old>` → new name. Sections: root, console, spool, source,
 * source.config, driver_params, sender, sender.config, pipe. Kept small and explicit on purpose.
 */
export const RENAMED: Readonly<Record<string, string>> = Object.freeze({
  'root.syncs': 'pipes',
  'root.pushers': 'senders',
  'root.fustor_home': '--home or FUSTOR_HOME',
  'source.config.path': 'uri',
  'source.config.root': 'uri',
  'driver_params.file_patterns': 'file_pattern',
  'driver_params.excludes': 'exclude',
  'driver_params.settle_ms': 'write_settle_ms',
  'sender.config.url': 'endpoint',
  'sender.config.api_key': 'credential',
  'sender.config.view_id': 'view',
  'pipe.source': 'source_id',
  'pipe.sender': 'sender_id',
  'pipe.audit_interval': 'audit_interval_sec',
  'pipe.sentinel_interval': 'sentinel_interval_sec',
  'pipe.heartbeat_timeout_sec': 'session_timeout_sec',
  'pipe.session_timeout': 'session_timeout_sec',
});
