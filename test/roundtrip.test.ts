import { chmodSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blake3 } from '@napi-rs/blake-hash';
import { beforeAll, describe, expect, it } from 'vitest';
import { packNamesOnDisk } from '../src/store/pack-store.js';
import { PackReader } from '../src/store/pack-reader.js';
import { pseudoRandomBytes, run, STORE_BIN, store, storeJson, storeOk, temporaryDirectory } from './helpers.js';
import { Codec } from '../src/core/vocabulary.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('add, commit and get round trips, byte-exact', () => {
  let work: string;
  const files: Record<string, Buffer> = {
    'empty.txt': Buffer.alloc(0),
    'one-byte.bin': Buffer.from([0x42]),
    'exactly-min-chunk.bin': pseudoRandomBytes(16 * KiB, 11),
    'exactly-max-chunk.bin': pseudoRandomBytes(256 * KiB, 12),
    'text/readme.md': Buffer.from('# hello\n'.repeat(5000)),
    'ünïcødé/日本語 ファイル.txt': Buffer.from('unicode names survive\n'),
    'ünïcødé/emoji-😀.txt': Buffer.from('😀'),
    'large/sixty-four-mib.bin': pseudoRandomBytes(64 * MiB, 13),
  };

  beforeAll(async () => {
    work = temporaryDirectory();
    for (const [path, bytes] of Object.entries(files)) {
      mkdirSync(join(work, path, '..'), { recursive: true });
      writeFileSync(join(work, path), bytes);
    }
    writeFileSync(join(work, 'run.sh'), '#!/bin/sh\necho hi\n');
    chmodSync(join(work, 'run.sh'), 0o755);
    symlinkSync('text/readme.md', join(work, 'link-to-readme'));
    symlinkSync('/nonexistent/target', join(work, 'dangling-link'));
    await storeOk(['init'], { cwd: work });
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'first'], { cwd: work });
  });

  it('returns every file byte-exact by path, to stdout and with -o', async () => {
    for (const [path, bytes] of Object.entries(files)) {
      const out = (await storeOk(['get', path], { cwd: work })).stdout;
      expect(out.length, path).toBe(bytes.length);
      expect(out.equals(bytes), path).toBe(true);
    }
    const destination = join(temporaryDirectory(), 'restored-64.bin');
    await storeOk(['get', 'large/sixty-four-mib.bin', '-o', destination], { cwd: work });
    expect(readFileSync(destination).equals(files['large/sixty-four-mib.bin']!)).toBe(true);
  });

  it('finds a file by its b3sum id and by an 8-digit prefix', async () => {
    const bytes = files['exactly-max-chunk.bin']!;
    const id = blake3(bytes).toString('hex');
    expect((await storeOk(['get', id], { cwd: work })).stdout.equals(bytes)).toBe(true);
    expect((await storeOk(['get', id.slice(0, 8)], { cwd: work })).stdout.equals(bytes)).toBe(true);
    const empty = blake3(Buffer.alloc(0)).toString('hex');
    expect(empty).toBe('af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
    expect((await storeOk(['get', empty], { cwd: work })).stdout.length).toBe(0);
  });

  it('stores symlinks as links (the target is the content) and records the executable bit', async () => {
    expect((await storeOk(['get', 'link-to-readme'], { cwd: work })).text).toBe('text/readme.md');
    expect((await storeOk(['get', 'dangling-link'], { cwd: work })).text).toBe('/nonexistent/target');
    const status = await storeJson<{ staged: unknown[]; unstaged: unknown[]; untracked: string[] }>(['status'], { cwd: work });
    expect(status).toMatchObject({ staged: [], unstaged: [], untracked: [] });
    chmodSync(join(work, 'run.sh'), 0o644);
    const after = await storeJson<{ unstaged: { path: string; change: string }[] }>(['status'], { cwd: work });
    expect(after.unstaged).toEqual([{ path: 'run.sh', change: 'typechange' }]);
    chmodSync(join(work, 'run.sh'), 0o755);
  });

  it('reads only a byte range with --range (inclusive offsets)', async () => {
    const bytes = files['large/sixty-four-mib.bin']!;
    const start = 5 * MiB + 123;
    const end = 9 * MiB + 7;
    const out = (await storeOk(['get', 'large/sixty-four-mib.bin', '--range', `${start}-${end}`], { cwd: work })).stdout;
    expect(out.equals(bytes.subarray(start, end + 1))).toBe(true);
    // A range of 16 MiB or more written with -o goes around the page cache; it must end where the range does.
    const destination = join(temporaryDirectory(), 'range.bin');
    await storeOk(['get', 'large/sixty-four-mib.bin', '--range', `${start}-${start + 20 * MiB + 4}`, '-o', destination], { cwd: work });
    expect(readFileSync(destination).equals(bytes.subarray(start, start + 20 * MiB + 5))).toBe(true);
    const tail = (await storeOk(['get', 'one-byte.bin', '--range', '0-'], { cwd: work })).stdout;
    expect(tail.equals(Buffer.from([0x42]))).toBe(true);
    expect((await store(['get', 'one-byte.bin', '--range', '5-9'], { cwd: work })).status).toBe(2);
  });

  it('gets older versions with --at', async () => {
    writeFileSync(join(work, 'text/readme.md'), 'changed\n');
    await storeOk(['add', 'text'], { cwd: work });
    await storeOk(['commit', '-m', 'second'], { cwd: work });
    expect((await storeOk(['get', 'text/readme.md'], { cwd: work })).text).toBe('changed\n');
    expect((await storeOk(['get', 'text/readme.md', '--at', 'HEAD~1'], { cwd: work })).stdout.equals(files['text/readme.md']!)).toBe(true);
    const log = await storeJson<{ commitId: string; message: string }[]>(['log'], { cwd: work });
    expect(log.map((entry) => entry.message)).toEqual(['second', 'first']);
    expect((await storeOk(['get', 'text/readme.md', '--at', log[1]!.commitId.slice(0, 10)], { cwd: work })).stdout.length).toBe(
      files['text/readme.md']!.length,
    );
  });
});

