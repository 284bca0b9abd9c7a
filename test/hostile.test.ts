import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptionError, errorData, errorFromData, StoreError } from '../src/core/errors.js';
import { hashBytes } from '../src/core/hash.js';
import { decodeFileMap, encodeFileMap } from '../src/objects/filemap.js';
import { decodeTree, encodeTree, type TreeEntry } from '../src/objects/tree.js';
import { Repository } from '../src/repository/repository.js';
import { decodeStaging, encodeStaging, type StagedEntry } from '../src/staging/staging-format.js';
import { unpackFrame } from '../src/store/pack-reader.js';
import { FrameCompressor } from '../src/store/compression.js';
import { finishCraftedCommit } from './crafted.js';
import { pseudoRandomBytes, store, storeOk, temporaryDirectory } from './helpers.js';
import { BlobType, Codec, EntryKind } from '../src/core/vocabulary.js';

/**
 * A repository is input: these tests build hostile ones (trees and staging areas no honest store
 * writes, stored under their true ids, so every hash checks out) and check that every command gives
 * a typed error and writes nothing outside its target.
 */

interface Crafted {
  work: string;
  /** A directory beside the work tree and the checkout target: nothing may ever appear in it. */
  outside: string;
}

async function emptyRepository(): Promise<Crafted> {
  const parent = temporaryDirectory('store-hostile-');
  const work = join(parent, 'work');
  const outside = join(parent, 'outside');
  mkdirSync(work);
  mkdirSync(outside);
  await storeOk(['init', '-q'], { cwd: work });
  return { work, outside };
}

type Node = { kind: 'file'; content: string } | { kind: 'link'; target: string } | { kind: 'dir'; entries: [string, Node][] };

/**
 * Stores the trees for `entries` exactly as given (names, order and repeats included: encodeTree does
 * not judge) with their contents, then a commit of them, and moves the branch there.
 */
async function commitRawTree(work: string, entries: [string, Node][]): Promise<string> {
  const repo = Repository.open({ repoPath: work });
  const writer = repo.newBlobWriter();
  const storeNode = (node: Node): TreeEntry & { name: string } => {
    if (node.kind === 'dir') {
      const children = node.entries.map(([name, child]) => ({ ...storeNode(child), name }));
      const { bytes, id } = encodeTree(children);
      writer.addBlob(BlobType.Tree, id, bytes);
      return { name: '', kind: EntryKind.Directory, sizeBytes: children.reduce((sum, child) => sum + child.sizeBytes, 0), id };
    }
    const content = Buffer.from(node.kind === 'file' ? node.content : node.target);
    const id = hashBytes(content);
    writer.addBlob(BlobType.Chunk, id, content);
    return { name: '', kind: node.kind === 'file' ? EntryKind.File : EntryKind.Symlink, sizeBytes: content.length, id };
  };
  const root = storeNode({ kind: 'dir', entries });
  const commitId = await finishCraftedCommit(writer, root.id, { logicalBytes: root.sizeBytes });
  repo.refs.update(repo.refs.headRef(), commitId);
  repo.close();
  return commitId;
}

/** Every path below `directory`, for "nothing was written here" checks. */
function listing(directory: string): string[] {
  return existsSync(directory) ? readdirSync(directory, { recursive: true }).map(String).sort() : [];
}

const file = (content: string): Node => ({ kind: 'file', content });

