import { existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptionError, StoreError } from '../src/core/errors.js';
import { hashBytes } from '../src/core/hash.js';
// Checkouts run the compiled engine (`npm test` builds first): a tree of many files is restored on worker threads, which load dist/.
import { checkoutCommit } from '../dist/engine/checkout.js';
import { StoreError as CompiledStoreError } from '../dist/core/errors.js';
import { Repository as CompiledRepository } from '../dist/repository/repository.js';
import { buildProof } from '../src/engine/proof.js';
import { decodeCommit, encodeCommit } from '../src/objects/commit.js';
import { decodeFileModes, encodeFileModes } from '../src/objects/file-modes.js';
import { decodeFileTimes, encodeFileTimes, treePathsOf } from '../src/objects/file-times.js';
import { decodeFileMap, encodeFileMap } from '../src/objects/filemap.js';
import { checkProof } from '../src/objects/merkle-proof.js';
import { decodeTree, encodeTree, treeIdOfBytes, type TreeEntry } from '../src/objects/tree.js';
import { readConfig, serializeConfig, defaultConfig } from '../src/repository/config.js';
import { Repository } from '../src/repository/repository.js';
import { decodeStaging, encodeStaging } from '../src/staging/staging-format.js';
import { encodeVersion1FooterAndTrailer, encodeVersion2FooterAndTrailer, finishCraftedCommit } from './crafted.js';
import { pseudoRandomBytes, temporaryDirectory } from './helpers.js';
import { BlobType, Codec, EntryKind } from '../src/core/vocabulary.js';
import { decodeFooter, decodeTrailer, encodeFooterAndTrailer, PACK_TRAILER_BYTES } from '../src/store/pack-format.js';

/**
 * A seeded fuzzer for hostile repositories: valid objects are mutated (bits flipped, fields
 * overwritten, bytes cut or added, and names swapped for the ones an attacker would choose), then
 * decoded and checked out. Decoding may succeed or fail only with the typed corruption error; a
 * checkout may succeed or fail with a typed error, and never writes outside its target.
 * `STORE_FUZZ_CASES` (default 3000 decodes of each kind and 500 checkouts) and `STORE_FUZZ_SEED` set the
 * run; `npm run test:fuzz` runs about 33 times as many.
 */
const CASES = Number(process.env.STORE_FUZZ_CASES ?? 3000);
const SEED = Number(process.env.STORE_FUZZ_SEED ?? 20261127);
const CHECKOUTS = Math.max(20, Math.round(CASES / 6));
/** vitest's limit for a test, scaled with the run (a longer run must not be cut off at the default). */
const LIMIT_MS = Math.max(120_000, CASES * 40);

function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state;
  };
}

const HOSTILE_NAMES = ['..', '.', '', 'a/b', '../x', '.store', '.STORE', '.Store', 'x\0y', 'd', 'a'];

function mutate(valid: Buffer, next: () => number): Buffer {
  const copy = Buffer.from(valid);
  switch (next() % 5) {
    case 0:
      if (copy.length > 0) copy[next() % copy.length]! ^= 1 << (next() % 8);
      return copy;
    case 1:
      if (copy.length >= 4) copy.writeUInt32LE(next(), next() % (copy.length - 3));
      return copy;
    case 2:
      return copy.subarray(0, next() % (copy.length + 1));
    case 3:
      return Buffer.concat([copy, pseudoRandomBytes(next() % 64, next())]);
    default:
      return pseudoRandomBytes(next() % 256, next());
  }
}

