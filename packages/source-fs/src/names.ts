// Reversible encoding of file names into view-path segments (docs/source-fs.md, "Names").
//
// Rule: bytes that are not valid UTF-8, '\n' and '\r' become %XX (upper-case hex); a literal '%'
// that is followed by two hex digits becomes %25 so decoding is unambiguous; every other character
// is kept. Decoding turns each %XX back into its byte. Distinct names therefore never merge, and
// ordinary names (including '50%.txt') are unchanged.

import { utf8SeqLen } from '@fustor/protocol';

const HEX = '0123456789ABCDEF';
/** Characters that force the slow path: '%', newlines, and U+FFFD (what Node puts for invalid bytes). */
const SUSPICIOUS = /[%\n\r\uFFFD]/;

export interface EncodedName {
  segment: string;
  /** True when the name was not valid UTF-8 or held a newline (reported once as invalid_name). */
  invalid: boolean;
}

function isHexByte(b: number | undefined): boolean {
  return b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));
}

/** True when a name decoded by Node may be lossy or needs escaping (cheap test for the hot path). */
export function needsEncoding(name: string): boolean {
  return SUSPICIOUS.test(name);
}

/** True when a UTF-8-decoded name may stand for undecodable bytes (the directory must be re-read raw). */
export function mayBeLossy(name: string): boolean {
  return name.includes('\uFFFD');
}

/** Encodes raw name bytes into a view-path segment. */
export function encodeNameBytes(b: Buffer): EncodedName {
  let out = '';
  let invalid = false;
  let i = 0;
  let runStart = 0;
  const flush = (end: number) => {
    if (end > runStart) out += b.toString('utf8', runStart, end);
  };
  while (i < b.length) {
    const c = b[i]!;
    if (c === 0x0a || c === 0x0d) {
      flush(i);
      out += '%' + HEX[c >> 4] + HEX[c & 15];
      invalid = true;
      runStart = ++i;
      continue;
    }
    if (c === 0x25) {
      if (isHexByte(b[i + 1]) && isHexByte(b[i + 2])) {
        flush(i);
        out += '%25';
        runStart = ++i;
      } else i++;
      continue;
    }
    const n = utf8SeqLen(b, i);
    if (n === 0) {
      flush(i);
      out += '%' + HEX[c >> 4] + HEX[c & 15];
      invalid = true;
      runStart = ++i;
      continue;
    }
    i += n;
  }
  flush(i);
  return { segment: out, invalid };
}

/** Encodes a name Node decoded as a string (only called when needsEncoding said so). */
export function encodeName(name: string): EncodedName {
  return encodeNameBytes(Buffer.from(name, 'utf8'));
}

/**
 * Decodes one view-path segment back to the local name: a string when the bytes are valid UTF-8,
 * else a Buffer (the fs accepts both). Throws RangeError when the result could not be a file name
 * ('/' or NUL inside, '.' or '..'): '%2F..' must never become a path step.
 */
export function decodeSegment(seg: string): string | Buffer {
  if (!seg.includes('%')) return seg;
  const out = decodeBytes(seg);
  const asBytes = typeof out === 'string' ? Buffer.from(out) : out;
  if (asBytes.includes(0x2f) || asBytes.includes(0) || out === '.' || out === '..') {
    throw new RangeError(`segment '${seg}' does not decode to a file name`);
  }
  return out;
}

function decodeBytes(seg: string): string | Buffer {
  const bytes: number[] = [];
  const raw = Buffer.from(seg, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === 0x25 && isHexByte(raw[i + 1]) && isHexByte(raw[i + 2])) {
      bytes.push(parseInt(String.fromCharCode(raw[i + 1]!, raw[i + 2]!), 16));
      i += 2;
    } else bytes.push(c);
  }
  const buf = Buffer.from(bytes);
  for (let i = 0; i < buf.length; ) {
    const n = utf8SeqLen(buf, i);
    if (n === 0) return buf;
    i += n;
  }
  return buf.toString('utf8');
}
