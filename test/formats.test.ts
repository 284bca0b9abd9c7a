import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalog } from '../src/catalog/catalog.js';
import { CorruptionError, StoreError } from '../src/core/errors.js';
import { hashBytes, idRangeOf } from '../src/core/hash.js';
import { compareByteRanges, compareUtf8 } from '../src/core/utf8-order.js';
import { hasPathProblemAt, pathProblem } from '../src/core/names.js';
import { decodeCommit, encodeCommit } from '../src/objects/commit.js';
import { decodeFileMap, encodeFileMap } from '../src/objects/filemap.js';
import { decodeFileModes, encodeFileModes } from '../src/objects/file-modes.js';
import { decodeFileTimes, encodeFileTimes, treePathsOf } from '../src/objects/file-times.js';
import { decodeTree, encodeTree } from '../src/objects/tree.js';
import { resolveGetTarget } from '../src/engine/restore/stream.js';
import { Repository } from '../src/repository/repository.js';
import { BlobWriter } from '../src/store/blob-writer.js';
import { InlineCompression } from '../src/store/frame-compression.js';
import { PackReader } from '../src/store/pack-reader.js';
import { packPath } from '../src/store/pack-store.js';
import { decodeStaging, encodeStaging, firstEntryProblem, sortByPathBytes, type StagedEntry, StagingView } from '../src/staging/staging-format.js';
import { callNative } from '../src/core/native.js';
import { encodeName } from '../src/core/path-bytes.js';
import { isUnchanged } from '../src/engine/worktree/tracked.js';
import { kindOf, msFromNs } from '../src/engine/worktree/scanner.js';
import { DirectoryListing } from '../src/core/list-directory.js';
import { openStaging, readStaging, writeStaging, writeStagingFrom } from '../src/staging/staging-area.js';
import { pseudoRandomBytes, seededRandom, temporaryDirectory } from './helpers.js';
import { type BlobLocation, BlobType, EntryKind, MAX_DELTA_DEPTH } from '../src/core/vocabulary.js';

function newWriterOptions(directory: string, frameTargetBytes = 64 * 1024) {
  return {
    packsDirectory: join(directory, 'packs'),
    temporaryDirectory: join(directory, 'tmp'),
    fileMode: 0o600,
    directoryMode: 0o700,
    frameTargetBytes,
    packTargetBytes: 1024 * 1024,
    maxBlobBytes: 64 * 1024,
    compression: new InlineCompression(3),
    maxFramesInFlight: 2,
    deltaDepth: MAX_DELTA_DEPTH,
  };
}

function newWriter(directory: string, catalog: Catalog, frameTargetBytes = 64 * 1024): BlobWriter {
  return new BlobWriter(catalog, newWriterOptions(directory, frameTargetBytes));
}

