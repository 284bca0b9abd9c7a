import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../src/core/errors.js';
import { hashBytes } from '../src/core/hash.js';
import { decodeCommit, encodeCommit } from '../src/objects/commit.js';
import { decodeFileMap, encodeFileMap } from '../src/objects/filemap.js';
import { decodeTree, encodeTree } from '../src/objects/tree.js';
import { decodeFooter, decodeTrailer, encodeFooterAndTrailer, PACK_TRAILER_BYTES } from '../src/store/pack-format.js';
import { decodeStaging, encodeStaging } from '../src/staging/staging-format.js';
import { pseudoRandomBytes } from './helpers.js';
import { BlobType, Codec, EntryKind } from '../src/core/vocabulary.js';

/** Parsers must either decode or throw the typed corruption error: never crash otherwise, never hang. */
function expectOnlyCorruption(decode: () => unknown, label: string): void {
  try {
    decode();
  } catch (error) {
    if (!(error instanceof CorruptionError)) throw new Error(`${label}: threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
  }
}

function mutations(valid: Buffer, count: number, seed: number): Buffer[] {
  const out: Buffer[] = [];
  let state = seed;
  const next = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state;
  };
  for (let i = 0; i < count; i++) {
    const copy = Buffer.from(valid);
    const kind = next() % 4;
    if (kind === 0 && copy.length > 0) copy[next() % copy.length] ^= 1 << (next() % 8); // bit flip
    if (kind === 1 && copy.length > 0) copy.writeUInt32LE(next(), next() % Math.max(copy.length - 4, 1)); // a field overwritten
    if (kind === 2)
      out.push(copy.subarray(0, next() % (copy.length + 1))); // truncated
    else if (kind === 3)
      out.push(Buffer.concat([copy, pseudoRandomBytes(next() % 64, next())])); // trailing garbage
    else out.push(copy);
  }
  for (let i = 0; i < count / 4; i++) out.push(pseudoRandomBytes(next() % 512, next())); // pure noise
  return out;
}

const id = (text: string): Buffer => hashBytes(Buffer.from(text));

describe('fuzzed binary parsers fail only with the typed corruption error', () => {
  it('staging area', () => {
    const valid = encodeStaging({
      writtenAtNs: 5n,
      entries: ['a', 'b/c', 'ü'].map((path, i) => ({
        path,
        kind: EntryKind.File,
        mode: 0o100644,
        sizeBytes: i,
        mtimeNs: 1n,
        ctimeNs: 2n,
        ino: 3n,
        dev: 4n,
        fileId: id(path),
      })),
    });
    for (const input of mutations(valid, 3000, 1)) expectOnlyCorruption(() => decodeStaging(input, 'fuzz'), 'staging');
  });

  it('pack footers and trailers', () => {
    const footer = {
      frames: [
        { offset: 16, storedLength: 100, rawLength: 300, codec: Codec.Zstd },
        { offset: 116, storedLength: 50, rawLength: 50, codec: Codec.Raw },
      ],
      blobs: [
        { id: id('a'), type: BlobType.Chunk, frameIndex: 0, offsetInFrame: 0, length: 200 },
        { id: id('b'), type: BlobType.Tree, frameIndex: 0, offsetInFrame: 200, length: 100 },
        { id: id('c'), type: BlobType.Commit, frameIndex: 1, offsetInFrame: 0, length: 50 },
      ],
    };
    const encoded = encodeFooterAndTrailer(footer, 166);
    const packSize = 166 + encoded.length;
    const trailer = encoded.subarray(encoded.length - PACK_TRAILER_BYTES);
    const parsed = decodeTrailer(trailer, packSize, 'fuzz');
    expect(decodeFooter(encoded.subarray(0, parsed.footerLength), parsed.footerHash, 166, 'fuzz')).toEqual(footer);
    for (const input of mutations(encoded, 3000, 2)) {
      expectOnlyCorruption(() => {
        const t = decodeTrailer(input.subarray(Math.max(input.length - PACK_TRAILER_BYTES, 0)), 166 + input.length, 'fuzz');
        return decodeFooter(input.subarray(0, t.footerLength), t.footerHash, t.footerOffset, 'fuzz');
      }, 'pack');
      // The footer decoder must also hold up when the checksum matches damaged bytes (a forged footer).
      const body = input.subarray(0, Math.max(input.length - PACK_TRAILER_BYTES, 0));
      expectOnlyCorruption(() => decodeFooter(body, hashBytes(body), 166, 'fuzz'), 'forged footer');
    }
  });

  it('trees, file maps and commits', () => {
    const tree = encodeTree([
      { name: 'a', kind: EntryKind.File, sizeBytes: 1, id: id('1') },
      { name: 'dir', kind: EntryKind.Directory, sizeBytes: 2, id: id('2') },
    ]).bytes;
    const filemap = encodeFileMap({
      fileId: id('f'),
      sizeBytes: 30,
      chunks: [
        { id: id('x'), length: 10 },
        { id: id('y'), length: 20 },
      ],
    });
    const commit = encodeCommit({ treeId: 'a'.repeat(64), parentId: undefined, author: 'x', timeMs: 1, fileCount: 1, logicalBytes: 1, message: 'm' }).bytes;
    for (const input of mutations(tree, 2000, 3)) expectOnlyCorruption(() => decodeTree(input), 'tree');
    for (const input of mutations(filemap, 2000, 4)) expectOnlyCorruption(() => decodeFileMap(input), 'file map');
    for (const input of mutations(commit, 2000, 5)) expectOnlyCorruption(() => decodeCommit(input), 'commit');
  });
});