describe('restores on one core', () => {
  it('checkout -o and switch write every file when the CPU set holds one core (no worker threads)', async () => {
    const work = temporaryDirectory();
    await storeOk(['init', '-q'], { cwd: work });
    const files = new Map<string, Buffer>();
    for (let i = 0; i < 150; i++) files.set(`d${i % 3}/f${String(i).padStart(3, '0')}.txt`, pseudoRandomBytes(200 + i, i));
    for (const [path, bytes] of files) {
      mkdirSync(join(work, path, '..'), { recursive: true });
      writeFileSync(join(work, path), bytes);
    }
    await storeOk(['commit', '-A', '-q', '-m', 'all'], { cwd: work });
    const out = join(temporaryDirectory(), 'out');
    // taskset: Node's availableParallelism() follows the CPU set, so the restore runs on one thread.
    const checkout = await run('taskset', ['-c', '0', process.execPath, STORE_BIN, 'checkout', '--json', '-o', out, 'HEAD'], { cwd: work });
    expect(checkout.stderr).toBe('');
    expect(checkout.status).toBe(0);
    for (const [path, bytes] of files) expect(readFileSync(join(out, path)).equals(bytes), path).toBe(true);
    expect(readdirSync(out, { recursive: true }).filter((name) => String(name).endsWith('.txt'))).toHaveLength(files.size);
    // Every file changed in a second commit; switching back to the first rewrites them all.
    for (const path of files.keys()) writeFileSync(join(work, path), 'second version\n');
    await storeOk(['commit', '-A', '-q', '-m', 'second'], { cwd: work });
    const back = await run('taskset', ['-c', '0', process.execPath, STORE_BIN, 'switch', '-q', '--detach', 'HEAD~1'], { cwd: work });
    expect(back.stderr).toBe('');
    expect(back.status).toBe(0);
    for (const [path, bytes] of files) expect(readFileSync(join(work, path)).equals(bytes), path).toBe(true);
  });
});

describe('incremental add', () => {
  it('re-adding an unchanged tree reads no file content; a changed file is read alone', async () => {
    const work = temporaryDirectory();
    const anHourAgo = new Date(Date.now() - 3600_000);
    for (let i = 0; i < 50; i++) {
      const path = join(work, `dir${i % 5}`, `file${i}.bin`);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, pseudoRandomBytes(10 * KiB + i, 100 + i));
      utimesSync(path, anHourAgo, anHourAgo);
    }
    await storeOk(['init'], { cwd: work });
    const first = await storeJson<{ bytesRead: number; added: string[] }>(['add', '-A'], { cwd: work });
    expect(first.added).toHaveLength(50);
    const again = await storeJson<{ bytesRead: number; unchangedCount: number; added: string[]; modified: string[] }>(['add', '-A'], { cwd: work });
    expect(again).toMatchObject({ bytesRead: 0, unchangedCount: 50, added: [], modified: [] });
    writeFileSync(join(work, 'dir3/file3.bin'), 'new content');
    const third = await storeJson<{ bytesRead: number; modified: string[]; unchangedCount: number }>(['add', '-A'], { cwd: work });
    expect(third).toMatchObject({ bytesRead: 11, modified: ['dir3/file3.bin'], unchangedCount: 49 });
  });
});

