// Packed rows: the native job's MessagePack rows must stand for exactly the rows the per-entry path builds, or not be used.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TIME_MS, MIN_TIME_MS, type Listing, type PackedRows, type UpsertEvent } from '@fustor/protocol';
import { decodeListings, decodeRows, encodeListings } from '@fustor/protocol/listing-codec';
import { chunkEvents, plainListings, type ScanChunk } from '@fustor/source-fs';
import { seededRandom } from '@fustor/test-helpers';
import { ChunkBuilder } from '../src/scan/chunk-builder.js';
import { fastLstat, listDirJob, type NativeScan } from '../src/scan/dir-job.js';
import { nativeScanPath } from '../src/scan/native-scan.js';
import { ordinaryRows, packCheck, packedRowsOf } from '../src/scan/packed-rows.js';
import { harness, makeTree, tempDir } from './helpers.js';

const path = nativeScanPath();
const native = path === null ? null : (createRequire(import.meta.url)(path) as NativeScan);
const asRoot = process.getuid?.() === 0;

/** The MessagePack bytes of rows as they follow a listing's head (what the native job packs). */
function rowBytes(values: Array<string | number | null>): Uint8Array {
  const n = 4 + values.length;
  const header = n < 16 ? 1 : n < 65_536 ? 3 : 5;
  return encodeListings([['/', 0, 0, null, ...values] as Listing]).subarray(header + 5); // '/' 2 bytes, 0, 0, null 1 byte each
}

afterEach(() => {
  packCheck.left = 3;
  packCheck.off = false;
});