function expectTyped(label: string, action: () => unknown): void {
  try {
    action();
  } catch (error) {
    if (!(error instanceof CorruptionError)) throw new Error(`${label}: threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
  }
}

const id = (text: string): Buffer => hashBytes(Buffer.from(text));

describe(`fuzzed decoders (seed ${SEED}, ${CASES} cases each)`, () => {
  it(
    'trees, staging areas, commits, file maps, file times, file modes, configs and proofs fail only with typed errors',
    () => {
      const next = random(SEED);
      const tree = encodeTree([
        { name: 'a', kind: EntryKind.File, sizeBytes: 1, id: id('1') },
        { name: 'dir', kind: EntryKind.Directory, sizeBytes: 2, id: id('2') },
        { name: 'link', kind: EntryKind.Symlink, sizeBytes: 1, id: id('3') },
      ]).bytes;
      const staging = encodeStaging({
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
      const commit = encodeCommit({
        treeId: 'a'.repeat(64),
        parentId: 'b'.repeat(64),
        timesId: 'c'.repeat(64),
        modesId: 'd'.repeat(64),
        author: 'x',
        timeMs: 1,
        fileCount: 1,
        logicalBytes: 1,
        message: 'm',
      }).bytes;
      const filemap = encodeFileMap({
        fileId: id('f'),
        sizeBytes: 30,
        chunks: [
          { id: id('x'), length: 10 },
          { id: id('y'), length: 20 },
        ],
      });
      const paths = treePathsOf(['a', 'd/x', 'd/y']);
      const times = encodeFileTimes([1n, 2n, 3n], [4n]);
      const modes = encodeFileModes(
        [
          { mode: 0o644, linkGroup: 0 },
          { mode: 0o600, linkGroup: 1 },
          { mode: 0o600, linkGroup: 1 },
        ],
        [0o755],
      );
      for (let i = 0; i < CASES; i++) {
        expectTyped('tree', () => decodeTree(mutate(tree, next)));
        expectTyped('staging', () => decodeStaging(mutate(staging, next), 'fuzz'));
        expectTyped('commit', () => decodeCommit(mutate(commit, next)));
        expectTyped('file map', () => decodeFileMap(mutate(filemap, next)));
        expectTyped('file times', () => decodeFileTimes(mutate(times, next), paths));
        expectTyped('file modes', () => decodeFileModes(mutate(modes, next), paths));
      }
      // Whatever a tree decodes to keeps the rules: its names are safe to join to a target.
      for (let i = 0; i < CASES; i++) {
        try {
          for (const entry of decodeTree(mutate(tree, next)).entries) {
            expect(['', '.', '..'].includes(entry.name) || entry.name.includes('/') || entry.name.toLowerCase() === '.store').toBe(false);
          }
        } catch (error) {
          if (!(error instanceof CorruptionError)) throw error;
        }
      }
    },
    LIMIT_MS,
  );

  it('pack footers and trailers of every version (and footers whose checksum was forged to match) fail only with typed errors', () => {
    const next = random(SEED + 4);
    const footer = {
      frames: [
        { offset: 16, storedLength: 100, rawLength: 300, codec: Codec.Zstd },
        { offset: 116, storedLength: 50, rawLength: 50, codec: Codec.Raw },
        { offset: 166, storedLength: 30, rawLength: 200, codec: Codec.Delta, baseId: id('base') },
        { offset: 196, storedLength: 20, rawLength: 300, codec: Codec.Delta, baseId: id('a') }, // its base in this pack
      ],
      blobs: [
        { id: id('a'), type: BlobType.Chunk, frameIndex: 0, offsetInFrame: 0, length: 200 },
        { id: id('b'), type: BlobType.Tree, frameIndex: 0, offsetInFrame: 200, length: 100 },
        { id: id('c'), type: BlobType.Commit, frameIndex: 1, offsetInFrame: 0, length: 50 },
        { id: id('d'), type: BlobType.Chunk, frameIndex: 2, offsetInFrame: 0, length: 200 },
        { id: id('e'), type: BlobType.Chunk, frameIndex: 3, offsetInFrame: 0, length: 300 },
      ],
    };
    const end = 216;
    for (const [version, encoded] of [
      [3, encodeFooterAndTrailer(footer, end)],
      [2, encodeVersion2FooterAndTrailer(footer, end)],
      [1, encodeVersion1FooterAndTrailer(footer, end)],
    ] as const) {
      const parsed = decodeTrailer(encoded.subarray(encoded.length - PACK_TRAILER_BYTES), end + encoded.length, 'fuzz');
      expect(parsed.version).toBe(version);
      expect(decodeFooter(encoded.subarray(0, parsed.footerLength), parsed.footerHash, end, 'fuzz', version)).toEqual(footer);
      for (let i = 0; i < CASES; i++) {
        const input = mutate(encoded, next);
        expectTyped('pack', () => {
          const trailer = decodeTrailer(input.subarray(Math.max(input.length - PACK_TRAILER_BYTES, 0)), end + input.length, 'fuzz');
          return decodeFooter(input.subarray(0, trailer.footerLength), trailer.footerHash, trailer.footerOffset, 'fuzz', trailer.version);
        });
        // The footer decoders must also hold up when the checksum matches damaged bytes (a forged footer).
        const body = input.subarray(0, Math.max(input.length - PACK_TRAILER_BYTES, 0));
        for (const as of [1, 2, 3]) expectTyped('forged footer', () => decodeFooter(body, hashBytes(body), end, 'fuzz', as));
      }
    }
    // Each version is the smaller: 4 frames and 5 blobs, two deltas, one of them against a blob of this pack.
    expect(encodeVersion2FooterAndTrailer(footer, end).length).toBeLessThan(encodeVersion1FooterAndTrailer(footer, end).length - 60);
    // Version 3: the base in this pack in 1 byte instead of 32, the other behind a 1-byte 0.
    expect(encodeFooterAndTrailer(footer, end).length).toBe(encodeVersion2FooterAndTrailer(footer, end).length - 31 + 1);
  });

  it(
    'configs fail with CORRUPT_CONFIG (or UNSUPPORTED_FORMAT), never anything else',
    () => {
      const next = random(SEED + 1);
      const directory = temporaryDirectory();
      const path = join(directory, 'config');
      const valid = Buffer.from(serializeConfig(defaultConfig()));
      for (let i = 0; i < Math.min(CASES, 2000); i++) {
        writeFileSync(path, mutate(valid, next));
        try {
          readConfig(path);
        } catch (error) {
          if (error instanceof CorruptionError) continue;
          if (error instanceof StoreError && error.code === 'UNSUPPORTED_FORMAT') continue;
          throw new Error(`config: threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
        }
      }
    },
    LIMIT_MS,
  );

  it(
    'proofs with fields mutated are refused with a reason, never an exception',
    async () => {
      const next = random(SEED + 2);
      const work = temporaryDirectory();
      const repo = Repository.init(work);
      mkdirSync(join(work, 'd'));
      writeFileSync(join(work, 'd/f.txt'), 'proven');
      const { addToStaging } = await import('../src/engine/add.js');
      const { commitStaged } = await import('../src/engine/commit.js');
      await addToStaging(repo, { all: true, paths: [], cwd: work, jobs: 0 });
      const committed = await commitStaged(repo, { message: 'm', author: 'a', timeMs: 1 });
      const proof = buildProof(repo, { path: 'd/f.txt', cwd: work });
      repo.close();
      expect(checkProof(proof, committed.commitId)).toBeUndefined();
      const text = Buffer.from(JSON.stringify(proof));
      for (let i = 0; i < Math.min(CASES, 2000); i++) {
        let mutated: unknown;
        try {
          mutated = JSON.parse(mutate(text, next).toString('latin1'));
        } catch {
          continue; // not JSON: proof verify says so before checking
        }
        const result = checkProof(mutated as typeof proof, committed.commitId);
        expect(result === undefined || typeof result === 'string').toBe(true);
      }
      for (const [field, value] of [
        ['levels', [{ entry: '00', index: 0, count: 2 ** 60, siblings: [] }]],
        ['path', '../../etc/passwd'],
        ['commit', 'AAAA'],
      ] as const) {
        expect(checkProof({ ...proof, [field]: value } as typeof proof, committed.commitId)).toMatch(/./);
      }
    },
    LIMIT_MS,
  );
});

