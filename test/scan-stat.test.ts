import {
  appendFileSync,
  chmodSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// The compiled module (`npm test` builds first).
import { type DirectoryListing, listDirectory, startListing } from '../dist/core/list-directory.js';
import { callNative, type RawListing } from '../dist/core/native.js';
import { encodeName } from '../dist/core/path-bytes.js';
import { msFromNs, newWalkReport, walkWorkTree } from '../dist/engine/worktree/scanner.js';
import { matchWorkTree } from '../dist/engine/worktree/tracked.js';
import { Repository } from '../dist/repository/repository.js';
import { openStaging } from '../dist/staging/staging-area.js';
import { run, storeOk, temporaryDirectory } from './helpers.js';

/**
 * The scan compares staged nanosecond times with the millisecond numbers of a plain lstat: the
 * conversion must give exactly the number Node computes, or every file would look changed (or none).
 */
describe('scan stat data', () => {
  it('msFromNs gives, for any file, the mtime and ctime numbers a plain lstat reports', async () => {
    const paths = readdirSync('/usr/include')
      .slice(0, 300)
      .map((name) => join('/usr/include', name));
    const directory = mkdtempSync(join(tmpdir(), 'store-scan-stat-'));
    try {
      // Times with nanoseconds that a double of milliseconds cannot hold exactly.
      for (let i = 0; i < 50; i++) {
        const path = join(directory, `f${i}`);
        writeFileSync(path, `${i}`);
        // biome-ignore lint/correctness/noPrecisionLoss: the point is a time a double cannot hold
        utimesSync(path, 1_700_000_000.123456789 + i * 0.000001337, 1_234_567_890.987654321 + i * 0.000777);
        // Every other file gets a time before 1970, whose timespec has negative seconds (utimes in
        // Node takes a negative number as "now"; touch takes it with nanoseconds).
        if (i % 2 === 1) await run('touch', ['-m', '-d', `@-${12_345 + i}.${String(123_456_789 + i * 7919).padStart(9, '0')}`, path], { cwd: directory });
        paths.push(path);
      }
      expect(paths.length).toBeGreaterThan(50);
      expect(paths.filter((path) => lstatSync(path, { bigint: true }).mtimeNs < 0n)).toHaveLength(25);
      for (const path of paths) {
        const exact = lstatSync(path, { bigint: true });
        const plain = lstatSync(path);
        expect(msFromNs(exact.mtimeNs)).toBe(plain.mtimeMs);
        expect(msFromNs(exact.ctimeNs)).toBe(plain.ctimeMs);
        expect(Number(exact.ino)).toBe(plain.ino);
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('listDirectory gives each name as its bytes and the very numbers a plain lstat reports, times before 1970 too', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'store-list-'));
    try {
      const latin1 = Buffer.from('caf\xe9', 'latin1'); // not UTF-8
      writeFileSync(Buffer.concat([Buffer.from(`${directory}/`), latin1]), 'x');
      writeFileSync(join(directory, 'plain'), 'hello');
      mkdirSync(join(directory, 'sub'));
      symlinkSync('plain', join(directory, 'link'));
      await run('touch', ['-m', '-h', '-d', '@-12345.123456789', join(directory, 'link')], { cwd: directory });
      utimesSync(join(directory, 'plain'), 1_700_000_000, 1_234_567_890.987654);
      const listed = listDirectory(directory).entries();
      expect(listed.map((entry) => encodeName(entry.name).toString('hex')).sort()).toEqual(
        readdirSync(directory, { encoding: 'buffer' })
          .map((name) => name.toString('hex'))
          .sort(),
      );
      for (const entry of listed) {
        const plain = lstatSync(Buffer.concat([Buffer.from(`${directory}/`), encodeName(entry.name)]));
        expect(entry.error).toBeUndefined();
        expect(entry.stats).toEqual({ mode: plain.mode, size: plain.size, mtimeMs: plain.mtimeMs, ctimeMs: plain.ctimeMs, ino: plain.ino, dev: plain.dev });
      }
      expect(listed.find((entry) => entry.name === 'link')!.stats!.mtimeMs).toBeLessThan(0);
      expect(() => listDirectory(join(directory, 'plain'))).toThrow(expect.objectContaining({ code: 'ENOTDIR', syscall: 'opendir' }));
      expect(() => listDirectory(join(directory, 'gone'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('listDirectory sorts as trees do, and startListing lists many directories at once with each failure in its place', () => {
    const directory = mkdtempSync(join(tmpdir(), 'store-list-ahead-'));
    try {
      // '.' (0x2e) sorts before '/' (0x2f) and '0' (0x30) after it: the directory a sorts between a.txt and a0.
      for (const name of ['a0', 'a.txt', 'z', '\u00e9']) writeFileSync(join(directory, name), name);
      mkdirSync(join(directory, 'a'));
      writeFileSync(join(directory, 'a', 'inner'), 'i');
      expect(
        listDirectory(directory)
          .entries()
          .map((entry) => entry.name),
      ).toEqual(['a.txt', 'a', 'a0', 'z', '\u00e9']);
      const paths = [directory, join(directory, 'a'), join(directory, 'z'), join(directory, 'gone')];
      const listed = startListing(paths).finish();
      expect(listed).toHaveLength(4);
      expect((listed[0] as DirectoryListing).entries()).toEqual(listDirectory(directory).entries());
      expect((listed[1] as DirectoryListing).entries().map((entry) => [entry.name, entry.stats?.size])).toEqual([['inner', 1]]);
      expect(listed[2]).toEqual(expect.objectContaining({ code: 'ENOTDIR', syscall: 'opendir', path: paths[2] }));
      expect(listed[3]).toEqual(expect.objectContaining({ code: 'ENOENT', syscall: 'opendir', path: paths[3] }));
      // A batch left unfinished is joined and freed when collected; one finished twice is refused.
      startListing(paths);
      const once = startListing([directory]);
      once.finish();
      expect(() => once.finish()).toThrow(/finished once/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('startListing keeps its threads (one a core, named store-list) for every batch after, and lists every batch right whatever order they are finished in', () => {
    const directory = mkdtempSync(join(tmpdir(), 'store-list-threads-'));
    const listingThreads = (): number =>
      readdirSync('/proc/self/task').filter((task) => readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim() === 'store-list').length;
    try {
      const paths = Array.from({ length: 40 }, (_, index) => join(directory, `d${index}`));
      paths.forEach((path, index) => {
        mkdirSync(path);
        for (let file = 0; file <= index; file++) writeFileSync(join(path, `f${file}`), `${index}/${file}`);
      });
      startListing([directory]).finish();
      const threads = listingThreads();
      expect(threads).toBe(Math.min(availableParallelism(), 8));
      // Twenty batches at once, of directories of 1 to 40 files; finished last first; some never finished.
      const batches = Array.from({ length: 20 }, (_, index) => ({
        paths: paths.slice(index, index + 21),
        started: startListing(paths.slice(index, index + 21)),
      }));
      for (let index = 0; index < 5; index++) startListing(paths);
      for (const { paths: listed, started } of batches.reverse()) {
        const listings = started.finish() as DirectoryListing[];
        expect(listings.map((listing) => listing.count)).toEqual(listed.map((path) => Number(path.slice(path.lastIndexOf('d') + 1)) + 1));
        expect(listings.map((listing) => listing.entries()[0]?.stats?.size)).toEqual(listed.map((path) => `${path.slice(path.lastIndexOf('d') + 1)}/0`.length));
      }
      expect(listingThreads()).toBe(threads);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("a listing given back is empty at once, its buffers detached when they were the addon's; given back twice, nothing more happens", () => {
    const directory = mkdtempSync(join(tmpdir(), 'store-release-'));
    try {
      // 500 names: the addon hands their memory over (see HAND_OVER_BYTES); three are copied.
      const big = join(directory, 'big');
      const small = join(directory, 'small');
      mkdirSync(join(big, 'sub'), { recursive: true });
      mkdirSync(join(small, 'sub'), { recursive: true });
      for (let index = 0; index < 500; index++) writeFileSync(join(big, `f${String(index).padStart(3, '0')}`), 'x');
      for (const name of ['a', 'b']) writeFileSync(join(small, name), name);
      const [handedOver, copied, empty] = startListing([big, small, join(small, 'sub')]).finish() as DirectoryListing[];
      const { names } = handedOver!;
      expect(handedOver!.count).toBe(501);
      expect(names.subarray(0, 8).toString('latin1')).toBe('f000f001');
      handedOver!.release();
      expect(handedOver!.count).toBe(0);
      expect(names.length).toBe(0); // detached: the freed memory cannot be read
      expect(names.buffer.byteLength).toBe(0);
      handedOver!.release();
      const copiedNames = copied!.names;
      copied!.release();
      expect(copied!.count).toBe(0);
      expect(copiedNames.toString('latin1')).toBe('absub'); // a copy: nothing of the addon's to free
      // Each says whether a name is a directory, so that a walk of files alone looks for none.
      expect([copied!.holdsDirectories(), empty!.holdsDirectories()]).toEqual([true, false]);
      rmSync(join(big, 'sub'), { recursive: true });
      expect(listDirectory(big).holdsDirectories()).toBe(false);
      expect(listDirectory(small).holdsDirectories()).toBe(true);
      const single = listDirectory(big);
      expect(single.count).toBe(500);
      single.release();
      expect([single.count, single.names.length]).toEqual([0, 0]);
      // The addon frees a listing's memory only with its own two buffers, never with others that would still read it.
      const [raw] = callNative(big, (addon) => addon.finishListing(addon.startListing([encodeName(big)]))) as RawListing[];
      const release = (names: Buffer, fields: Float64Array) => callNative(big, (addon) => addon.releaseListing(names, fields, raw!.memory));
      expect(() => release(Buffer.from(raw!.names), raw!.fields)).toThrow(/not the listing's own/);
      expect(() => release(raw!.names, raw!.fields.subarray(10))).toThrow(/not the listing's own/);
      expect([raw!.names.length, raw!.fields.length]).toEqual([500 * 4, 500 * 10]); // still readable
      release(raw!.names, raw!.fields);
      expect([raw!.names.length, raw!.fields.length]).toEqual([0, 0]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('the walk yields paths in byte order, a directory where its name and a slash sort', () => {
    const directory = mkdtempSync(join(tmpdir(), 'store-walk-order-'));
    try {
      // '.' (0x2e) sorts before '/' (0x2f), and '0' (0x30) after it: a.txt, a/b, a0; U+00E9 after z.
      for (const path of ['a.txt', 'a0', 'z', '\u00e9', 'b-c', 'b/c']) {
        mkdirSync(join(directory, path, '..'), { recursive: true });
        writeFileSync(join(directory, path), path);
      }
      mkdirSync(join(directory, 'a'));
      writeFileSync(join(directory, 'a', 'b'), 'b');
      const report = newWalkReport();
      const paths = [...walkWorkTree(directory, [''], report)].map((file) => file.path);
      expect(paths).toEqual(['a.txt', 'a/b', 'a0', 'b-c', 'b/c', 'z', '\u00e9']);
      expect([...paths].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)))).toEqual(paths);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('a listing answers kinds, names and numbers in place, reusing one numbers object', async () => {
    const directory = temporaryDirectory('store-listing-');
    writeFileSync(join(directory, 'plain'), 'hello');
    mkdirSync(join(directory, 'sub'));
    symlinkSync('plain', join(directory, 'link'));
    await run('mkfifo', [join(directory, 'pipe')], { cwd: directory });
    const listing = listDirectory(directory);
    const names = Array.from({ length: listing.count }, (_, index) => listing.nameAt(index));
    expect(names).toEqual(['link', 'pipe', 'plain', 'sub']);
    expect(names.map((_, index) => listing.names.subarray(listing.nameStart(index), listing.nameEnd(index)).toString())).toEqual(names);
    expect(names.map((_, index) => [listing.isDirectoryAt(index), listing.isFileOrSymlinkAt(index)])).toEqual([
      [false, true],
      [false, false],
      [false, true],
      [true, false],
    ]);
    expect(listing.holds('sub')).toBe(true);
    expect(listing.holds('su')).toBe(false);
    const reused = { mode: 0, size: 0, mtimeMs: 0, ctimeMs: 0, ino: 0, dev: 0 };
    expect(listing.statsAt(2, reused)).toBe(reused);
    expect(reused).toEqual(listing.entries()[2]!.stats);
    expect(reused.size).toBe(5);
  });

  it('holds finds a name by binary search whether it is a file or a directory, where a directory sorts as if a / followed it', async () => {
    const directory = temporaryDirectory('store-holds-');
    for (const name of ['x.txt', 'x-y', 'x0', '.storeignore', 'a', 'z']) writeFileSync(join(directory, name), '');
    for (const name of ['x', '.store', 'b']) mkdirSync(join(directory, name));
    const listing = listDirectory(directory);
    const names = Array.from({ length: listing.count }, (_, index) => listing.nameAt(index));
    expect(names).toEqual(['.store', '.storeignore', 'a', 'b', 'x-y', 'x.txt', 'x', 'x0', 'z']); // '.store/' after '.storeignore'; 'x/' after 'x.txt'
    for (const name of names) expect(listing.holds(name)).toBe(true);
    for (const name of ['', '.stor', 'x.', 'x0x', 'y', 'zz', 'A']) expect(listing.holds(name)).toBe(false);
  });

  it('matching with skipUnchanged passes over exactly the entries whose stat data did not change, and reports the same', async () => {
    const work = temporaryDirectory('store-skip-unchanged-');
    const write = (path: string | Buffer, content: string) => writeFileSync(typeof path === 'string' ? join(work, path) : path, content);
    await storeOk(['init', '-q'], { cwd: work });
    for (const directory of ['a', 'd', 'deep/er/est']) mkdirSync(join(work, directory), { recursive: true });
    for (const path of ['a.txt', 'a/b', 'a0', 'd/changed.txt', 'd/gone.txt', 'd/same.txt', 'e', 'x.sh', 'ignored.txt', 'deep/er/est/f', 'z\u00e9'])
      write(path, path);
    const latin1Directory = Buffer.concat([Buffer.from(`${work}/`), Buffer.from('caf\xe9', 'latin1')]); // not UTF-8
    mkdirSync(latin1Directory);
    write(Buffer.concat([latin1Directory, Buffer.from('/n\xe4me', 'latin1')]), 'latin1');
    symlinkSync('a.txt', join(work, 'link'));
    // Older than the staging area, so that stat data alone can tell them clean (not racily clean).
    const past = Date.now() / 1000 - 3600;
    const age = (path: string | Buffer): void => {
      for (const entry of readdirSync(path, { withFileTypes: true, encoding: 'buffer' })) {
        const child = Buffer.concat([Buffer.from(path), Buffer.from('/'), entry.name]);
        if (entry.name.toString() === '.store') continue;
        if (entry.isDirectory()) age(child);
        lutimesSync(child, past, past);
      }
    };
    age(work);
    await storeOk(['add', '-A', '-q'], { cwd: work });
    appendFileSync(join(work, 'd/changed.txt'), 'more');
    unlinkSync(join(work, 'd/gone.txt'));
    write('d/new.txt', 'new');
    rmSync(join(work, 'e'));
    mkdirSync(join(work, 'e'));
    write('e/inner', 'inner');
    chmodSync(join(work, 'x.sh'), 0o755);
    write('.storeignore', 'ignored.txt\n');

    const repo = Repository.open({ repoPath: work });
    try {
      const staging = openStaging(repo.layout.staging);
      const matched = (skipping: boolean, scopes = ['']) => {
        const report = newWalkReport();
        const skipped: number[] = [];
        const runs: number[] = [];
        const options = skipping
          ? {
              skipUnchanged: (first: number, count: number) => {
                runs.push(count);
                for (let index = first; index < first + count; index++) skipped.push(index);
              },
            }
          : {};
        const matches = [...matchWorkTree(repo, staging, scopes, report, options)].map(({ index, file }) => ({
          index,
          path: file?.path ?? staging.pathAt(index),
          unchanged: index >= 0 && file !== undefined && staging.isUnchangedAt(index, file.kind, file.stats),
        }));
        return { matches, report, skipped, runs };
      };
      const plain = matched(false);
      const skipping = matched(true);
      expect(skipping.skipped).toEqual(plain.matches.filter((match) => match.unchanged).map((match) => match.index));
      // Runs of unchanged files are passed over at once (ignored.txt and link, one after another in the root).
      expect(skipping.runs.some((count) => count > 1)).toBe(true);
      expect(skipping.report).toEqual(plain.report);
      expect(skipping.matches).toEqual(plain.matches.filter((match) => !match.unchanged));
      expect(skipping.matches.map((match) => [match.path, match.index >= 0])).toEqual([
        ['.storeignore', false],
        ['d/changed.txt', true],
        ['d/gone.txt', true],
        ['d/new.txt', false],
        ['e', true],
        ['e/inner', false],
        ['x.sh', true],
      ]);
      // Named paths: passed over only in directories whose files are all in scope (not the root's a.txt),
      // and a file out of scope is neither matched nor passed over as unchanged.
      const scopes = ['d', 'a.txt', 'deep/er'];
      const scopedPlain = matched(false, scopes);
      const scopedSkipping = matched(true, scopes);
      expect(scopedSkipping.report).toEqual(scopedPlain.report);
      expect(scopedSkipping.skipped.map((index) => staging.pathAt(index))).toEqual(['d/same.txt', 'deep/er/est/f']);
      expect(scopedSkipping.matches).toEqual(scopedPlain.matches.filter((match) => !scopedSkipping.skipped.includes(match.index)));
      expect(scopedPlain.matches.filter((match) => match.unchanged).map((match) => match.path)).toEqual(['a.txt', 'd/same.txt', 'deep/er/est/f']);
      // Passed over in place: the root's files, a symlink, a file now ignored, names that are not UTF-8, deep paths.
      expect(plain.matches.filter((match) => match.unchanged).map((match) => match.path)).toEqual([
        'a.txt',
        'a/b',
        'a0',
        'caf\udce9/n\udce4me',
        'd/same.txt',
        'deep/er/est/f',
        'ignored.txt',
        'link',
        'z\u00e9',
      ]);
    } finally {
      repo.close();
    }
  });

  it('times a microsecond apart stay apart', () => {
    const base = 1_763_700_000_123_456_789n;
    expect(msFromNs(base + 1000n)).not.toBe(msFromNs(base));
    // biome-ignore lint/correctness/noPrecisionLoss: the very double Node computes for this time
    expect(msFromNs(base)).toBe(1_763_700_000_123.456789);
  });
});
