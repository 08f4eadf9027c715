// Decoding of a body that is not valid UTF-8, keeping every bad byte visible (Python's "surrogateescape").

/** Length of the valid UTF-8 sequence starting at i, or 0 when the byte there starts none. */
function seqLen(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  let n: number;
  let min: number;
  if (c >= 0xc2 && c <= 0xdf) (n = 2), (min = 0x80);
  else if (c >= 0xe0 && c <= 0xef) (n = 3), (min = 0x800);
  else if (c >= 0xf0 && c <= 0xf4) (n = 4), (min = 0x10000);
  else return 0;
  if (i + n > b.length) return 0;
  let cp = c & (0xff >> (n + 1));
  for (let k = 1; k < n; k++) {
    const x = b[i + k]!;
    if ((x & 0xc0) !== 0x80) return 0;
    cp = (cp << 6) | (x & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

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
    const n = seqLen(b, i);
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
