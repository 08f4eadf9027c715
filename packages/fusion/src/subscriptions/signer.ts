// HMAC-SHA256 signatures of delivery bodies (X-Fustor-Signature: sha256=<hex>), and their constant-time check for receivers and tests.

import { createHmac, timingSafeEqual } from 'node:crypto';

export function sign(body: string, secret: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

/** True when `header` is the signature of `body` under `secret` (what a receiver must check before trusting a delivery). */
export function verify(body: string, secret: string, header: string | undefined): boolean {
  if (typeof header !== 'string') return false;
  const want = Buffer.from(sign(body, secret));
  const got = Buffer.from(header);
  return got.length === want.length && timingSafeEqual(got, want);
}
