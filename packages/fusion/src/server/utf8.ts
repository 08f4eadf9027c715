// Decoding of a body that is not valid UTF-8, keeping every bad byte visible (Python's "surrogateescape").

import { utf8SeqLen } from '@fustor/protocol';

/**
 * Decodes `b`, turning each byte that starts no valid sequence into the lone surrogate U+DC00 + byte
 * (U+DC80…U+DCFF). Valid text never decodes to a lone surrogate, so the caller can find exactly the
 * strings that held bad bytes (instead of U+FFFD, which valid text may contain).
 */
export function surrogateEscape(b: Buffer): string {
  let out = '';
  let run = 0;
  let i = 0;
  while (i < b.length) {
    const n = utf8SeqLen(b, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += b.toString('utf8', run, i) + String.fromCharCode(0xdc00 + b[i]!);
    i++;
    run = i;
  }
  return out + b.toString('utf8', run, b.length);
}