describe('packs', () => {
  it('hold several chunks per frame, each readable on its own and verified', async () => {
    const directory = temporaryDirectory();
    const catalog = new Catalog(join(directory, 'catalog.sqlite'));
    const writer = newWriter(directory, catalog);
    const blobs = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? pseudoRandomBytes(5000 + i, i + 1) : Buffer.alloc(7000 + i, i)));
    for (const bytes of blobs) expect(writer.addBlob(BlobType.Chunk, hashBytes(bytes), bytes)).toBe(true);
    expect(writer.addBlob(BlobType.Chunk, hashBytes(blobs[0]!), blobs[0]!)).toBe(false); // pending, not yet indexed
    await writer.finish();
    expect(writer.totals.packsWritten).toBe(1);
    const reader = new PackReader(join(directory, 'packs'));
    const frameOffsets = new Set<number>();
    for (const bytes of blobs) {
      const location = catalog.blobLocation(hashBytes(bytes))!;
      frameOffsets.add(location.frameOffset);
      expect(reader.readBlob(location).equals(bytes)).toBe(true);
    }
    expect(frameOffsets.size).toBeGreaterThan(1);
    expect(frameOffsets.size).toBeLessThan(blobs.length);
    const packName = catalog.blobLocation(hashBytes(blobs[0]!))!.packName;
    const footer = reader.readFooter(packName);
    expect(footer.blobs).toHaveLength(blobs.length);
    expect(hashBytes(readFileSync(packPath(join(directory, 'packs'), packName))).toString('hex')).toBe(packName);
    reader.close();
    catalog.close();
  });

  it('a reader reuses its frame buffers: what it read stays intact, what it lent is right until the next read', async () => {
    const directory = temporaryDirectory();
    const catalog = new Catalog(join(directory, 'catalog.sqlite'));
    const writer = newWriter(directory, catalog, 8 * 1024);
    // Compressible and raw frames alike (a raw frame is read straight into a reused buffer).
    const blobs = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? pseudoRandomBytes(6000 + i, i + 1) : Buffer.alloc(6000 + i, i)));
    for (const bytes of blobs) writer.addBlob(BlobType.Chunk, hashBytes(bytes), bytes);
    await writer.finish();
    const locations = blobs.map((bytes) => catalog.blobLocation(hashBytes(bytes))!);
    expect(new Set(locations.map((location) => location.frameOffset)).size).toBeGreaterThan(20); // far more frames than a reader keeps
    const reader = new PackReader(join(directory, 'packs'), 2);
    const copies = locations.map((location) => reader.readBlob(location));
    copies.forEach((copy, i) => expect(copy.equals(blobs[i]!)).toBe(true));
    // Backwards, so every read evicts a frame whose buffer the next one reuses.
    for (let i = locations.length - 1; i >= 0; i--) expect(reader.borrowBlob(locations[i]!).equals(blobs[i]!)).toBe(true);
    const lent = reader.borrowBlob(locations[0]!);
    const lentCopy = Buffer.from(lent);
    for (const location of locations.slice(10, 20)) reader.borrowBlob(location);
    expect(lentCopy.equals(blobs[0]!)).toBe(true);
    expect(lent.equals(blobs[0]!)).toBe(false); // its frame's buffer now holds another frame: why borrowers use it at once
    reader.close();
    catalog.close();
  });

  it('a reader unpacks small deltas (in Node’s shared buffer pool) without overwriting what else it holds', async () => {
    const directory = temporaryDirectory();
    const catalog = new Catalog(join(directory, 'catalog.sqlite'));
    const baseReader = new PackReader(join(directory, 'packs'), undefined, undefined, (delta) => catalog.baseLocation(delta));
    // 60 small files of many sizes (100 bytes to 3 KB, below the size whose buffer comes from the
    // pool), each in 4 versions: every later version a delta of the one before, sealed before the
    // next is written. A frame unpacked into a smaller one's place would reach into its neighbours'.
    const versions = Array.from({ length: 60 }, (_, file) => {
      let text = `file ${file}: ${'the same words every version, long enough to be worth a base. '.repeat(1 + ((file * 7) % 45))}\n`;
      return Array.from({ length: 4 }, (_, v) => Buffer.from((text += `version ${v} of file ${file}\n`)));
    });
    for (let v = 0; v < 4; v++) {
      const writer = new BlobWriter(catalog, {
        ...newWriterOptions(directory),
        readBlob: (location) => baseReader.readBlob(location),
        compressionLevel: 3,
      });
      for (const file of versions) {
        const previous = v === 0 ? undefined : hashBytes(file[v - 1]!);
        writer.addBlob(BlobType.Chunk, hashBytes(file[v]!), file[v]!, { deltaBase: () => previous });
      }
      await writer.finish();
    }
    baseReader.close();
    const locations = versions.map((file) => file.map((bytes) => catalog.blobLocation(hashBytes(bytes))!));
    expect(locations.flat().filter((location) => location.basePrefix !== undefined)).toHaveLength(60 * 3);
    // Many more deltas than the reader keeps, read again and again: each read reuses an evicted
    // frame's buffer, and each new small frame takes a slice of the pool, some at its start.
    const reader = new PackReader(join(directory, 'packs'), undefined, undefined, (delta) => catalog.baseLocation(delta));
    for (let round = 0; round < 5; round++) {
      for (const [file, fileLocations] of locations.entries()) {
        const v = 1 + ((file + round) % 3);
        expect(reader.borrowBlob(fileLocations[v]!).equals(versions[file]![v]!), `file ${file} version ${v}, round ${round}`).toBe(true);
      }
    }
    reader.close();
    catalog.close();
  });

  it('a read through a chain of deltas verifies the blob asked for, and names the damaged base when it fails', async () => {
    const directory = temporaryDirectory();
    const catalog = new Catalog(join(directory, 'catalog.sqlite'));
    const locate = (delta: BlobLocation) => catalog.baseLocation(delta);
    // Five versions, each a delta of the one before (sealed before the next is written).
    let text = `${'a line every version shares, to be worth a base. '.repeat(200)}\n`;
    const versions = Array.from({ length: 5 }, (_, v) => Buffer.from((text += `version ${v}: ${'new words '.repeat(20)}\n`)));
    for (let v = 0; v < versions.length; v++) {
      const baseReader = new PackReader(join(directory, 'packs'), undefined, undefined, locate);
      const writer = new BlobWriter(catalog, { ...newWriterOptions(directory), readBlob: (location) => baseReader.readBlob(location), compressionLevel: 3 });
      const previous = v === 0 ? undefined : hashBytes(versions[v - 1]!);
      writer.addBlob(BlobType.Chunk, hashBytes(versions[v]!), versions[v]!, { deltaBase: () => previous });
      await writer.finish();
      baseReader.close();
    }
    const locations = versions.map((bytes) => catalog.blobLocation(hashBytes(bytes))!);
    // The catalog keeps the first 8 bytes of a base's id (schema 5).
    expect(locations.map((location) => location.basePrefix?.toString('hex'))).toEqual([
      undefined,
      ...versions.slice(0, -1).map((bytes) => hashBytes(bytes).subarray(0, 8).toString('hex')),
    ]);
    const reader = new PackReader(join(directory, 'packs'), undefined, undefined, locate);
    for (const [v, location] of locations.entries()) expect(reader.readBlob(location).equals(versions[v]!)).toBe(true);
    reader.close();

    // Version 1, a base three links under the last, damaged in its pack: every read through it fails
    // naming it (the chain is verified link by link once the last version fails its own check).
    const damagedId = hashBytes(versions[1]!).toString('hex');
    const path = packPath(join(directory, 'packs'), locations[1]!.packName);
    const damaged = readFileSync(path);
    damaged[locations[1]!.frameOffset + Math.floor(locations[1]!.frameStoredLength / 2)]! ^= 0x40;
    writeFileSync(path, damaged);
    for (const v of [4, 3, 2]) {
      const fresh = new PackReader(join(directory, 'packs'), undefined, undefined, locate);
      let thrown: unknown;
      try {
        fresh.readBlob(locations[v]!);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, `version ${v}`).toBeInstanceOf(CorruptionError);
      expect((thrown as StoreError).code).toBe('CORRUPT_PACK');
      expect((thrown as Error).message).toContain(`its base ${damagedId} cannot be read`);
      // Version 0 still reads: nothing under the damage is blamed.
      expect(fresh.readBlob(locations[0]!).equals(versions[0]!)).toBe(true);
      fresh.close();
    }
    catalog.close();
  });

  it('a flipped byte or a truncated pack gives a CORRUPT_PACK error naming the pack, never wrong bytes', async () => {
    const directory = temporaryDirectory();
    const catalog = new Catalog(join(directory, 'catalog.sqlite'));
    const writer = newWriter(directory, catalog);
    const bytes = pseudoRandomBytes(20_000, 9); // incompressible: stored raw, so the flip reaches the chunk
    writer.addBlob(BlobType.Chunk, hashBytes(bytes), bytes);
    await writer.finish();
    const location = catalog.blobLocation(hashBytes(bytes))!;
    const path = packPath(join(directory, 'packs'), location.packName);
    const original = readFileSync(path);
    const damaged = Buffer.from(original);
    damaged[location.frameOffset + 100]! ^= 0x01;
    writeFileSync(path, damaged);
    const reader = new PackReader(join(directory, 'packs'));
    expect(() => reader.readBlob(location)).toThrow(CorruptionError);
    expect(() => reader.readBlob(location)).toThrow(location.packName);
    reader.close();
    writeFileSync(path, original.subarray(0, original.length - 10));
    const reader2 = new PackReader(join(directory, 'packs'));
    expect(() => reader2.readFooter(location.packName)).toThrow(/CORRUPT|end marker|footer/);
    try {
      reader2.readFooter(location.packName);
    } catch (error) {
      expect((error as StoreError).code).toBe('CORRUPT_PACK');
    }
    reader2.close();
    catalog.close();
  });
});

