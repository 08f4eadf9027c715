// webhooks.allowed_hosts: which hosts Fusion may call, so a key cannot make it reach arbitrary addresses.

/** Loopback only, the default of fusion-config.yaml. */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = ['127.0.0.1', '::1', 'localhost'];

/**
 * An entry is a host name or address compared exactly (case-insensitive), `*.example.org` for any
 * subdomain, or `*` for anything (not recommended: Fusion could then be made to call internal services).
 */
export function hostAllowed(url: URL, allowed: readonly string[]): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  for (const raw of allowed) {
    const a = raw.toLowerCase();
    if (a === '*' || a === host) return true;
    if (a.startsWith('*.') && host.endsWith(a.slice(1))) return true;
  }
  return false;
}