describe('hostile trees', () => {
  const cases: [string, [string, Node][], RegExp][] = [
    ['a name holding /', [['../evil', file('x')]], /name holding \//],
    ['a directory named ..', [['..', { kind: 'dir', entries: [['evil', file('x')]] }]], /the name '\.\.'/],
    ['a directory named .', [['.', { kind: 'dir', entries: [['evil', file('x')]] }]], /the name '\.'/],
    ['an empty name', [['', file('x')]], /empty name/],
    ['a NUL in a name', [['a\0b', file('x')]], /NUL/],
    ['.store at the top', [['.store', { kind: 'dir', entries: [['config', file('{}')]] }]], /repository's own directory/],
    ['.STORE deeper down', [['sub', { kind: 'dir', entries: [['.StOrE', { kind: 'dir', entries: [['HEAD', file('x')]] }]] }]], /repository's own directory/],
    [
      'names out of byte order',
      [
        ['b', file('1')],
        ['a', file('2')],
      ],
      /out of byte order/,
    ],
    [
      'a link and a directory of one name',
      [
        ['d', { kind: 'link', target: '../outside' }],
        ['d', { kind: 'dir', entries: [['x', file('written through the link')]] }],
      ],
      /repeats a name/,
    ],
  ];
  for (const [label, entries, reason] of cases) {
    it(`${label}: checkout -o, in-place checkout, stats and verify fail with status 8 naming the tree; nothing is written outside`, async () => {
      const { work, outside } = await emptyRepository();
      await commitRawTree(work, entries);
      const target = join(work, '..', 'out');
      const out = await store(['checkout', 'HEAD', '-o', target], { cwd: work });
      expect(out.status, out.stderr).toBe(8);
      expect(out.stderr).toMatch(/tree [0-9a-f]{64}/);
      expect(out.stderr).toMatch(reason);
      const inPlace = await store(['checkout', 'HEAD', '--force'], { cwd: work });
      expect(inPlace.status).toBe(8);
      await storeOk(['switch', '-c', 'other'], { cwd: work }); // a new branch at the same commit: nothing to write yet
      const switched = await store(['switch', 'main'], { cwd: work });
      expect(switched.status, switched.stderr).toBe(8);
      const got = await store(['get', 'a', '--at', 'HEAD', '-o', join(outside, 'got')], { cwd: work });
      expect([5, 8], got.stderr).toContain(got.status);
      for (const command of [['stats'], ['verify'], ['diff', 'HEAD'], ['get', 'evil', '--at', 'HEAD'], ['log'], ['repair'], ['gc', '--dry-run']]) {
        const result = await store(command, { cwd: work });
        expect([0, 5, 8], `${command.join(' ')}: ${result.stderr}`).toContain(result.status);
      }
      expect(listing(outside)).toEqual([]);
      expect(listing(join(work, '..')).filter((path) => !path.startsWith('work') && !path.startsWith('outside') && !path.startsWith('out'))).toEqual([]);
      expect(listing(target)).toEqual([]);
      expect(listing(work).filter((path) => !path.startsWith('.store'))).toEqual([]);
    });
  }

  it('a valid crafted tree checks out (the checks refuse only what breaks the rules)', async () => {
    const { work } = await emptyRepository();
    await commitRawTree(work, [
      ['a', file('A')],
      ['d', { kind: 'dir', entries: [['x', file('X')]] }],
      ['l', { kind: 'link', target: 'a' }],
    ]);
    const target = join(work, '..', 'out');
    await storeOk(['checkout', 'HEAD', '-o', target], { cwd: work });
    expect(readFileSync(join(target, 'd/x'), 'utf8')).toBe('X');
    expect(lstatSync(join(target, 'l')).isSymbolicLink()).toBe(true);
  });
});

describe('hostile staging areas', () => {
  const entry = (path: string, kind: StagedEntry['kind'] = EntryKind.File): StagedEntry => ({
    path,
    kind,
    mode: 0o100644,
    sizeBytes: 1,
    mtimeNs: 1n,
    ctimeNs: 1n,
    ino: 0n,
    dev: 0n,
    fileId: hashBytes(Buffer.from('x')),
  });
  const cases: [string, StagedEntry[], RegExp][] = [
    ['../evil', [entry('../evil')], /the name '\.\.'/],
    ['.store/config', [entry('.store/config')], /repository's own directory/],
    ['a//b', [entry('a//b')], /empty name/],
    ['repeated paths', [entry('a'), entry('a')], /repeats a path/],
    ['paths out of order', [entry('b'), entry('a')], /out of byte order/],
    ['a/./b', [entry('a/./b')], /the name '\.'/],
    ['a trailing slash', [entry('a/')], /empty name/],
    ['a leading slash', [entry('/a')], /empty name/],
    ['an empty path', [entry('')], /empty name/],
    ['x/.StORe', [entry('x/.StORe')], /repository's own directory/],
    ['a NUL', [entry('x\0y')], /NUL/],
    // Byte order, not UTF-16 order: U+FFFD (EF BF BD) sorts before U+10000 (F0 90 80 80).
    ['paths past U+FFFF out of byte order', [entry('\u{10000}'), entry('\ufffd')], /out of byte order/],
  ];
  for (const [label, entries, reason] of cases) {
    it(`${label}: decoding fails with CORRUPT_STAGING, and commit refuses with status 8`, async () => {
      const encoded = encodeStaging({ entries, writtenAtNs: 0n });
      expect(() => decodeStaging(encoded, 'crafted')).toThrow(reason);
      const { work } = await emptyRepository();
      writeFileSync(join(work, '.store/staging'), encoded);
      const result = await store(['commit', '-m', 'crafted'], { cwd: work });
      expect(result.status).toBe(8);
      expect(result.stderr).toMatch(reason);
    });
  }

  it('a symlink d and a file d/x staged together: commit refuses to make a tree naming d twice', async () => {
    const { work, outside } = await emptyRepository();
    const encoded = encodeStaging({ entries: [entry('d', EntryKind.Symlink), entry('d/x')], writtenAtNs: 0n });
    writeFileSync(join(work, '.store/staging'), encoded);
    const result = await store(['commit', '-m', 'crafted'], { cwd: work });
    expect(result.status).toBe(8);
    expect(result.stderr).toContain('both as a file and as a directory');
    expect(listing(outside)).toEqual([]);
  });
});

describe('checkout stays inside its target', () => {
  it('a symlink someone put in the target is never written through: the path fails (status 9), the rest is written', async () => {
    const { work, outside } = await emptyRepository();
    mkdirSync(join(work, 'd'));
    writeFileSync(join(work, 'd/x'), 'inside');
    writeFileSync(join(work, 'top.txt'), 'top');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'honest'], { cwd: work });
    const target = join(work, '..', 'out');
    mkdirSync(target);
    symlinkSync(outside, join(target, 'd'));
    const result = await store(['checkout', 'HEAD', '-o', target], { cwd: work });
    expect(result.status).toBe(9);
    expect(result.stderr).toContain('d is a symbolic link: d/x would be written through it');
    expect(readFileSync(join(target, 'top.txt'), 'utf8')).toBe('top');
    expect(listing(outside)).toEqual([]);
  });

  it('a tracked directory replaced by a symlink: switch neither removes nor writes through it', async () => {
    const { work, outside } = await emptyRepository();
    writeFileSync(join(outside, 'x'), 'precious, outside');
    mkdirSync(join(work, 'd'));
    writeFileSync(join(work, 'd/x'), 'tracked');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'with d/x'], { cwd: work });
    await storeOk(['switch', '-c', 'without'], { cwd: work });
    await storeOk(['rm', '-r', '-q', 'd'], { cwd: work });
    writeFileSync(join(work, 'other.txt'), 'other');
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'without d'], { cwd: work });
    await storeOk(['switch', 'main'], { cwd: work });
    // Someone replaces the tracked directory with a link to a directory outside holding a file of the same name.
    rmSync(join(work, 'd'), { recursive: true });
    symlinkSync(outside, join(work, 'd'));
    await storeOk(['switch', 'without'], { cwd: work });
    expect(readFileSync(join(outside, 'x'), 'utf8')).toBe('precious, outside');
    await storeOk(['switch', 'main', '--force'], { cwd: work });
    expect(readFileSync(join(outside, 'x'), 'utf8')).toBe('precious, outside');
    expect(listing(outside)).toEqual(['x']);
    expect(lstatSync(join(work, 'd')).isDirectory()).toBe(true);
    expect(readFileSync(join(work, 'd/x'), 'utf8')).toBe('tracked');
  });
});