describe('catalog', () => {
  it('cuts its page cache for a piece of work and gives its size back, after sync, async and failed work', async () => {
    const catalog = new Catalog(join(temporaryDirectory(), 'catalog.sqlite'));
    const db = (catalog as unknown as { db: { pragma: (text: string, options: { simple: true }) => number } }).db;
    const cacheSize = (): number => db.pragma('cache_size', { simple: true });
    const before = cacheSize();
    expect(before).not.toBe(-2000);
    expect(catalog.withPageCache(2000, () => cacheSize())).toBe(-2000);
    expect(cacheSize()).toBe(before);
    expect(await catalog.withPageCache(500, async () => cacheSize())).toBe(-500);
    expect(cacheSize()).toBe(before);
    expect(() =>
      catalog.withPageCache(2000, () => {
        throw new Error('failed');
      }),
    ).toThrow('failed');
    expect(cacheSize()).toBe(before);
    await expect(catalog.withPageCache(2000, async () => Promise.reject(new Error('failed later')))).rejects.toThrow('failed later');
    expect(cacheSize()).toBe(before);
    catalog.close();
  });
});

describe('objects', () => {
  it('trees round-trip and their id is a Merkle root that changes with any entry', () => {
    const entries = [
      { name: 'a', kind: EntryKind.File, sizeBytes: 3, id: hashBytes(Buffer.from('abc')) },
      { name: 'b', kind: EntryKind.Executable, sizeBytes: 0, id: hashBytes(Buffer.alloc(0)) },
      { name: 'c', kind: EntryKind.Symlink, sizeBytes: 1, id: hashBytes(Buffer.from('a')) },
    ];
    const tree = encodeTree(entries);
    const decoded = decodeTree(tree.bytes);
    expect(decoded.entries).toEqual(entries);
    expect(decoded.id.equals(tree.id)).toBe(true);
    // Pinned: format version 1's tree bytes and ids must never change (an odd count, sizes past 32
    // bits and non-ASCII names exercise the Merkle tree's carried node and the encoder).
    expect(tree.id.toString('hex')).toBe('02b90803ff40237345584f170377994f36f84580a8501821b5ddc1f92dc869f9');
    expect(hashBytes(tree.bytes).toString('hex')).toBe('d06d2abe92584b52aa3302948c4e08496b2c69e296e2d66bba7fb350763ecb29');
    const many = Array.from({ length: 37 }, (_, i) => ({
      name: `n${String(i).padStart(3, '0')}é`,
      kind: EntryKind.Directory,
      sizeBytes: 2 ** 40 + i,
      id: hashBytes(Buffer.from([i])),
    }));
    const manyTree = encodeTree(many);
    expect(manyTree.id.toString('hex')).toBe('72333fb5ef9cde8969cbc6536dcd2779f617223c9d7c6b1b91fee4f72913f4c0');
    expect(hashBytes(manyTree.bytes).toString('hex')).toBe('f258e59e7e60b6b998e0177bf1302de18f80adcad1e8e9080e24315be746cb91');
    expect(decodeTree(manyTree.bytes)).toEqual({ entries: many, id: manyTree.id });
    const changed = encodeTree([entries[0]!, { ...entries[1]!, kind: EntryKind.File }, entries[2]!]);
    expect(changed.id.equals(tree.id)).toBe(false);
    const damaged = Buffer.from(tree.bytes);
    damaged[damaged.length - 1] = 0xff;
    expect(decodeTree(damaged).id.equals(tree.id)).toBe(false);
  });

  it('file times pair with the paths of the tree in byte order, directories after files; versions 1 and 2 are still read', () => {
    // Byte order: 'a-b' < 'a.txt' < 'a/b' < 'z' < 'é' < U+FFFF < '😀' (in JS string order, '😀', a surrogate pair, comes before U+FFFF).
    const inByteOrder = ['a-b', 'a.txt', 'a/b', 'z', 'é', '\uffff', '😀'];
    const times = inByteOrder.map((_, index) => (index === 3 ? 0n : BigInt(index + 1) * 1_000_000_007n - 5_000_000_000n));
    const paths = treePathsOf([...inByteOrder].reverse());
    expect(paths).toEqual({ files: inByteOrder, directories: ['a'] });
    const encoded = encodeFileTimes(times, [42n]);
    expect(encoded.length).toBe(9 + 8 * (inByteOrder.length + 1));
    const decoded = decodeFileTimes(encoded, paths);
    expect([...decoded.files.keys()]).toEqual(inByteOrder.filter((_, index) => index !== 3)); // 0: unknown, left out
    inByteOrder.forEach((path, index) => index !== 3 && expect(decoded.files.get(path)).toBe(times[index]));
    expect(decoded.directories).toEqual(new Map([['a', 42n]]));
    expect(() => decodeFileTimes(encoded, treePathsOf(inByteOrder.slice(1)))).toThrow(/7 times for a tree of 6 files/);
    expect(() => decodeFileTimes(encoded, treePathsOf(inByteOrder.filter((path) => path !== 'a/b')))).toThrow(CorruptionError);
    expect(() => decodeFileTimes(encoded.subarray(0, encoded.length - 1), paths)).toThrow(CorruptionError);
    expect(() => decodeFileTimes(Buffer.from([4, 0, 0, 0, 0]), treePathsOf([]))).toThrow(/unknown version 4/);
    // Version 2, as format 3 wrote it: u8 2 | u32 count | i64 per file.
    const v2 = Buffer.alloc(5 + 8);
    v2.writeUInt8(2, 0);
    v2.writeUInt32LE(1, 1);
    v2.writeBigInt64LE(77n, 5);
    expect(decodeFileTimes(v2, treePathsOf(['d/f']))).toEqual({ files: new Map([['d/f', 77n]]), directories: new Map() });
    // Version 1, as format 2 wrote it: u8 1 | u32 count | (i64 mtimeNs | u16 length | path)...
    const path = Buffer.from('dir/ü.txt');
    const v1 = Buffer.alloc(5 + 10 + path.length);
    v1.writeUInt8(1, 0);
    v1.writeUInt32LE(1, 1);
    v1.writeBigInt64LE(1234567890123456789n, 5);
    v1.writeUInt16LE(path.length, 13);
    path.copy(v1, 15);
    expect(decodeFileTimes(v1, treePathsOf(['anything'])).files).toEqual(new Map([['dir/ü.txt', 1234567890123456789n]]));
  });

  it('file modes pair with the tree paths like the times, and refuse modes out of range', () => {
    const paths = treePathsOf(['x/y', 'b', 'x/z']);
    const encoded = encodeFileModes(
      [
        { mode: 0o600, linkGroup: 0 },
        { mode: 0o4755, linkGroup: 1 },
        { mode: 0o640, linkGroup: 1 },
      ],
      [0o700],
    );
    const decoded = decodeFileModes(encoded, paths);
    expect(decoded.files.get('b')).toEqual({ mode: 0o600, linkGroup: 0 });
    expect(decoded.files.get('x/y')).toEqual({ mode: 0o4755, linkGroup: 1 });
    expect(decoded.directories).toEqual(new Map([['x', 0o700]]));
    expect(() => decodeFileModes(encoded, treePathsOf(['b', 'x/y']))).toThrow(CorruptionError);
    const outOfRange = Buffer.from(encoded);
    outOfRange.writeUInt32LE(0o10000, 9);
    expect(() => decodeFileModes(outOfRange, paths)).toThrow(/out of range/);
  });

  it('commits and file maps round-trip', () => {
    const commit = {
      treeId: 'a'.repeat(64),
      parentId: 'b'.repeat(64),
      author: 'me',
      timeMs: 1700000000000,
      fileCount: 2,
      logicalBytes: 10,
      message: 'hi\n\nbody',
    };
    expect(decodeCommit(encodeCommit(commit).bytes)).toEqual(commit);
    const chunks = [0, 1, 2].map((i) => ({ id: hashBytes(Buffer.from([i])), length: 1000 + i }));
    const map = { fileId: hashBytes(Buffer.from('xy')), sizeBytes: 3003, chunks };
    const encoded = encodeFileMap(map);
    const decoded = decodeFileMap(encoded);
    expect({ ...decoded, chunks: [...decoded.chunks] }).toEqual(map);
    expect(decoded.chunks.length).toBe(3);
    encoded.fill(0); // the decoded map holds its own copy of the entries
    expect([...decoded.chunks]).toEqual(chunks);
    expect([...decoded.chunks]).toEqual(chunks); // and can be iterated again
    expect(() => decodeFileMap(encodeFileMap(map).subarray(0, 50))).toThrow(CorruptionError);
    expect(() => decodeFileMap(encodeFileMap({ ...map, sizeBytes: 3004 }))).toThrow(/do not add up/);
  });

  it('prefixes (hex, odd lengths too, or bytes) become inclusive id ranges', () => {
    const { first, last } = idRangeOf('abcdef01');
    expect(first.toString('hex')).toBe(`abcdef01${'0'.repeat(56)}`);
    expect(last.toString('hex')).toBe(`abcdef01${'f'.repeat(56)}`);
    expect(idRangeOf('abc').last.toString('hex')).toBe(`abc${'f'.repeat(61)}`);
    expect(idRangeOf(Buffer.from([0xff, 0x00])).first.toString('hex')).toBe(`ff00${'0'.repeat(60)}`);
    expect(idRangeOf(Buffer.from([0xff, 0x00])).last.toString('hex')).toBe(`ff00${'f'.repeat(60)}`);
  });
});