describe(`fuzzed checkouts of crafted trees (seed ${SEED}, ${CHECKOUTS} cases)`, () => {
  it(
    'a checkout succeeds or fails with a typed error, and writes nothing outside its target',
    async () => {
      const next = random(SEED + 3);
      const sandbox = temporaryDirectory('store-fuzz-');
      const work = join(sandbox, 'work');
      mkdirSync(work);
      const repo = CompiledRepository.init(work);
      const contents = ['alpha', 'beta', '../outside/pwned', 'd'].map((text) => ({ bytes: Buffer.from(text), id: id(text) }));
      const writer = repo.newBlobWriter();
      for (const content of contents) writer.addBlob(BlobType.Chunk, content.id, content.bytes);
      await writer.finish();
      const outcomes = new Map<string, number>();
      for (let i = 0; i < CHECKOUTS; i++) {
        const caseWriter = repo.newBlobWriter();
        const pick = <T>(items: readonly T[]): T => items[next() % items.length]!;
        const entryFor = (name: string, depth: number): TreeEntry => {
          const roll = next() % 10;
          if (roll < 3 && depth < 3) {
            const child = makeTree(depth + 1);
            return { name, kind: EntryKind.Directory, sizeBytes: 0, id: child };
          }
          const content = pick(contents);
          return {
            name,
            kind: roll < 6 ? EntryKind.File : roll < 8 ? EntryKind.Executable : EntryKind.Symlink,
            sizeBytes: content.bytes.length,
            id: content.id,
          };
        };
        const makeTree = (depth: number): Buffer => {
          const count = 1 + (next() % 4);
          const entries = Array.from({ length: count }, (_, index) => entryFor(next() % 3 === 0 ? pick(HOSTILE_NAMES) : `n${index}`, depth));
          let bytes = encodeTree(entries).bytes;
          if (next() % 4 === 0) bytes = mutate(bytes, next);
          let treeId: Buffer;
          try {
            treeId = treeIdOfBytes(bytes);
          } catch {
            treeId = hashBytes(bytes); // not even well-formed: stored under some id all the same
          }
          caseWriter.addBlob(BlobType.Tree, treeId, bytes);
          return treeId;
        };
        const rootId = makeTree(0);
        const commitId = await finishCraftedCommit(caseWriter, rootId, { logicalBytes: 1, timeMs: i, message: `case ${i}` });

        const caseDirectory = join(sandbox, `case-${i}`);
        const outside = join(caseDirectory, 'outside');
        mkdirSync(outside, { recursive: true });
        const target = join(caseDirectory, 'target');
        let outcome = 'ok';
        try {
          await checkoutCommit(repo, { revision: commitId, paths: [], cwd: work, outputDirectory: target, force: false });
        } catch (error) {
          if (!(error instanceof CompiledStoreError)) throw new Error(`case ${i}: threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
          expect([5, 8, 9], `case ${i}: ${error.message}`).toContain(error.exitStatus);
          outcome = error.code;
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        expect(readdirSync(outside), `case ${i}`).toEqual([]);
        expect(readdirSync(caseDirectory).sort(), `case ${i}`).toEqual(existsSync(target) ? ['outside', 'target'] : ['outside']);
        expect(
          readdirSync(sandbox).filter((name) => !name.startsWith('case-') && name !== 'work'),
          `case ${i}`,
        ).toEqual([]);
        // Nothing under the target was written through a link: every regular file lies below real directories.
        if (existsSync(target)) {
          for (const path of readdirSync(target, { recursive: true }).map(String)) {
            const parts = path.split('/');
            for (let depth = 1; depth < parts.length; depth++)
              expect(lstatSync(join(target, ...parts.slice(0, depth))).isDirectory(), `case ${i}: ${path}`).toBe(true);
          }
        }
      }
      repo.close();
      // The run exercised both sides: crafted trees refused, and valid ones restored.
      expect(outcomes.get('ok') ?? 0).toBeGreaterThan(0);
      expect(outcomes.get('CORRUPT_OBJECT') ?? 0).toBeGreaterThan(0);
    },
    LIMIT_MS,
  );
});
