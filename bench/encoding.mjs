#!/usr/bin/env node
// Scan batch encodings compared (docs/api.md, "Compact scan batches"): CPU to encode from the stat worker's numbers,
// CPU to decode into validated events, and bytes per file — the measurement behind choosing MessagePack listings.
//
// node bench/encoding.mjs [--quick]      (needs `npx tsc -b` first)
// Batches of 50 directories × 100 files (the scanner's shape). Candidates:
//   json_objects   one JSON object per entry with its full path (the agent's encoder before; Fusion's fast-batch check)
//   json_rows      listings as JSON arrays, one array per row
//   json_flat      listings as JSON arrays, rows flat in the listing
//   ndjson_flat    one line of JSON per listing
//   msgpack        the chosen codec: protocol's encodeListings / decodeListingBatch (msgpackr)
// Each candidate's decode validates as strictly as the route does (JSON ones with the same row checks).

import { cpuUsage } from 'node:process';
import { loadavg } from 'node:os';
import { listingEvents, NODE_KINDS, viewPathProblem } from '../packages/protocol/dist/index.js';
import { decodeListingBatch, encodeListings, listingBatchBody } from '../packages/protocol/dist/listing-codec.js';
import { encodeChunk, encodedBatchBody } from '../packages/agent/dist/senders/encode.js';
import { fastAcceptBatch } from '../packages/fusion/dist/routes/fast-batch.js';

const quick = process.argv.includes('--quick');
const BATCHES = quick ? 40 : 200;
const DIRS = 50;
const PER = 100;
const ROUNDS = quick ? 3 : 5;
const W = 6; // stat worker stride: size, mtime, ctime, uid, gid, mode
const FILES = BATCHES * DIRS * PER;

/** What the stat worker hands over per directory: names and a Float64Array of lstat numbers. */
function workerListings(b) {
  const out = [];
  for (let d = 0; d < DIRS; d++) {
    const names = [];
    const st = new Float64Array(PER * W);
    for (let i = 0; i < PER; i++) {
      names.push(`f${String(i).padStart(4, '0')}.dat`);
      const o = i * W;
      st[o] = (i * 37) % 4096;
      st[o + 1] = 1_764_755_000_000 + b * 1000 + i + 0.1234567;
      st[o + 2] = 1_764_755_000_000 + b * 1000 + i + 0.7654321;
      st[o + 3] = 1000;
      st[o + 4] = 100;
      st[o + 5] = 0o100644;
    }
    const top = `/p${String(d).padStart(3, '0')}`;
    out.push({ dir: `${top}/run${String(b * DIRS + d).padStart(5, '0')}`, mtime: 1_764_755_000_000.5 + d, parent: top, pmtime: 1_764_754_000_000.25, observed: 1_764_756_000_000, names, st });
  }
  return out;
}

/** The flat listing of protocol listings.ts from worker numbers (what source-fs builds). */
function listingOf(l) {
  const a = [l.dir, l.mtime, l.observed, [l.parent, l.pmtime, 1000, 100, 0o2775, l.mtime, null]];
  for (let i = 0; i < l.names.length; i++) {
    const o = i * W;
    a.push(l.names[i], 0, l.st[o], l.st[o + 1], l.st[o + 3], l.st[o + 4], l.st[o + 5] & 0o7777, l.st[o + 2]);
  }
  return a;
}

const fin = (x) => typeof x === 'number' && Number.isFinite(x);
const idOk = (x) => Number.isInteger(x) && x >= 0 && x <= 0xfffffffe;
const segOk = (s) => typeof s === 'string' && s.length > 0 && s !== '.' && s !== '..' && !s.includes('/') && !s.includes('\0');

/** Validated events of JSON listings (the checks decodeListingBatch makes, on the JSON value). */
function eventsOfJsonListings(listings, rowsNested) {
  const events = [];
  for (const l of listings) {
    if (viewPathProblem(l[0]) !== null || !fin(l[1]) || !fin(l[2])) throw new Error('bad listing');
    let flat = l;
    if (rowsNested) {
      flat = l.slice(0, 4);
      for (const r of l[4]) flat.push(...r);
    }
    for (let i = 4; i < flat.length; i += 8) {
      if (!segOk(flat[i]) || !Number.isInteger(flat[i + 1]) || !fin(flat[i + 2]) || !fin(flat[i + 3]) || !idOk(flat[i + 4]) || !idOk(flat[i + 5]) || !fin(flat[i + 7])) {
        throw new Error('bad row');
      }
    }
    listingEvents(flat, events);
  }
  return events;
}

