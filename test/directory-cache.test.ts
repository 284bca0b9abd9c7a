import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
// The compiled modules (`npm test` builds first).
import { knownNamesOf, listDirectory } from '../dist/core/list-directory.js';
import { DirectoryCache } from '../dist/engine/worktree/directory-cache.js';
import { checkedStampRecord, storeJson, storeOk, temporaryDirectory } from './helpers.js';

/** Longer than the racy slack for nanosecond file systems (mtimeSlackNs: 50 ms): a directory changed before it is recorded. */
const SETTLE_MS = 120;

/** Known names as listDirectory takes them: `self` then each name and a NUL. */
function known(self: Float64Array, names: string[]): Buffer {
  const head = Buffer.alloc(self.length * 8);
  self.forEach((value, field) => head.writeDoubleLE(value, field * 8));
  return Buffer.concat([head, ...names.map((name) => Buffer.from(`${name}\0`))]);
}

const namesOf = (listing: ReturnType<typeof listDirectory>): string[] => Array.from({ length: listing.count }, (_, index) => listing.nameAt(index));

describe('known names (git untracked cache)', () => {
  it('listDirectory stats the known names without reading the directory while its own stat is the one they were seen with', () => {
    const directory = temporaryDirectory('store-known-');
    for (const name of ['b', 'a', 'c']) writeFileSync(join(directory, name), name);
    mkdirSync(join(directory, 'sub'));
    const first = listDirectory(directory);
    expect(first.fromKnown).toBe(false);
    expect(namesOf(first)).toEqual(['a', 'b', 'c', 'sub']);
    const stat = statSync(directory, { bigint: true });
    expect([...first.self]).toEqual([
      Number(stat.ino),
      Number(stat.dev),
      Number(stat.mtimeNs / 1_000_000_000n),
      Number(stat.mtimeNs % 1_000_000_000n),
      Number(stat.ctimeNs / 1_000_000_000n),
      Number(stat.ctimeNs % 1_000_000_000n),
    ]);

    // The same names: the same listing, numbers and all, served from them.
    const again = listDirectory(directory, knownNamesOf(first));
    expect(again.fromKnown).toBe(true);
    expect(again.entries()).toEqual(first.entries());
    // Trusted: a name left out is not listed (so the cache must only ever hold what a directory held).
    const partial = listDirectory(directory, known(first.self, ['a', 'c']));
    expect(partial.fromKnown).toBe(true);
    expect(namesOf(partial)).toEqual(['a', 'c']);
    // Names out of order are sorted as a read directory's are.
    expect(namesOf(listDirectory(directory, known(first.self, ['sub', 'c', 'a'])))).toEqual(['a', 'c', 'sub']);
  });

  it('orders a directory as its name and a slash, which only its stat tells, known names or read', () => {
    const directory = temporaryDirectory('store-known-order-');
    // '-' (0x2d) sorts before '/' (0x2f): the directory `a` (as a/) comes after the file `a-b`, `b` before `b-c`.
    mkdirSync(join(directory, 'a'));
    writeFileSync(join(directory, 'a-b'), 'x');
    writeFileSync(join(directory, 'b'), 'y');
    writeFileSync(join(directory, 'b-c'), 'z');
    const read = listDirectory(directory);
    expect(namesOf(read)).toEqual(['a-b', 'a', 'b', 'b-c']);
    // In byte order, which is not the key order here: served from the names all the same, and sorted.
    const fromKnown = listDirectory(directory, known(read.self, ['a', 'a-b', 'b', 'b-c']));
    expect(fromKnown.fromKnown).toBe(true);
    expect(fromKnown.entries()).toEqual(read.entries());
    expect(listDirectory(directory, knownNamesOf(read)).entries()).toEqual(read.entries());
  });

  it('reads the directory when a known name comes twice (no directory holds a name twice)', () => {
    const directory = temporaryDirectory('store-known-twice-');
    for (const name of ['a', 'b']) writeFileSync(join(directory, name), name);
    const read = listDirectory(directory);
    const twice = listDirectory(directory, known(read.self, ['a', 'a', 'b']));
    expect(twice.fromKnown).toBe(false);
    expect(namesOf(twice)).toEqual(['a', 'b']);
  });

  it('reads the directory when its stat moved, a known name is gone, or the known names are malformed', () => {
    const directory = temporaryDirectory('store-known-moved-');
    for (const name of ['a', 'b']) writeFileSync(join(directory, name), name);
    const first = listDirectory(directory);
    writeFileSync(join(directory, 'new'), 'new');
    const moved = listDirectory(directory, knownNamesOf(first));
    expect(moved.fromKnown).toBe(false);
    expect(namesOf(moved)).toEqual(['a', 'b', 'new']);

    const now = listDirectory(directory);
    const gone = listDirectory(directory, known(now.self, ['a', 'ghost']));
    expect(gone.fromKnown).toBe(false);
    expect(namesOf(gone)).toEqual(['a', 'b', 'new']);
    const malformedNames = [['a', ''], ['a/b'], ['.'], ['..']];
    for (const malformed of [
      Buffer.alloc(10),
      Buffer.concat([known(now.self, []), Buffer.from('unterminated')]),
      ...malformedNames.map((names) => known(now.self, names)),
    ]) {
      const listing = listDirectory(directory, malformed);
      expect(listing.fromKnown).toBe(false);
      expect(namesOf(listing)).toEqual(['a', 'b', 'new']);
    }
  });
});