describe('deduplication, measured in stored bytes', () => {
  it('stores two copies of a 20 MiB file once', async () => {
    const work = temporaryDirectory();
    const bytes = pseudoRandomBytes(20 * MiB, 21);
    writeFileSync(join(work, 'a.bin'), bytes);
    writeFileSync(join(work, 'b.bin'), bytes);
    await storeOk(['init'], { cwd: work });
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'two copies'], { cwd: work });
    const stats = await storeJson<{ uniqueChunkBytes: number; storedBytes: number; deduplicationRatio: number }>(['stats'], { cwd: work });
    expect(stats.uniqueChunkBytes).toBe(20 * MiB);
    expect(stats.storedBytes).toBeGreaterThan(20 * MiB);
    expect(stats.storedBytes).toBeLessThan(20 * MiB + 256 * KiB); // headers, footers, trees, file maps
    expect(stats.deduplicationRatio).toBeCloseTo(2, 5);
  });

  it('inserting 100 bytes at the start of a 20 MiB file adds only a few chunks', async () => {
    const work = temporaryDirectory();
    const bytes = pseudoRandomBytes(20 * MiB, 22);
    writeFileSync(join(work, 'big.bin'), bytes);
    await storeOk(['init'], { cwd: work });
    await storeOk(['add', '-A'], { cwd: work });
    await storeOk(['commit', '-m', 'v1'], { cwd: work });
    const before = await storeJson<{ chunkCount: number; storedBytes: number }>(['stats'], { cwd: work });
    const edited = Buffer.concat([pseudoRandomBytes(100, 99), bytes]);
    writeFileSync(join(work, 'big.bin'), edited);
    const added = await storeJson<{ newChunkCount: number; modified: string[] }>(['add', '-A'], { cwd: work });
    expect(added.modified).toEqual(['big.bin']);
    expect(added.newChunkCount).toBeGreaterThanOrEqual(1);
    expect(added.newChunkCount).toBeLessThanOrEqual(3);
    await storeOk(['commit', '-m', 'v2'], { cwd: work });
    const after = await storeJson<{ chunkCount: number; storedBytes: number }>(['stats'], { cwd: work });
    expect(after.chunkCount - before.chunkCount).toBe(added.newChunkCount);
    expect(after.storedBytes - before.storedBytes).toBeLessThan(3 * 256 * KiB + 64 * KiB);
    expect((await storeOk(['get', 'big.bin'], { cwd: work })).stdout.equals(edited)).toBe(true);
    expect((await storeOk(['get', 'big.bin', '--at', 'HEAD~1'], { cwd: work })).stdout.equals(bytes)).toBe(true);
  });

  it('gives identical content identical tree ids, in different repositories', async () => {
    const treeIds = await Promise.all(
      [1, 2].map(async () => {
        const work = temporaryDirectory();
        mkdirSync(join(work, 'd/e'), { recursive: true });
        writeFileSync(join(work, 'd/e/f.txt'), 'same\n');
        writeFileSync(join(work, 'top.bin'), pseudoRandomBytes(300 * KiB, 5));
        await storeOk(['init'], { cwd: work });
        await storeOk(['add', '-A'], { cwd: work });
        return (await storeJson<{ treeId: string }>(['commit', '-m', `repo ${work}`], { cwd: work })).treeId;
      }),
    );
    expect(treeIds[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(treeIds[0]).toBe(treeIds[1]);
  });
});