describe('staging area', () => {
  it('the native check of a staging file stops at the entry the JavaScript check names, on files damaged under a valid checksum', () => {
    const random = seededRandom(17);
    const entries = sortByPathBytes(
      Array.from({ length: 300 }, (_, i) => ({
        path: `d${i % 7}/${i % 3 === 0 ? 'ü' : ''}f${i}.txt`,
        kind: EntryKind.File as const,
        mode: 0o100644,
        sizeBytes: i * 1000,
        mtimeNs: 1n,
        ctimeNs: 2n,
        ino: BigInt(i),
        dev: 7n,
        fileId: hashBytes(Buffer.from(`file ${i}`)),
      })),
    );
    const good = encodeStaging({ entries, writtenAtNs: 5n });
    const heapStart = 32 + entries.length * 88;
    const record = (index: number) => 32 + index * 88;
    const pick = <T>(choices: readonly T[]): T => choices[random(choices.length)]!;
    let damagedSeen = 0;
    for (let round = 0; round < 600; round++) {
      const bytes = Buffer.from(good);
      const index = random(entries.length);
      const at = record(index);
      switch (round % 6) {
        case 0:
          bytes[at] = pick([0, 1, 2, 3, 4, 255]);
          break;
        case 1:
          bytes.writeUInt32LE(bytes.readUInt32LE(at + 80) + pick([1, 7, 3000, 100_000]), at + 80);
          break;
        case 2:
          bytes.writeUInt32LE(pick([0, 1, 4096, 4097, 70_000]), at + 84);
          break;
        case 3: {
          const heapAt = heapStart + bytes.readUInt32LE(at + 80) + random(bytes.readUInt32LE(at + 84));
          bytes[heapAt] = pick([0x00, 0x2f, 0x2e, 0x53, 0x54, 0x61, 0xff]);
          break;
        }
        case 4:
          bytes.writeUInt32LE(pick([2 ** 21 - 1, 2 ** 21, 2 ** 32 - 1]), at + 12);
          break;
        default: {
          // Two entries' paths swapped (or the same path twice): out of order.
          const other = random(entries.length);
          const path = bytes.readBigUInt64LE(record(other) + 80);
          if (random(2) === 0) bytes.writeBigUInt64LE(bytes.readBigUInt64LE(at + 80), record(other) + 80);
          bytes.writeBigUInt64LE(path, at + 80);
        }
      }
      const body = bytes.subarray(0, bytes.length - 32);
      hashBytes(body).copy(bytes, body.length);
      const expected = firstEntryProblem(bytes);
      // Asked in two runs, as the view asks a run at a time: the entry before a run counts for its order.
      const split = random(entries.length);
      const first = callNative('test', (addon) => addon.checkStagingEntries(bytes, 0, split));
      const found = first >= 0 ? first : callNative('test', (addon) => addon.checkStagingEntries(bytes, split, entries.length));
      expect(found, `round ${round}: ${expected?.problem ?? 'no problem'}`).toBe(expected?.index ?? -1);
      if (expected === undefined) {
        expect(new StagingView(bytes, 'test').count).toBe(entries.length);
        continue;
      }
      damagedSeen++;
      expect(() => new StagingView(bytes, 'test')).toThrow(`staging area test: ${expected.problem}`);
    }
    expect(damagedSeen).toBeGreaterThan(400);
    expect(damagedSeen).toBeLessThan(600);
  });

  it('round-trips through mmap and rejects any damaged byte with CORRUPT_STAGING', () => {
    const directory = temporaryDirectory();
    const path = join(directory, 'staging');
    const entries = [
      {
        path: 'b/ü.txt',
        kind: EntryKind.File as const,
        mode: 0o100644,
        sizeBytes: 5,
        mtimeNs: 123456789n,
        ctimeNs: 987654321n,
        ino: 42n,
        dev: 7n,
        fileId: hashBytes(Buffer.from('hello')),
      },
      {
        path: 'a',
        kind: EntryKind.Symlink as const,
        mode: 0o120777,
        sizeBytes: 1,
        mtimeNs: 1n,
        ctimeNs: 2n,
        ino: 3n,
        dev: 7n,
        fileId: hashBytes(Buffer.from('b')),
      },
    ];
    writeStaging({ staging: path, fileMode: 0o600 }, entries, 1000n);
    const snapshot = readStaging(path);
    expect(snapshot.writtenAtNs).toBe(1000n);
    expect(snapshot.entries.map((entry) => entry.path)).toEqual(['a', 'b/ü.txt']);
    expect(snapshot.entries[1]).toEqual(entries[0]);
    const bytes = readFileSync(path);
    for (const offset of [0, 9, 40, bytes.length - 40, bytes.length - 1]) {
      const damaged = Buffer.from(bytes);
      damaged[offset]! ^= 0x10;
      expect(() => decodeStaging(damaged, 'test')).toThrow(CorruptionError);
    }
    expect(() => decodeStaging(bytes.subarray(0, 20), 'test')).toThrow(/staging area test/);
    expect(readStaging(join(directory, 'absent')).entries).toEqual([]);
    expect(decodeStaging(encodeStaging({ entries: [], writtenAtNs: 0n }), 'x').entries).toEqual([]);
    // Paths are encoded in one piece: all ASCII, and with characters of 2, 3 and 4 bytes, each comes back whole.
    for (const paths of [
      ['a', 'b/c.txt', 'd'],
      ['a', 'z/日本', 'z/😀.txt', 'zz', 'é/ü'],
    ]) {
      const many = paths.map((entryPath, index) => ({ ...entries[0]!, path: entryPath, ino: BigInt(index) }));
      expect(decodeStaging(encodeStaging({ entries: many, writtenAtNs: 5n }), 'x').entries).toEqual(many);
    }
  });

  it('a staging area of many pieces (encoded 64 KiB at a time) comes back whole, written at once or streamed', async () => {
    const directory = temporaryDirectory();
    const entries = Array.from({ length: 5000 }, (_, index) => ({
      path: `d${String(Math.floor(index / 700)).padStart(2, '0')}/${index % 3 === 0 ? 'ü' : 'f'}${String(index).padStart(5, '0')}.txt`,
      kind: EntryKind.File as const,
      mode: 0o100644,
      sizeBytes: index * 7,
      mtimeNs: 1_700_000_000_000_000_000n + BigInt(index),
      ctimeNs: 1_700_000_000_000_000_001n + BigInt(index),
      ino: BigInt(index + 1),
      dev: 42n,
      fileId: hashBytes(Buffer.from(String(index))),
    }));
    const sorted = [...entries].sort((a, b) => compareUtf8(a.path, b.path));
    const whole = encodeStaging({ entries: sorted, writtenAtNs: 7n });
    expect(whole.length).toBeGreaterThan(5 * 64 * 1024);
    expect(decodeStaging(whole, 'whole').entries).toEqual(sorted);
    const path = join(directory, 'staging');
    await writeStagingFrom({ staging: path, fileMode: 0o600 }, () => sorted, 7n);
    expect(readFileSync(path).equals(whole)).toBe(true);
    const view = openStaging(path);
    expect(view.count).toBe(5000);
    expect(view.indexOf(sorted[1234]!.path)).toBe(1234);
    expect(view.indexOf('d00/zzz')).toBeLessThan(0);
  });
});