describe('the directory cache', () => {
  it('is written by a walk of the whole tree, served to the next one, and never hides a file made, removed or renamed since', async () => {
    const work = temporaryDirectory('store-dircache-');
    await storeOk(['init', '-q'], { cwd: work });
    mkdirSync(join(work, 'd/deep'), { recursive: true });
    for (const path of ['top.txt', 'd/one.txt', 'd/two.txt', 'd/deep/three.txt']) writeFileSync(join(work, path), path);
    await storeOk(['add', '-A', '-q'], { cwd: work });
    await storeOk(['commit', '-q', '-m', 'first'], { cwd: work });
    const cache = join(work, '.store/directory-cache');
    await sleep(SETTLE_MS);
    await storeOk(['status'], { cwd: work });
    const written = readFileSync(cache);
    expect(written.subarray(0, 8).toString('latin1')).toBe('STDIRC\0\0');
    expect(written.readUInt32LE(written.length - 36)).toBe(3); // the root, d and d/deep
    // Nothing changed: served, not written again.
    const before = statSync(cache, { bigint: true });
    const clean = await storeJson(['status'], { cwd: work });
    expect(clean.untracked).toEqual([]);
    expect(clean.unstaged).toEqual([]);
    expect(statSync(cache, { bigint: true }).mtimeNs).toBe(before.mtimeNs);

    // Made, removed and renamed within known directories: each one seen.
    writeFileSync(join(work, 'd/deep/new.txt'), 'new');
    rmSync(join(work, 'd/one.txt'));
    renameSync(join(work, 'd/two.txt'), join(work, 'd/moved.txt'));
    writeFileSync(join(work, 'top.txt'), 'changed in place');
    const changed = await storeJson(['status'], { cwd: work });
    expect(changed.untracked).toEqual(['d/deep/new.txt', 'd/moved.txt']);
    expect(changed.unstaged).toEqual([
      { path: 'd/one.txt', change: 'deleted' },
      { path: 'd/two.txt', change: 'deleted' },
      { path: 'top.txt', change: 'modified' },
    ]);
    // A directory made, then a file in it: the root moved, the new directory is read.
    mkdirSync(join(work, 'e'));
    writeFileSync(join(work, 'e/f.txt'), 'f');
    expect((await storeJson(['status'], { cwd: work })).untracked).toEqual(['d/deep/new.txt', 'd/moved.txt', 'e/']);
    await sleep(SETTLE_MS);
    await storeOk(['status'], { cwd: work }); // records the directories as they are now
    expect(readFileSync(cache).readUInt32LE(readFileSync(cache).length - 36)).toBe(4);
    writeFileSync(join(work, 'e/g.txt'), 'g');
    expect((await storeJson(['status', '--untracked-files=all'], { cwd: work })).untracked).toEqual(['d/deep/new.txt', 'd/moved.txt', 'e/f.txt', 'e/g.txt']);
    await storeOk(['add', '-A', '-q'], { cwd: work });
    const staged = await storeJson(['status'], { cwd: work });
    expect(staged.untracked).toEqual([]);
    expect(staged.staged.map((change: { path: string }) => change.path)).toEqual([
      'd/deep/new.txt',
      'd/moved.txt',
      'd/one.txt',
      'd/two.txt',
      'e/f.txt',
      'e/g.txt',
      'top.txt',
    ]);
  });

  it('lists the recorded directories ahead of a walk, which sees each one as it is now: gone, a file, grown, or in a batch far on', async () => {
    const work = temporaryDirectory('store-dircache-ahead-');
    await storeOk(['init', '-q'], { cwd: work });
    // More directories than one batch listed ahead (16), some deep.
    const files = ['a/x', 'b/c/y', 'b/d/z', 'k/w', ...Array.from({ length: 40 }, (_, i) => `many/d${String(i).padStart(2, '0')}/f`)];
    for (const path of files) {
      mkdirSync(join(work, path, '..'), { recursive: true });
      writeFileSync(join(work, path), path);
    }
    await storeOk(['add', '-A', '-q'], { cwd: work });
    await storeOk(['commit', '-q', '-m', 'first'], { cwd: work });
    await sleep(SETTLE_MS);
    await storeOk(['status'], { cwd: work }); // records every directory
    const cache = readFileSync(join(work, '.store/directory-cache'));
    expect(cache.readUInt32LE(cache.length - 36)).toBe(47); // the root, a, b, b/c, b/d, k, many and its 40
    expect((await storeJson(['status'], { cwd: work })).unstaged).toEqual([]);

    rmSync(join(work, 'b/c'), { recursive: true }); // recorded, gone
    rmSync(join(work, 'k'), { recursive: true });
    writeFileSync(join(work, 'k'), 'a file where a directory was');
    mkdirSync(join(work, 'b/d/new'));
    writeFileSync(join(work, 'b/d/new/n'), 'n'); // a directory the cache never held, under one it did
    writeFileSync(join(work, 'many/d39/f'), 'changed, in the last batch');
    rmSync(join(work, 'many/d20'), { recursive: true });
    const status = await storeJson(['status', '--untracked-files=all'], { cwd: work });
    expect(status.untracked).toEqual(['b/d/new/n', 'k']);
    expect(status.unstaged).toEqual([
      { path: 'b/c/y', change: 'deleted' },
      { path: 'k/w', change: 'deleted' },
      { path: 'many/d20/f', change: 'deleted' },
      { path: 'many/d39/f', change: 'modified' },
    ]);
    await storeOk(['commit', '-A', '-q', '-m', 'second'], { cwd: work });
    const after = await storeJson(['status', '--untracked-files=all'], { cwd: work });
    expect([after.untracked, after.unstaged, after.staged]).toEqual([[], [], []]);
    const out = temporaryDirectory('store-dircache-ahead-out-');
    await storeOk(['checkout', '-q', '-o', out, 'HEAD'], { cwd: work });
    expect(readFileSync(join(out, 'many/d39/f'), 'utf8')).toBe('changed, in the last batch');
    expect(readFileSync(join(out, 'k'), 'utf8')).toBe('a file where a directory was');
    expect(existsSync(join(out, 'b/c'))).toBe(false);
  });

  it('finds every directory a walk wrote in its own order, which is not the byte order of the paths', async () => {
    const work = temporaryDirectory('store-dircache-order-');
    await storeOk(['init', '-q'], { cwd: work });
    // The walk comes to `a-b/` and `a.b/` before `a/` ('-' and '.' sort before '/'); as paths, `a` comes first.
    for (const directory of ['a', 'a-b', 'a.b', 'a/z']) {
      mkdirSync(join(work, directory));
      writeFileSync(join(work, directory, 'f'), directory);
    }
    await sleep(SETTLE_MS);
    await storeOk(['status'], { cwd: work });
    const layout = {
      directoryCache: join(work, '.store/directory-cache'),
      directoryCacheChecked: join(work, '.store/directory-cache-checked'),
      fileMode: 0o600,
    };
    const cache = new DirectoryCache(layout, false);
    for (const directory of ['', 'a', 'a-b', 'a.b', 'a/z'])
      expect(cache.knownFor(directory), directory).toEqual(knownNamesOf(listDirectory(join(work, directory))));
    expect(cache.recordedDirectories()).toEqual(['', 'a', 'a-b', 'a.b', 'a/z']);
  });

  it('is trusted while a directory is unchanged, ignored when damaged, and records no directory changed too recently to tell', async () => {
    const work = temporaryDirectory('store-dircache-trust-');
    await storeOk(['init', '-q'], { cwd: work });
    mkdirSync(join(work, 'd'));
    for (const path of ['d/a', 'd/b']) writeFileSync(join(work, path), path);
    await sleep(SETTLE_MS);
    const layout = {
      directoryCache: join(work, '.store/directory-cache'),
      directoryCacheChecked: join(work, '.store/directory-cache-checked'),
      fileMode: 0o600,
    };
    // A cache written as a walk of the whole tree would, but with `d/b` left out of d's names.
    const writer = new DirectoryCache(layout, true);
    writer.listed('', listDirectory(work));
    const d = listDirectory(join(work, 'd'));
    writer.listed('d', listDirectory(join(work, 'd'), known(d.self, ['a'])));
    writer.finish();
    expect(new DirectoryCache(layout, false).knownFor('d')).toEqual(known(d.self, ['a']));
    expect((await storeJson(['status', '--untracked-files=all'], { cwd: work })).untracked).toEqual(['d/a']); // so it is used
    // That status checked the file whole and recorded it so (core/checked-stamp.ts).
    const checkedCache = checkedStampRecord(statSync(layout.directoryCache, { bigint: true }), readFileSync(layout.directoryCache));
    expect(readFileSync(layout.directoryCacheChecked).equals(checkedCache)).toBe(true);
    // One byte changed: its ctime moved, so the checksum is checked, fails, and the cache is ignored, and written afresh.
    const bytes = readFileSync(layout.directoryCache);
    bytes[20]! ^= 1;
    writeFileSync(layout.directoryCache, bytes);
    expect(new DirectoryCache(layout, false).knownFor('d')).toBeUndefined();
    // A record that matches the damaged file (forged here) is trusted: the checksum is not checked.
    writeFileSync(layout.directoryCacheChecked, checkedStampRecord(statSync(layout.directoryCache, { bigint: true }), bytes));
    expect(new DirectoryCache(layout, false).knownFor('d')).toBeDefined();
    rmSync(layout.directoryCacheChecked);
    expect((await storeJson(['status', '--untracked-files=all'], { cwd: work })).untracked).toEqual(['d/a', 'd/b']);
    expect(new DirectoryCache(layout, false).knownFor('d')).toEqual(knownNamesOf(listDirectory(join(work, 'd'))));

    // Changed just now: not recorded (a change in the same timestamp tick would leave its times as they are).
    writeFileSync(join(work, 'd/c'), 'c');
    const fresh = new DirectoryCache(layout, true);
    fresh.listed('', listDirectory(work));
    fresh.listed('d', listDirectory(join(work, 'd')));
    fresh.finish();
    expect(new DirectoryCache(layout, false).knownFor('')).toBeDefined();
    expect(new DirectoryCache(layout, false).knownFor('d')).toBeUndefined();
    // A walk that does not cover the whole tree writes nothing.
    rmSync(layout.directoryCache);
    const partialWalk = new DirectoryCache(layout, false);
    partialWalk.listed('', listDirectory(work));
    partialWalk.finish();
    expect(existsSync(layout.directoryCache)).toBe(false);
    await storeOk(['add', 'd', '-q'], { cwd: work });
    expect(existsSync(layout.directoryCache)).toBe(false);
  });
});