describe('parallel ingest', () => {
  it('batches small files to worker threads with --jobs 3: byte-exact, and identical files in one batch stored once', async () => {
    const work = temporaryDirectory();
    const same = pseudoRandomBytes(300 * KiB, 501);
    const files = new Map<string, Buffer>();
    for (let i = 0; i < 200; i++) files.set(`many/f${String(i).padStart(3, '0')}.bin`, i % 50 === 0 ? same : pseudoRandomBytes(40 * KiB + i, 600 + i));
    files.set('large.bin', pseudoRandomBytes(12 * MiB, 700));
    for (const [path, bytes] of files) {
      mkdirSync(join(work, path, '..'), { recursive: true });
      writeFileSync(join(work, path), bytes);
    }
    await storeOk(['init'], { cwd: work });
    const result = await storeJson<{ strategy: { workload: string; batchSmallFiles: boolean; compressionThreads: number }; added: string[] }>(
      ['add', '-A', '--jobs', '3'],
      { cwd: work },
    );
    expect(result.strategy).toMatchObject({ workload: 'ManySmallFiles', batchSmallFiles: true, compressionThreads: 3 });
    expect(result.added).toHaveLength(201);
    await storeOk(['commit', '-m', 'parallel'], { cwd: work });
    const sample = [...files].filter(([path], i) => i % 25 === 0 || path === 'large.bin');
    for (const [path, bytes] of sample) expect((await storeOk(['get', path], { cwd: work })).stdout.equals(bytes), path).toBe(true);
    const stats = await storeJson<{ uniqueChunkBytes: number }>(['stats'], { cwd: work });
    const distinct = [...new Set([...files.values()])].reduce((sum, bytes) => sum + bytes.length, 0);
    expect(stats.uniqueChunkBytes).toBe(distinct); // the four copies of `same` are stored once
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
  });

  it('reports its class, strategy and phase timings with --json', async () => {
    const work = temporaryDirectory();
    writeFileSync(join(work, 'one.bin'), pseudoRandomBytes(9 * MiB, 9));
    await storeOk(['init'], { cwd: work });
    const result = await storeJson<{
      strategy: { workload: string; compressionThreads: number };
      profile: { large: { count: number } };
      timingsMs: Record<string, number>;
    }>(['add', '-A', '--jobs', '2'], { cwd: work });
    expect(result.strategy).toMatchObject({ workload: 'FewLargeFiles', compressionThreads: 2 });
    expect(Object.keys(result.timingsMs).sort()).toEqual(['ingestMs', 'scanMs', 'sealMs', 'stagingMs']);
    expect(result.timingsMs.ingestMs).toBeGreaterThan(0);
  });
});

describe('frames', () => {
  /** Text that zstd shrinks, but not to nothing: numbered lines with pseudo-random words. */
  function compressibleText(bytes: number): Buffer {
    const words = pseudoRandomBytes(bytes / 8, 77);
    const lines: string[] = [];
    let length = 0;
    for (let i = 0; length < bytes; i++) {
      const line = `${i} ${words.toString('hex', (i * 6) % (words.length - 6), ((i * 6) % (words.length - 6)) + 6)} value\n`;
      lines.push(line);
      length += line.length;
    }
    return Buffer.from(lines.join('')).subarray(0, bytes);
  }

  it('follow the frame size the repository was initialised with (2 MiB now, 1 MiB before), compressed and byte-exact', async () => {
    const content = compressibleText(24 * MiB);
    for (const frameTargetBytes of [2 * MiB, 1 * MiB]) {
      const work = temporaryDirectory();
      writeFileSync(join(work, 'big.txt'), content);
      await storeOk(['init', '-q'], { cwd: work });
      const configPath = join(work, '.store', 'config');
      const config = JSON.parse(readFileSync(configPath, 'utf8')) as { frameTargetBytes: number };
      if (frameTargetBytes === 2 * MiB)
        expect(config.frameTargetBytes).toBe(2 * MiB); // the default
      else writeFileSync(configPath, JSON.stringify({ ...config, frameTargetBytes }));
      await storeOk(['add', '-A', '-q', '--jobs', '2'], { cwd: work });
      await storeOk(['commit', '-q', '-m', 'frames'], { cwd: work });

      const packs = join(work, '.store', 'packs');
      const reader = new PackReader(packs);
      const frames = packNamesOnDisk(packs).flatMap((name) => reader.readFooter(name).frames);
      reader.close();
      const rawLengths = frames.map((frame) => frame.rawLength);
      // A frame closes at the first chunk that takes it to its target: at most one chunk (256 KiB) over.
      expect(Math.max(...rawLengths)).toBeLessThanOrEqual(frameTargetBytes + 256 * KiB);
      expect(Math.max(...rawLengths)).toBeGreaterThanOrEqual(frameTargetBytes);
      expect(frames.every((frame) => frame.codec === Codec.Zstd)).toBe(true);
      expect(frames.reduce((sum, frame) => sum + frame.storedLength, 0)).toBeLessThan(content.length / 2);

      const out = join(work, 'out.txt');
      await storeOk(['get', 'big.txt', '-o', out], { cwd: work });
      expect(readFileSync(out).equals(content)).toBe(true);
      expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
    }
  });
});