describe('decoding is bounded', () => {
  it('trees nested deeper than any path can reach are refused, not walked until the stack overflows', async () => {
    const { work, outside } = await emptyRepository();
    // Built bottom up in a loop: 3,000 levels of `a/` over one file.
    const repo = Repository.open({ repoPath: work });
    const writer = repo.newBlobWriter();
    const content = Buffer.from('deep');
    writer.addBlob(BlobType.Chunk, hashBytes(content), content);
    let entry: TreeEntry = { name: 'a', kind: EntryKind.File, sizeBytes: content.length, id: hashBytes(content) };
    for (let depth = 0; depth < 3000; depth++) {
      const { bytes, id } = encodeTree([entry]);
      writer.addBlob(BlobType.Tree, id, bytes);
      entry = { name: 'a', kind: EntryKind.Directory, sizeBytes: content.length, id };
    }
    repo.refs.update(repo.refs.headRef(), await finishCraftedCommit(writer, entry.id, { logicalBytes: content.length }));
    repo.close();
    for (const command of [['checkout', 'HEAD', '-o', join(work, '..', 'out')], ['stats'], ['verify'], ['gc', '--dry-run'], ['diff', 'HEAD']]) {
      const result = await store(command, { cwd: work });
      expect(result.status, `${command.join(' ')}: ${result.stderr}`).toBe(8);
      expect(result.stderr + result.text).toMatch(/levels deep/);
    }
    expect(listing(outside)).toEqual([]);
  });

  it('a tree claiming four billion entries, a file map claiming 2^53 bytes or a giant chunk: corruption errors, at once', () => {
    const tree = Buffer.alloc(5);
    tree[0] = 1;
    tree.writeUInt32LE(0xffffffff, 1);
    expect(() => decodeTree(tree)).toThrow(/claims 4294967295 entries/);
    const map = encodeFileMap({ fileId: hashBytes(Buffer.from('f')), sizeBytes: 10, chunks: [{ id: hashBytes(Buffer.from('c')), length: 10 }] });
    const huge = Buffer.from(map);
    huge.writeBigUInt64LE(2n ** 53n, 33);
    expect(() => decodeFileMap(huge)).toThrow(CorruptionError);
    const giantChunk = encodeFileMap({
      fileId: hashBytes(Buffer.from('f')),
      sizeBytes: 2 ** 31,
      chunks: [{ id: hashBytes(Buffer.from('c')), length: 2 ** 31 }],
    });
    expect(() => decodeFileMap(giantChunk)).toThrow(/a chunk of 2147483648 bytes/);
  });

  it('a zstd frame is decompressed into the recorded length only: a frame holding more, or a record beyond the format, is corruption', () => {
    const raw = Buffer.alloc(1024 * 1024); // zeros: compresses to a few bytes, declaring 1 MiB
    const compressed = Buffer.from(new FrameCompressor(3).compress(Buffer.from(raw)).bytes);
    const location = { packName: 'crafted', frameOffset: 16, codec: Codec.Zstd };
    expect(unpackFrame(compressed, { ...location, frameRawLength: raw.length }).equals(raw)).toBe(true);
    expect(() => unpackFrame(compressed, { ...location, frameRawLength: 1000 })).toThrow(CorruptionError);
    expect(() => unpackFrame(compressed, { ...location, frameRawLength: 2 ** 40 })).toThrow(/more than the format allows/);
    expect(() => unpackFrame(pseudoRandomBytes(64, 3), { ...location, frameRawLength: 100 })).toThrow(CorruptionError);
  });

  it('a config with values out of range is corrupt (status 8), not a usage error', async () => {
    const { work } = await emptyRepository();
    const path = join(work, '.store/config');
    const valid = JSON.parse(readFileSync(path, 'utf8'));
    for (const damaged of [
      { ...valid, frameTargetBytes: 2 ** 50 },
      { ...valid, chunking: { ...valid.chunking, maxBytes: 1 } },
      { ...valid, compression: { algorithm: 'zstd', level: 99 } },
      { ...valid, packTargetBytes: -1 },
    ]) {
      writeFileSync(path, JSON.stringify(damaged));
      const result = await store(['status', '--json'], { cwd: work });
      expect(result.status, JSON.stringify(damaged)).toBe(8);
      expect(JSON.parse(result.text).error.code).toBe('CORRUPT_CONFIG');
    }
  });
});

describe('typed errors', () => {
  it('errors cross threads as data with code, message, hint and class intact', () => {
    const corrupt = errorFromData(errorData(new CorruptionError('CORRUPT_PACK', 'pack x: frame at 16 does not decompress', { hint: 'run store verify' })));
    expect(corrupt).toBeInstanceOf(CorruptionError);
    expect([corrupt.code, corrupt.message, corrupt.hint, corrupt.exitStatus]).toEqual([
      'CORRUPT_PACK',
      'pack x: frame at 16 does not decompress',
      'run store verify',
      8,
    ]);
    const system = errorFromData(errorData(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' })));
    expect([system.code, system.exitStatus]).toEqual(['IO_ERROR', 1]);
    expect(errorData(Object.assign(new Error('x'), { code: 'EACCES' })).code).toBe('EACCES');
  });

  it('StoreError codes of the checks are the documented ones', () => {
    expect(new StoreError('UNSAFE_PATH', 'x').exitStatus).toBe(1);
    expect(new CorruptionError('CORRUPT_OBJECT', 'x').exitStatus).toBe(8);
  });
});