/** A directory with every kind of row and every width of number and name the encoder has a case for. */
function variedDir(): string {
  const root = tempDir();
  // Every integer width, and past uint32 (a float64 on the wire): sparse files.
  const sizes = [0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 5 * 2 ** 30];
  sizes.forEach((n, i) => {
    fs.closeSync(fs.openSync(join(root, `s${i}`), 'w'));
    fs.truncateSync(join(root, `s${i}`), n);
  });
  for (const len of [1, 31, 32, 255]) fs.writeFileSync(join(root, 'n'.repeat(len)), 'x');
  fs.writeFileSync(join(root, 'ünïcødé-名前-🙂'), 'x');
  fs.mkdirSync(join(root, 'sub'));
  fs.symlinkSync('s1', join(root, 'link'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  fs.chmodSync(join(root, 's2'), 0o4755);
  fs.utimesSync(join(root, 's3'), new Date(1_600_000_000_123), new Date(1_600_000_000_456.5));
  if (asRoot) {
    fs.lchownSync(join(root, 's4'), 70_000, 4_294_967_294);
    fs.lchownSync(join(root, 's5'), 200, 65_536);
  }
  return root;
}

describe('native packed rows', () => {
  it.skipIf(native === null)('decode to the rows the per-entry path builds from the same numbers, value for value', () => {
    const root = variedDir();
    const r = native!.listDir(root, MIN_TIME_MS, MAX_TIME_MS)!;
    expect(r.rows).toBeDefined();
    const want = ordinaryRows(r, r.st);
    expect(r.rowCount).toBe(want.length / 8);
    expect(r.rowCount).toBe(r.names.split('\0').length - 1); // every entry but the subdirectory
    const got = decodeRows({ bytes: r.rows!, count: r.rowCount!, owners: r.owners! });
    expect(got).toEqual(want);
    for (let i = 0; i < got.length; i++) expect(Object.is(got[i], want[i])).toBe(true);
    // The JavaScript job's numbers give the same rows: the packed bytes stand for what it would send.
    const js = listDirJob(fs, fastLstat(fs, root), root);
    expect(got).toEqual(ordinaryRows(js, js.st!));
    // Distinct owners, each pair once.
    const pairs = new Set<string>();
    for (let i = 0; i < want.length; i += 8) pairs.add(`${want[i + 4]}:${want[i + 5]}`);
    const owners = [...r.owners!];
    expect(owners.length / 2).toBe(pairs.size);
    for (let i = 0; i < owners.length; i += 2) expect(pairs.has(`${owners[i]}:${owners[i + 1]}`)).toBe(true);
  });

  it.skipIf(native === null)('are left out (the per-entry path decides) when a time is outside the wire window, and without the window', () => {
    const root = tempDir();
    makeTree(root, { 'ok.dat': 'x', 'old.dat': 'y' });
    expect(native!.listDir(root, MIN_TIME_MS, MAX_TIME_MS)!.rows).toBeDefined();
    expect(native!.listDir(root)!.rows).toBeUndefined();
    fs.utimesSync(join(root, 'old.dat'), new Date(-86_400_000), new Date(-86_400_000)); // 1969: clamped by the agent
    const r = native!.listDir(root, MIN_TIME_MS, MAX_TIME_MS)!;
    expect(r.rows).toBeUndefined();
    expect(r.st.length).toBe(12); // the listing itself is still there
  });

  it.skipIf(native === null || !asRoot)('are left out when the listing has more than 16 owners', () => {
    const root = tempDir();
    for (let i = 0; i < 17; i++) {
      fs.writeFileSync(join(root, `f${i}`), 'x');
      fs.lchownSync(join(root, `f${i}`), 1000 + i, 1000);
    }
    expect(native!.listDir(root, MIN_TIME_MS, MAX_TIME_MS)!.rows).toBeUndefined();
    fs.lchownSync(join(root, 'f16'), 1000, 1000);
    expect(native!.listDir(root, MIN_TIME_MS, MAX_TIME_MS)!.rowCount).toBe(17);
  });

  it('are checked before they are trusted: one difference and packed rows are off for good', () => {
    const root = tempDir();
    makeTree(root, { 'a.dat': 'hello', 'b.dat': 'xy' });
    const js = listDirJob(fs, fastLstat(fs, root), root);
    const right = rowBytes(ordinaryRows(js, js.st!));
    const wrongJob = { ...js, rows: Uint8Array.from(right, (b, i) => (i === right.length - 1 ? b ^ 1 : b)), rowCount: 2, owners: new Uint32Array(2) };
    expect(packedRowsOf({ ...js, rows: right, rowCount: 2, owners: new Uint32Array(2) }, js.st!)).toBeDefined();
    expect(packCheck).toEqual({ left: 2, off: false });
    expect(packedRowsOf(wrongJob, js.st!)).toBeUndefined();
    expect(packCheck.off).toBe(true);
    expect(packedRowsOf({ ...js, rows: right, rowCount: 2, owners: new Uint32Array(2) }, js.st!)).toBeUndefined();
  });
});

describe('encodeListings with packed rows', () => {
  const row = (i: number): Array<string | number> => [`f${i}`, 0, i, 1_700_000_000_000 + i, 0, 0, 0o644, 1_700_000_000_000.5];
  const packedOf = (n: number, from = 0): PackedRows => {
    const values = Array.from({ length: n }, (_, i) => row(from + i)).flat();
    return { bytes: rowBytes(values), count: n, owners: Uint32Array.of(0, 0) };
  };

  it('encodes a listing and its packed rows as the same listing with the rows as values (every array header width)', () => {
    for (const n of [1, 3, 8_200]) {
      const head: Listing = ['/d', 5, 6, ['/', 1, 0, 0, 0o755, 2, null]];
      const p = packedOf(n);
      const bytes = encodeListings([head], new Map([[head, p]]));
      expect(decodeListings(bytes)).toEqual([[...head, ...Array.from({ length: n }, (_, i) => row(i)).flat()]]);
    }
  });
});

describe.skipIf(native === null)('scans with packed rows', () => {
  const before = process.env.FUSTOR_TEST_NATIVE_SCAN_TRUST;
  beforeAll(() => (process.env.FUSTOR_TEST_NATIVE_SCAN_TRUST = '1'));
  afterAll(() => {
    if (before === undefined) delete process.env.FUSTOR_TEST_NATIVE_SCAN_TRUST;
    else process.env.FUSTOR_TEST_NATIVE_SCAN_TRUST = before;
  });

  /** A seeded tree: nested directories with files, empty directories, symlinks, names needing encoding. */
  function randomTree(seed: number): string {
    const rand = seededRandom(seed);
    const root = tempDir();
    const dirs = [''];
    for (let d = 0; d < 30; d++) {
      const dir = `${rand.pick(dirs)}/d${d}`;
      fs.mkdirSync(join(root, dir), { recursive: true });
      dirs.push(dir);
      const files = rand.int(40);
      for (let f = 0; f < files; f++) fs.writeFileSync(join(root, dir, rand.chance(0.05) ? `x%${f}` : `f${f}.dat`), 'x'.repeat(rand.int(300)));
      if (rand.chance(0.3)) fs.symlinkSync('nowhere', join(root, dir, 'link'));
    }
    return root;
  }

  async function scan(root: string, packedRows: boolean, batchSize: number): Promise<ScanChunk[]> {
    const { src } = harness({ root, realtime: false, batchSize });
    await src.start();
    const chunks: ScanChunk[] = [];
    for await (const c of src.scanListings({ kind: 'snapshot' }, { packedRows })) chunks.push(c);
    return chunks;
  }

  const withoutObserved = (evs: UpsertEvent[]) => evs.map(({ observed_at_ms: _o, ...e }) => e);

  for (const [seed, batchSize] of [[1, 7], [2, 64], [3, 1000]] as const) {
    it(`send the same events as the per-entry path (seed ${seed}, batches of ${batchSize}), in batches no larger than its`, async () => {
      const root = randomTree(seed);
      const packed = await scan(root, true, batchSize);
      const plain = await scan(root, false, batchSize);
      expect(packed.some((c) => (c.packed?.size ?? 0) > 0)).toBe(true);
      expect(packCheck.off).toBe(false); // every checked listing agreed (else packing stops part-way)
      expect(plain.some((c) => c.packed !== undefined)).toBe(false);
      const events = (cs: ScanChunk[]) => withoutObserved(cs.flatMap((c) => chunkEvents(c)));
      expect(events(packed)).toEqual(events(plain));
      // No larger than the per-entry path's (whose first row after a directory's own entry can top a
      // batch by one).
      const largest = (cs: ScanChunk[]) => Math.max(...cs.map((c) => c.count));
      expect(largest(plain)).toBeLessThanOrEqual(batchSize + 1);
      expect(largest(packed)).toBeLessThanOrEqual(batchSize + 1);
      for (const c of packed) {
        expect(chunkEvents(c)).toHaveLength(c.count);
        // On the wire: the packed encoding decodes to the chunk's listings with their rows.
        expect(decodeListings(encodeListings(c.listings!, c.packed))).toEqual(plainListings(c));
      }
    });
  }

  it('keeps the per-entry path where a row needs it: file_pattern, exclude globs', async () => {
    const root = randomTree(4);
    for (const opts of [{ filePattern: '*.dat' }, { exclude: ['**/d3/**'] }]) {
      const { src } = harness({ root, realtime: false, ...opts });
      await src.start();
      const chunks: ScanChunk[] = [];
      for await (const c of src.scanListings({ kind: 'snapshot' }, { packedRows: true })) chunks.push(c);
      expect(chunks.some((c) => c.packed !== undefined)).toBe(false);
    }
  });
});

describe('ChunkBuilder.packedRows', () => {
  it('puts packed rows on the open listing when it has none yet, else on a listing of their own, and counts them', () => {
    const b = new ChunkBuilder();
    const st = { uid: 0, gid: 0, mode: 0o40755, ctimeMs: 1, mtimeMs: 2 } as fs.Stats;
    b.dir('/a', st, 3, '/', 1);
    const p: PackedRows = { bytes: new Uint8Array(0), count: 2, owners: new Uint32Array(0) };
    b.packedRows('/a', 2, 3, p);
    b.packedRows('/a', 2, 3, p);
    b.packedRows('/a', 2, 3, { ...p, count: 0 }); // nothing to add
    const c = b.take();
    expect(c.count).toBe(5);
    expect(c.listings).toHaveLength(2);
    expect(c.listings![0]).toHaveLength(4);
    expect(c.packed!.get(c.listings![0]!)).toBe(p);
    expect(c.listings![1]).toEqual(['/a', 2, 3, null]);
    expect(b.take()).toEqual({ listings: [], count: 0 });
  });
});