/**
 * A staged time at one of isUnchangedAt's bounds from the staging area's time: the racy one (or 1 ns
 * before it), or the coarse one of whole seconds.
 */
function timeAtRacyBound(random: (below: number) => number, writtenAtNs: bigint): bigint {
  return random(2) === 0
    ? writtenAtNs - 50_000_000n - BigInt(random(2))
    : ((writtenAtNs - 2_000_000_000n) / 1_000_000_000n - BigInt(random(2))) * 1_000_000_000n;
}

describe('stat data compared in place', () => {
  it('StagingView.isUnchangedAt answers as isUnchanged does, for times of every kind and inodes past 2^53', () => {
    const random = seededRandom(2026);
    const big = (bits: number): bigint => {
      let value = 0n;
      for (let i = 0; i < bits; i += 16) value = (value << 16n) | BigInt(random(65536));
      return value & ((1n << BigInt(bits)) - 1n);
    };
    const now = 1_764_900_000_123_456_789n;
    let writtenAtNs = now;
    const timeOf = (): bigint => {
      switch (random(8)) {
        case 6:
        case 7:
          return timeAtRacyBound(random, writtenAtNs);
        case 0:
          return -big(40); // before 1970
        case 1:
          return (now / 1_000_000_000n - BigInt(random(100_000))) * 1_000_000_000n; // whole seconds
        case 2:
          return now - BigInt(random(3_000_000_000)); // near the scan: racy or not
        case 3:
          return big(62); // far future, large words
        default:
          return now - big(45);
      }
    };
    let agreed = 0;
    for (let round = 0; round < 400; round++) {
      writtenAtNs = random(20) === 0 ? -big(30) : random(3) === 0 ? (now / 1_000_000_000n) * 1_000_000_000n : now;
      const entries = Array.from({ length: 50 }, (_, index) => ({
        path: `f${String(index).padStart(3, '0')}`,
        kind: [EntryKind.File, EntryKind.Executable, EntryKind.Symlink][random(3)] as StagedEntry['kind'],
        mode: 0o100644,
        sizeBytes: random(4) === 0 ? 2 ** 40 + random(1000) : random(100_000),
        mtimeNs: timeOf(),
        ctimeNs: timeOf(),
        ino: random(3) === 0 ? big(64) : BigInt(random(1_000_000)),
        dev: 7n,
        fileId: hashBytes(Buffer.from(String(index))),
      }));
      const view = new StagingView(encodeStaging({ entries, writtenAtNs }), 'test');
      entries.forEach((entry, index) => {
        // The file as an lstat reports it: the staged stat data, or one field of it changed.
        const stats = {
          mode: entry.mode,
          size: entry.sizeBytes,
          mtimeMs: msFromNs(entry.mtimeNs),
          ctimeMs: msFromNs(entry.ctimeNs),
          ino: Number(entry.ino),
          dev: 7,
        };
        let kind = entry.kind;
        const change = random(8);
        if (change === 0) stats.size += 1;
        else if (change === 1) stats.mtimeMs = msFromNs(entry.mtimeNs + 1000n);
        else if (change === 2) stats.ctimeMs = msFromNs(entry.ctimeNs - 1000n);
        else if (change === 3) stats.ino = Number(entry.ino + 4096n);
        else if (change === 4) kind = kind === EntryKind.File ? EntryKind.Executable : EntryKind.File;
        const exact = isUnchanged(entry, { path: entry.path, kind, stats }, { writtenAtNs });
        const inPlace = view.isUnchangedAt(index, kind, stats);
        if (inPlace) expect(exact, `entry ${index} of round ${round}`).toBe(true);
        // Only times before 1970 are left to the exact check.
        if (entry.mtimeNs >= 0n && entry.ctimeNs >= 0n && writtenAtNs >= 0n) expect(inPlace, `entry ${index} of round ${round}`).toBe(exact);
        if (inPlace) agreed++;
      });
    }
    expect(agreed).toBeGreaterThan(500); // the unchanged case is exercised, not only the changed ones
  });
});

