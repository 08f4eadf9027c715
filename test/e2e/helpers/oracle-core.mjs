// The oracle's logic in plain JavaScript, shared by the e2e tests (through oracle.ts) and the soak script:
// walk the real directory (lstat), read Fusion's tree, compare the two as sets of entries: type, file size,
// file and directory mtimes, and optionally kind/uid/gid/mode.

import { lstatSync, readdirSync } from 'node:fs';

export const MTIME_TOLERANCE_MS = 1;

/**
 * The view-path segment of a raw file name (docs/source-fs.md, "Names"), written independently of the
 * driver: bytes that are not valid UTF-8, LF and CR become %XX; a '%' followed by two hex digits
 * becomes %25; everything else is kept.
 */
export function encodeName(raw) {
  let out = '';
  let i = 0;
  const hex = (b) => '%' + b.toString(16).toUpperCase().padStart(2, '0');
  const isHex = (b) => b !== undefined && /[0-9A-Fa-f]/.test(String.fromCharCode(b));
  while (i < raw.length) {
    const c = raw[i];
    if (c === 0x0a || c === 0x0d) {
      out += hex(c);
      i++;
      continue;
    }
    if (c === 0x25) {
      out += isHex(raw[i + 1]) && isHex(raw[i + 2]) ? '%25' : '%';
      i++;
      continue;
    }
    const n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    const seq = n > 0 ? raw.subarray(i, i + n) : null;
    // A sequence is valid when it round-trips through UTF-8 unchanged (rejects overlongs, surrogates, truncation).
    if (seq && seq.length === n && Buffer.from(seq.toString('utf8'), 'utf8').equals(seq) && !seq.toString('utf8').includes('\uFFFD')) {
      out += seq.toString('utf8');
      i += n;
    } else {
      out += hex(c);
      i++;
    }
  }
  return out;
}

/** What an entry is, from its own lstat (written here independently of the driver's helper). */
export function diskKind(st) {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'device';
}

function diskEntry(path, st) {
  const isDir = st.isDirectory();
  return { path, is_dir: isDir, size: isDir ? 0 : st.size, mtime_ms: st.mtimeMs, kind: diskKind(st), uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
}

/**
 * Walks `root` without following symlinks; entries vanishing mid-walk are skipped (the next poll
 * sees them). The root itself is the entry '/' (its mtime moves when its top level changes).
 */
export function walkDisk(root, opts = {}) {
  const out = new Map();
  try {
    out.set('/', diskEntry('/', lstatSync(root)));
  } catch {
    return out;
  }
  const visit = (abs, viewPath) => {
    let names;
    try {
      names = readdirSync(abs, { encoding: 'buffer' });
    } catch {
      return;
    }
    for (const name of names) {
      const childAbs = Buffer.concat([abs, Buffer.from('/'), name]);
      const seg = encodeName(name);
      const childView = viewPath === '/' ? `/${seg}` : `${viewPath}/${seg}`;
      if (opts.exclude?.(childView)) continue;
      let st;
      try {
        st = lstatSync(childAbs);
      } catch {
        continue;
      }
      out.set(childView, diskEntry(childView, st));
      if (st.isDirectory()) visit(childAbs, childView);
    }
  };
  visit(Buffer.from(root), '/');
  return out;
}

/**
 * Reads a whole view through `tree(path, { depth, page, pageSize })` (GET .../tree answering `{ node }`):
 * asks `depth` levels at a time and follows every directory whose children were not returned, were
 * cut (`truncated`) or span several pages.
 */
export async function walkTree(tree, opts = {}) {
  const depth = opts.depth ?? 3;
  const pageSize = opts.pageSize ?? 500;
  const out = new Map();
  const pending = ['/'];
  const record = (n) => {
    out.set(n.path, {
      path: n.path, is_dir: n.is_dir, size: n.is_dir ? 0 : (n.size ?? 0), mtime_ms: n.mtime_ms ?? 0,
      kind: n.kind ?? null, uid: n.uid ?? null, gid: n.gid ?? null, mode: n.mode ?? null,
    });
  };
  const absorb = (n, isRequestRoot) => {
    record(n);
    if (!n.is_dir) return;
    const ch = n.children;
    const complete = ch !== undefined && !ch.truncated && ch.pages <= 1 && ch.items.length >= ch.total;
    if (!complete) {
      if (!isRequestRoot) pending.push(n.path);
      return;
    }
    for (const c of ch.items) absorb(c, false);
  };
  while (pending.length > 0) {
    const path = pending.shift();
    const first = await tree(path, { depth, pageSize });
    absorb(first.node, true);
    const ch = first.node.children;
    if (!first.node.is_dir || !ch) continue;
    const complete = !ch.truncated && ch.pages <= 1 && ch.items.length >= ch.total;
    if (complete) continue;
    // The request root itself spans several pages: page through it one level at a time.
    for (let page = 1; page <= Math.max(ch.pages, 1); page++) {
      const r = await tree(path, { depth: 1, page, pageSize });
      for (const c of r.node.children?.items ?? []) {
        record(c);
        if (c.is_dir) pending.push(c.path);
      }
    }
  }
  return out;
}

function differs(e, f, opts) {
  if (f.is_dir !== e.is_dir || (!e.is_dir && f.size !== e.size) || Math.abs(f.mtime_ms - e.mtime_ms) > MTIME_TOLERANCE_MS) return true;
  return opts.meta === true && (f.kind !== e.kind || f.uid !== e.uid || f.gid !== e.gid || f.mode !== e.mode);
}

/** `opts.meta`: also compare kind, uid, gid and mode (consumers.md §1). */
export function diffEntries(disk, fusion, opts = {}) {
  const d = { missing: [], extra: [], changed: [] };
  for (const [p, e] of disk) {
    const f = fusion.get(p);
    if (!f) d.missing.push(e);
    else if (differs(e, f, opts)) d.changed.push({ disk: e, fusion: f });
  }
  for (const [p, f] of fusion) if (!disk.has(p)) d.extra.push(f);
  return d;
}

export function isEmptyDiff(d) {
  return d.missing.length === 0 && d.extra.length === 0 && d.changed.length === 0;
}

const fmt = (e, withMeta = false) => {
  const mode = e.mode === null || e.mode === undefined ? e.mode : '0o' + e.mode.toString(8);
  const meta = withMeta ? ` kind=${e.kind} uid=${e.uid} gid=${e.gid} mode=${mode}` : '';
  return e.is_dir ? `${e.path === '/' ? '' : e.path}/ (dir) mtime_ms=${e.mtime_ms}${meta}` : `${e.path} size=${e.size} mtime_ms=${e.mtime_ms}${meta}`;
};

export function formatDiff(d, limit = 25, withMeta = false) {
  const lines = [];
  const section = (title, rows) => {
    if (rows.length === 0) return;
    lines.push(`${title} (${rows.length}):`);
    for (const r of rows.slice(0, limit)) lines.push(`  ${r}`);
    if (rows.length > limit) lines.push(`  … ${rows.length - limit} more`);
  };
  const f = (e) => fmt(e, withMeta);
  section('on disk, missing in Fusion', d.missing.map(f));
  section('in Fusion, not on disk', d.extra.map(f));
  section('different', d.changed.map((c) => `disk: ${f(c.disk)}  fusion: ${f(c.fusion)}`));
  return lines.join('\n') || '(no difference)';
}