const head = { message_source: 'snapshot', batch_seq: 1 };
const candidates = {
  json_objects: {
    encode: (ls) => encodedBatchBody({ ...head, chunks: [encodeChunk(ls.flatMap((l) => listingEvents(listingOf(l))))], count: 0 }),
    decode: (buf) => {
      const b = fastAcceptBatch(JSON.parse(buf.toString('utf8')));
      if (!b) throw new Error('rejected');
      return b.events;
    },
  },
  json_rows: {
    encode: (ls) =>
      Buffer.from(JSON.stringify({ ...head, listings: ls.map((l) => {
        const f = listingOf(l);
        const rows = [];
        for (let i = 4; i < f.length; i += 8) rows.push(f.slice(i, i + 8));
        return [...f.slice(0, 4), rows];
      }) })),
    decode: (buf) => eventsOfJsonListings(JSON.parse(buf.toString('utf8')).listings, true),
  },
  json_flat: {
    encode: (ls) => Buffer.from(JSON.stringify({ ...head, listings: ls.map(listingOf) })),
    decode: (buf) => eventsOfJsonListings(JSON.parse(buf.toString('utf8')).listings, false),
  },
  ndjson_flat: {
    encode: (ls) => Buffer.from([JSON.stringify(head), ...ls.map((l) => JSON.stringify(listingOf(l)))].join('\n')),
    decode: (buf) => {
      const lines = buf.toString('utf8').split('\n');
      JSON.parse(lines[0]);
      return eventsOfJsonListings(lines.slice(1).map((x) => JSON.parse(x)), false);
    },
  },
  msgpack: {
    encode: (ls) => {
      const listings = ls.map(listingOf);
      return listingBatchBody(head, [encodeListings(listings)], listings.length);
    },
    decode: (buf) => decodeListingBatch(buf).events,
  },
};

const cpu = () => {
  const u = cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const data = Array.from({ length: BATCHES }, (_, b) => workerListings(b));
const res = {};
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, c] of Object.entries(candidates)) {
    globalThis.gc?.();
    let t = cpu();
    const bodies = data.map((ls) => c.encode(ls));
    const enc = cpu() - t;
    globalThis.gc?.();
    t = cpu();
    let n = 0;
    for (const b of bodies) n += c.decode(b).length;
    const dec = cpu() - t;
    if (n !== FILES + BATCHES * DIRS) throw new Error(`${name} decoded ${n} events`);
    const bytes = bodies.reduce((a, b) => a + b.length, 0);
    (res[name] ??= { enc: [], dec: [], bytes }).enc.push(enc);
    res[name].dec.push(dec);
  }
}

const per1M = 1e6 / FILES;
const out = { files: FILES, rounds: ROUNDS, load_1m: Math.round(loadavg()[0] * 100) / 100 };
console.log(`${FILES.toLocaleString('en')} files per round (${BATCHES} batches of ${DIRS} × ${PER}); CPU ms per 1M files, median of ${ROUNDS}; load ${out.load_1m}`);
const base = res.json_objects;
for (const [name, r] of Object.entries(res)) {
  const enc = Math.round(median(r.enc) * per1M);
  const dec = Math.round(median(r.dec) * per1M);
  const bpf = Math.round((r.bytes / FILES) * 10) / 10;
  out[name] = { encode_ms_per_1m: enc, decode_ms_per_1m: dec, bytes_per_file: bpf, ratio_vs_json_objects: Math.round(((enc + dec) / (Math.round(median(base.enc) * per1M) + Math.round(median(base.dec) * per1M))) * 100) / 100 };
  console.log(`${name.padEnd(14)} encode ${String(enc).padStart(5)} ms  decode+validate ${String(dec).padStart(5)} ms  ${String(bpf).padStart(6)} bytes/file  (encode+decode ${out[name].ratio_vs_json_objects}× json_objects)`);
}
console.log(`RESULT ${JSON.stringify(out)}`);