describe('runs of unchanged files compared natively', () => {
  it('StagingView.unchangedRun takes exactly the files, one after another, that isPathAt and isUnchangedAt take', () => {
    const random = seededRandom(2027);
    const writtenAtNs = 1_764_900_000_123_456_789n;
    const modeOf = { [EntryKind.File]: 0o100644, [EntryKind.Executable]: 0o100755, [EntryKind.Symlink]: 0o120777 } as const;
    const timeOf = (): bigint => {
      switch (random(6)) {
        case 0:
        case 1:
          return timeAtRacyBound(random, writtenAtNs);
        case 2:
          return -BigInt(1 + random(1_000_000)) * 1_000_000_007n; // before 1970
        default:
          return writtenAtNs - BigInt(random(4_000_000_000)); // racy or not
      }
    };
    const splitNs = (ns: bigint): [number, number] => {
      const sec = ns >= 0n ? ns / 1_000_000_000n : -((-ns + 999_999_999n) / 1_000_000_000n);
      return [Number(sec), Number(ns - sec * 1_000_000_000n)];
    };
    let taken = 0;
    let stoppedEarly = 0;
    for (let round = 0; round < 300; round++) {
      const directory = random(4) === 0 ? '' : ['d', 'deep/er', 'caf\u00e9'][random(3)]!;
      const entries = Array.from({ length: 40 }, (_, index) => ({
        path: `${directory === '' ? '' : `${directory}/`}f${String(index).padStart(3, '0')}`,
        kind: [EntryKind.File, EntryKind.Executable, EntryKind.Symlink][random(3)] as StagedEntry['kind'],
        mode: 0o100644,
        sizeBytes: random(4) === 0 ? 2 ** 40 + random(1000) : random(100_000),
        mtimeNs: random(3) === 0 ? timeOf() : writtenAtNs - 10_000_000_000n,
        ctimeNs: random(3) === 0 ? timeOf() : writtenAtNs - 10_000_000_000n,
        ino: random(3) === 0 ? (1n << 60n) + BigInt(random(1_000_000)) : BigInt(random(1_000_000)),
        dev: 7n,
        fileId: hashBytes(Buffer.from(String(index))),
      }));
      const view = new StagingView(encodeStaging({ entries, writtenAtNs }), 'test');
      // The directory as the addon lists it: each staged file, mostly as staged, some changed, and
      // now and then a subdirectory, a failed lstat or a name the staging area does not hold.
      const names: Buffer[] = [];
      const fields: number[] = [];
      for (const entry of entries) {
        let name = Buffer.from(entry.path.slice(entry.path.lastIndexOf('/') + 1));
        let mode: number = modeOf[entry.kind];
        let size = entry.sizeBytes;
        let [mtimeSec, mtimeNsec] = splitNs(entry.mtimeNs);
        let [ctimeSec, ctimeNsec] = splitNs(entry.ctimeNs);
        let ino = Number(entry.ino);
        let errno = 0;
        switch (random(24)) {
          case 0:
            size += 1;
            break;
          case 1:
            mtimeNsec = (mtimeNsec + 1) % 1_000_000_000;
            break;
          case 2:
            ctimeSec -= 1;
            break;
          case 3:
            ino += 4096;
            break;
          case 4:
            mode = entry.kind === EntryKind.File ? 0o100755 : 0o100644;
            break;
          case 5:
            mode = 0o040755;
            break; // a directory
          case 6:
            errno = 13;
            break;
          case 7:
            name = Buffer.concat([name, Buffer.from('x')]);
            break;
        }
        names.push(name);
        fields.push(
          names.reduce((sum, each) => sum + each.length, 0),
          mode,
          size,
          mtimeSec,
          mtimeNsec,
          ctimeSec,
          ctimeNsec,
          ino,
          7,
          errno,
        );
      }
      const listing = new DirectoryListing(Buffer.concat(names), new Float64Array(fields));
      const directoryBytes = encodeName(directory);
      const takesOne = (index: number): boolean => {
        if (listing.errorAt(index) !== undefined || !listing.isFileOrSymlinkAt(index)) return false;
        if (!view.isPathAt(index, directoryBytes, listing.names, listing.nameStart(index), listing.nameEnd(index))) return false;
        const stats = listing.statsAt(index);
        return view.isUnchangedAt(index, kindOf(stats) as StagedEntry['kind'], stats);
      };
      for (let from = 0; from < entries.length; from += 1 + random(10)) {
        const run = view.unchangedRun(from, directoryBytes, listing, from);
        for (let index = from; index < from + run; index++) expect(takesOne(index), `round ${round}, entry ${index}`).toBe(true);
        if (from + run < entries.length) {
          const next = from + run;
          const staged = entries[next]!;
          const listed = (at: number): bigint => BigInt(fields[next * 10 + at]!) * 1_000_000_000n + BigInt(fields[next * 10 + at + 1]!);
          // Stricter only on times: before 1970, or apart by less than a millisecond's float can tell.
          const timesOnly = staged.mtimeNs < 0n || staged.ctimeNs < 0n || listed(3) !== staged.mtimeNs || listed(5) !== staged.ctimeNs;
          expect(!takesOne(next) || timesOnly, `round ${round}, entry ${next}`).toBe(true);
          if (takesOne(next) && timesOnly) stoppedEarly++;
        }
        taken += run;
      }
    }
    expect(taken).toBeGreaterThan(1000); // long runs are exercised, not only the stops
    expect(stoppedEarly).toBeGreaterThan(0); // the nanosecond a float of milliseconds cannot tell is exercised
  });
});

/** Staged entries of `paths`, in the byte order of the paths; kind and size as `shape` gives them for each (a file of 1 byte by default). */
function stagedEntriesOf(
  paths: Iterable<string>,
  shape: (index: number) => Pick<StagedEntry, 'kind' | 'sizeBytes'> = () => ({ kind: EntryKind.File, sizeBytes: 1 }),
): StagedEntry[] {
  return sortByPathBytes(
    [...paths].map((path, index) => ({
      path,
      ...shape(index),
      mode: 0o100644,
      mtimeNs: 1n,
      ctimeNs: 1n,
      ino: BigInt(index),
      dev: 1n,
      fileId: hashBytes(Buffer.from(path)),
    })),
  );
}

describe('paths compared in place', () => {
  it('StagingView.isPathAt is true exactly where the staged path is the directory, a slash and the name', () => {
    const random = seededRandom(17);
    const names = ['a', 'a.txt', 'a0', 'ab', 'b', 'txt', 'caf\udce9', '\u00e9t\u00e9', 'x y'];
    const paths = new Set<string>();
    while (paths.size < 300) {
      const depth = random(3);
      paths.add(Array.from({ length: depth + 1 }, () => names[random(names.length)]).join('/'));
    }
    const entries = stagedEntriesOf(paths);
    const view = new StagingView(encodeStaging({ entries, writtenAtNs: 0n }), 'test');
    // Near misses: one byte more or less, another directory, a '.' where a '/' was and back.
    const candidates = [
      ...new Set(
        entries.flatMap(({ path }) => [
          path,
          `${path}x`,
          path.slice(0, -1),
          `a/${path}`,
          path.replace('/', '.'),
          path.replace('.', '/'),
          path.replace('/', ''),
        ]),
      ),
    ]
      .filter((path) => path !== '' && !path.endsWith('/') && !path.startsWith('/'))
      .map((candidate) => {
        const slash = candidate.lastIndexOf('/');
        return {
          candidate,
          directory: encodeName(slash < 0 ? '' : candidate.slice(0, slash)),
          name: Buffer.concat([Buffer.from('junk'), encodeName(candidate.slice(slash + 1))]),
        };
      });
    let equal = 0;
    for (let index = 0; index < view.count; index++) {
      const path = view.pathAt(index);
      for (const { candidate, directory, name } of candidates) {
        const same = view.isPathAt(index, directory, name, 4, name.length);
        if (same !== (path === candidate)) expect(same, `${path} against ${candidate}`).toBe(path === candidate);
        if (same) equal++;
      }
    }
    expect(equal).toBe(view.count);
  });
});

describe('entries gathered natively', () => {
  it("fingerprintBytes are each entry's kind, size, id, path length and path, in pieces; directoryRuns the directory of each run", () => {
    const random = seededRandom(23);
    const names = ['a', 'b', 'caf\udce9', '\u00e9t\u00e9', 'x y', 'long-name-'.repeat(8)];
    const paths = new Set<string>();
    while (paths.size < 3000) paths.add(Array.from({ length: random(4) + 1 }, () => names[random(names.length)]).join('/') + random(1000));
    const kinds = [EntryKind.File, EntryKind.Executable, EntryKind.Symlink] as const;
    const entries = stagedEntriesOf(paths, (index) => ({ kind: kinds[index % 3]!, sizeBytes: index * 1_000_003 + (index % 7) * 2 ** 40 }));
    const view = new StagingView(encodeStaging({ entries, writtenAtNs: 0n }), 'test');
    const expected = (from: number, to: number) =>
      Buffer.concat(
        entries.slice(from, to).flatMap((entry) => {
          const path = encodeName(entry.path);
          const fields = Buffer.alloc(45);
          fields[0] = entry.kind;
          fields.writeBigUInt64LE(BigInt(entry.sizeBytes), 1);
          entry.fileId.copy(fields, 9);
          fields.writeUInt32LE(path.length, 41);
          return [fields, path];
        }),
      );
    for (const [from, to] of [
      [0, entries.length],
      [17, 18],
      [100, 2900],
      [5, 5],
    ] as const) {
      const pieces: Buffer[] = [];
      view.fingerprintBytes(from, to, (piece) => pieces.push(Buffer.from(piece)));
      expect(Buffer.concat(pieces).equals(expected(from, to)), `entries ${from} to ${to}`).toBe(true);
      if (to - from > 2000) expect(pieces.length).toBeGreaterThan(1); // more than 64 KiB: several pieces
    }
    const directoryOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')));
    const runs = entries.map((entry) => directoryOf(entry.path)).filter((directory, index, all) => index === 0 || directory !== all[index - 1]);
    expect(view.directoryRuns()).toEqual(runs);
    expect(runs).toContain('');
    expect(new StagingView(encodeStaging({ entries: [], writtenAtNs: 0n }), 'test').directoryRuns()).toEqual([]);
  });

  it('over many entries, both read a range at a time and let the pages go between; a run a range cut in two is one run', () => {
    const numbered = (directory: string, count: number) => Array.from({ length: count }, (_, index) => `${directory}/${String(index).padStart(6, '0')}`);
    const entries = stagedEntriesOf([...numbered('big', 20_000), ...numbered('other', 20_000), 'z']);
    let released = 0;
    const view = new StagingView(encodeStaging({ entries, writtenAtNs: 0n }), 'test', () => released++);
    released = 0;
    // 16,384 entries a range (RELEASE_EVERY): 'big' spans the first range's end.
    expect(view.directoryRuns()).toEqual(['big', 'other', '']);
    expect(released).toBeGreaterThanOrEqual(2);
    released = 0;
    let bytes = 0;
    view.fingerprintBytes(0, entries.length, (piece) => (bytes += piece.length));
    expect(bytes).toBe(entries.reduce((sum, entry) => sum + 45 + Buffer.byteLength(entry.path), 0));
    expect(released).toBeGreaterThanOrEqual(2);
  });
});

describe('id resolution', () => {
  it('an ambiguous prefix is an AMBIGUOUS_PREFIX error (exit status 6)', () => {
    const work = temporaryDirectory();
    const repo = Repository.init(work);
    const idA = Buffer.from(`abcdef01${'1'.repeat(56)}`, 'hex');
    const idB = Buffer.from(`abcdef01${'2'.repeat(56)}`, 'hex');
    const map = (id: Buffer) => encodeFileMap({ fileId: id, sizeBytes: 0, chunks: [] });
    repo.catalog.recordRows({
      files: [idA, idB].map((id) => ({ id, sizeBytes: 0, chunkCount: 0, filemapId: hashBytes(map(id)) })),
      commits: [],
    });
    mkdirSync(join(work, 'x'), { recursive: true });
    let caught: unknown;
    try {
      resolveGetTarget(repo, 'abcdef01', { cwd: work });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StoreError);
    expect((caught as StoreError).code).toBe('AMBIGUOUS_PREFIX');
    expect((caught as StoreError).exitStatus).toBe(6);
    expect(resolveGetTarget(repo, 'abcdef011', { cwd: work })).toMatchObject({ kind: 'file', sizeBytes: 0 });
    repo.close();
  });
});

describe('UTF-8 byte order without encoding', () => {
  it('orders strings exactly as Buffer.compare orders their UTF-8 bytes, surrogate pairs included', () => {
    // ASCII, Latin-1, U+D7FF, U+E000..U+FFFF, and code points past U+FFFF (surrogate pairs in UTF-16).
    const alphabet = ['a', 'b', '/', '.', 'é', '\u07ff', '\ud7ff', '\ue000', '\uffff', '😀', '𐀀', '\u{10ffff}'];
    let state = 12345;
    const next = (): number => {
      state = (state * 1103515245 + 12345) >>> 0;
      return state;
    };
    const strings = Array.from({ length: 400 }, () => Array.from({ length: next() % 5 }, () => alphabet[next() % alphabet.length]).join(''));
    const sign = (n: number): number => Math.sign(n);
    for (let i = 0; i < strings.length; i++) {
      for (let j = 0; j < 40; j++) {
        const a = strings[i]!;
        const b = strings[(i * 7 + j) % strings.length]!;
        expect(sign(compareUtf8(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(
          sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))),
        );
      }
    }
  });

  it('compareByteRanges orders ranges of one buffer as Buffer.compare orders them, and hasPathProblemAt agrees with pathProblem', () => {
    const alphabet = ['a', '/', '.', 'S', 's', 'e', 'é', '\0', '😀', '.store', '.STORE', '..'];
    let state = 777;
    const next = (): number => {
      state = (state * 1103515245 + 12345) >>> 0;
      return state;
    };
    const paths = Array.from({ length: 600 }, () => Array.from({ length: next() % 5 }, () => alphabet[next() % alphabet.length]).join(''));
    const bytes = Buffer.concat(paths.map((path) => Buffer.from(path, 'utf8')));
    const ranges: [number, number][] = [];
    let at = 0;
    for (const path of paths) {
      const length = Buffer.byteLength(path, 'utf8');
      ranges.push([at, at + length]);
      at += length;
    }
    for (let i = 0; i < paths.length; i++) {
      const [start, end] = ranges[i]!;
      expect(hasPathProblemAt(bytes, start, end), JSON.stringify(paths[i])).toBe(pathProblem(paths[i]!) !== undefined);
      const [otherStart, otherEnd] = ranges[(i * 13 + 5) % paths.length]!;
      expect(Math.sign(compareByteRanges(bytes, start, end, otherStart, otherEnd))).toBe(
        Math.sign(Buffer.compare(bytes.subarray(start, end), bytes.subarray(otherStart, otherEnd))),
      );
    }
  });
});
