import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashBytes } from '../src/core/hash.js';
import { mostOverlappingChunk } from '../src/engine/ingest/delta-bases.js';
import { decodeFooter, decodeTrailer, PACK_HEADER_BYTES, PACK_TRAILER_BYTES } from '../src/store/pack-format.js';
import { encodeVersion1FooterAndTrailer, encodeVersion2FooterAndTrailer } from './crafted.js';
import { pseudoRandomBytes, run, runAsNobody, store, storeJson, storeOk, temporaryDirectory } from './helpers.js';

/** Issue 19: version histories, committed in one process. */

describe('commit -A', () => {
  it('stages new, changed and removed files and commits them in one process', async () => {
    const work = temporaryDirectory();
    await storeOk(['init', '-q'], { cwd: work });
    mkdirSync(join(work, 'd'));
    writeFileSync(join(work, 'a.txt'), 'one\n');
    writeFileSync(join(work, 'd/b.txt'), 'bee\n');
    const first = await storeJson<{ commitId: string; fileCount: number; staged: { addedCount: number; added: string[] } }>(['commit', '-A', '-m', 'v1'], {
      cwd: work,
    });
    expect(first.fileCount).toBe(2);
    expect(first.staged.added).toEqual(['a.txt', 'd/b.txt']);

    writeFileSync(join(work, 'a.txt'), 'two\n');
    rmSync(join(work, 'd/b.txt'));
    writeFileSync(join(work, 'new.txt'), 'new\n');
    const second = await storeOk(['commit', '-A', '-m', 'v2'], { cwd: work });
    expect(second.text).toMatch(/^\[main [0-9a-f]{12}\] v2\n 3 files changed: 1 added, 1 modified, 1 removed; 2 files \(8 B\) in the commit\n$/);
    expect((await storeOk(['show', '--name-status'], { cwd: work })).text).toMatch(/\nM\ta.txt\nD\td\/b.txt\nA\tnew.txt\n$/);
    expect((await storeOk(['status', '--porcelain'], { cwd: work })).text).toBe('');
    expect((await storeOk(['get', 'a.txt', '--at', 'HEAD~1'], { cwd: work })).text).toBe('one\n');
    expect((await storeOk(['get', 'new.txt'], { cwd: work })).text).toBe('new\n');

    const again = await store(['commit', '-A', '-m', 'v3'], { cwd: work });
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('nothing to commit');
    const empty = await store(['commit', '-A', '-m', ' '], { cwd: work });
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('empty commit message');
  });

  it('commits nothing when a file cannot be read (status 9), and names it', async () => {
    const parent = temporaryDirectory();
    const work = join(parent, 'repository');
    mkdirSync(work);
    await storeOk(['init', '-q'], { cwd: work });
    writeFileSync(join(work, 'ok.txt'), 'fine');
    await storeOk(['commit', '-A', '-q', '-m', 'first'], { cwd: work });
    const head = readFileSync(join(work, '.store/refs/heads/main'), 'utf8');
    writeFileSync(join(work, 'secret.txt'), 'hidden');
    const asRoot = process.getuid?.() === 0;
    if (asRoot) await run('chmod', ['-R', 'a+rwX', parent], { cwd: parent });
    chmodSync(join(work, 'secret.txt'), 0o000);
    const result = asRoot ? await runAsNobody(['commit', '-A', '-m', 'second'], work) : await store(['commit', '-A', '-m', 'second'], { cwd: work });
    expect(result.status).toBe(9);
    expect(result.stderr).toContain('secret.txt: permission denied');
    expect(result.stderr).toContain('nothing was committed');
    expect(readFileSync(join(work, '.store/refs/heads/main'), 'utf8')).toBe(head);
  });
});

/** `content` with `insert` put in at `at`. */
function inserted(content: Buffer, at: number, insert: Buffer): Buffer {
  return Buffer.concat([content.subarray(0, at), insert, content.subarray(at)]);
}

/** The versions of a small history: a 1 MiB file edited in place each time, a text file growing, one file never changed. */
function historyVersions(count: number): Record<string, Buffer>[] {
  const versions: Record<string, Buffer>[] = [];
  let big = pseudoRandomBytes(1024 * 1024, 7);
  let notes = Buffer.from('notes\n');
  for (let v = 0; v < count; v++) {
    if (v > 0) {
      big = inserted(big, (v * 97_531) % big.length, pseudoRandomBytes(100, 1000 + v));
      notes = Buffer.concat([notes, Buffer.from(`line ${v}: ${'x'.repeat(v * 7)}\n`)]);
    }
    const unchanged = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`docs/same-${i}.txt`, Buffer.from(`never changes ${i}\n`)]));
    versions.push({ 'big.bin': big, 'docs/notes.txt': notes, ...unchanged });
  }
  return versions;
}

/** Writes the files whose bytes differ, as a checkout of the next version would. */
function writeVersion(work: string, files: Record<string, Buffer>): void {
  for (const [path, bytes] of Object.entries(files)) {
    if (existsSync(join(work, path)) && readFileSync(join(work, path)).equals(bytes)) continue;
    mkdirSync(join(work, path, '..'), { recursive: true });
    writeFileSync(join(work, path), bytes);
  }
}

async function expectVersionAt(work: string, revision: string, files: Record<string, Buffer>): Promise<void> {
  const out = join(temporaryDirectory(), 'out');
  await storeOk(['checkout', '-q', '-o', out, revision], { cwd: work });
  for (const [path, bytes] of Object.entries(files)) expect(readFileSync(join(out, path)).equals(bytes), `${path} at ${revision}`).toBe(true);
  rmSync(out, { recursive: true });
}

/** A new repository whose one commit holds `files`. */
async function repositoryWith(files: Record<string, Buffer>): Promise<string> {
  const work = temporaryDirectory();
  await storeOk(['init', '-q'], { cwd: work });
  writeVersion(work, files);
  await storeOk(['commit', '-A', '-q', '-m', 'one'], { cwd: work });
  return work;
}

async function openCatalog(work: string) {
  const Database = (await import('better-sqlite3')).default;
  return new Database(join(work, '.store/catalog.sqlite'));
}

/** Each delta's base's whole id (hex), by the delta's id: the catalog keeps the start of it (schema 5). */
function baseIdsOf(rows: { id: Buffer; base_id: Buffer | null }[]): Map<string, string> {
  const ids = rows.map((row) => row.id.toString('hex')).sort();
  const wholeId = (prefix: string): string => ids.find((id) => id.startsWith(prefix)) ?? `${prefix} (missing)`;
  return new Map(rows.flatMap((row) => (row.base_id === null ? [] : [[row.id.toString('hex'), wholeId(row.base_id.toString('hex'))] as const])));
}

/** How many deltas deep each delta blob lies (1: its base is whole). */
async function deltaDepths(work: string): Promise<number[]> {
  const db = await openCatalog(work);
  const baseOf = baseIdsOf(db.prepare('SELECT id, base_id FROM blobs').all() as { id: Buffer; base_id: Buffer | null }[]);
  db.close();
  return [...baseOf.keys()].map((id) => {
    let depth = 0;
    for (let at = id; baseOf.has(at) && depth < 100; at = baseOf.get(at)!) depth++;
    return depth;
  });
}

describe('delta compression against earlier versions', () => {
  it('a new chunk is stored against the earlier chunk it overlaps most, not the one under its first byte', () => {
    const ends = [100, 200, 300];
    expect(mostOverlappingChunk(ends, 95, 100)).toBe(1); // 5 bytes of the first, 95 of the second
    expect(mostOverlappingChunk(ends, 0, 50)).toBe(0);
    expect(mostOverlappingChunk(ends, 150, 200)).toBe(2); // 50 of the second, 100 of the third
    expect(mostOverlappingChunk(ends, 50, 100)).toBe(0); // 50 and 50: the first
    expect(mostOverlappingChunk(ends, 20, 400)).toBe(1); // 80 of the first, all of the second and the third: the second
    expect(mostOverlappingChunk(ends, 350, 10)).toBe(2); // past the end: the last
    expect(mostOverlappingChunk([1000], 999, 5000)).toBe(0);
  });

  it('stores a small edit as a small delta, in chains longer than format 5 allowed, and restores every version byte-exact', async () => {
    const work = temporaryDirectory();
    await storeOk(['init', '-q'], { cwd: work });
    const versions = historyVersions(12);
    const stored: number[] = [];
    for (const [v, files] of versions.entries()) {
      writeVersion(work, files);
      const result = await storeJson<{ staged: { storedBytes: number; modifiedCount: number } }>(['commit', '-A', '-m', `v${v}`], { cwd: work });
      stored.push(result.staged.storedBytes);
    }
    // Without deltas, each edit stores at least the whole changed chunk of random bytes (>= 32 KiB).
    expect(stored[0]).toBeGreaterThan(1024 * 1024);
    for (const bytes of stored.slice(1)) expect(bytes).toBeLessThan(8 * 1024);
    const depths = await deltaDepths(work);
    expect(Math.max(...depths)).toBe(11); // notes.txt changes every time: one chain, 11 deltas deep (format 5 restarted at 8)
    for (const [v, files] of versions.entries()) await expectVersionAt(work, `HEAD~${versions.length - 1 - v}`, files);
    expect((await storeOk(['get', 'big.bin', '--at', 'HEAD~3'], { cwd: work })).stdout.equals(versions[8]!['big.bin']!)).toBe(true);
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
  });

  it('restores chains of large deltas (frames over 256 KiB, read through two reused buffers) byte-exact, chains bounded by the config', async () => {
    const work = temporaryDirectory();
    await storeOk(['init', '-q', '--chunk-size', '512K:1M:2M'], { cwd: work });
    const configPath = join(work, '.store/config');
    const config = JSON.parse(readFileSync(configPath, 'utf8'));
    for (const deltaDepth of [0, 33, 2.5]) {
      writeFileSync(configPath, JSON.stringify({ ...config, deltaDepth }));
      const refused = await store(['status'], { cwd: work });
      expect(refused.status).toBe(8);
      expect(refused.stderr).toContain('deltaDepth is out of range');
    }
    writeFileSync(configPath, JSON.stringify({ ...config, deltaDepth: 8 }));
    let big = pseudoRandomBytes(3 * 1024 * 1024, 11);
    const versions: Buffer[] = [];
    for (let v = 0; v < 11; v++) {
      if (v > 0) {
        big = Buffer.from(big);
        // Edits in place, spread out: every chunk changes, and each becomes a delta of its earlier self.
        for (const at of [100_000, 1_300_000, 2_500_000]) pseudoRandomBytes(100, 2000 + v * 3 + at).copy(big, at + v * 1000);
      }
      versions.push(big);
      writeFileSync(join(work, 'big.bin'), big);
      await storeOk(['commit', '-A', '-q', '-m', `v${v}`], { cwd: work });
    }
    const db = await openCatalog(work);
    const largeDeltas = db.prepare('SELECT count(*) AS n FROM blobs WHERE base_id IS NOT NULL AND frame_raw_length > 256 * 1024').get() as { n: number };
    db.close();
    expect(largeDeltas.n).toBeGreaterThanOrEqual(20);
    expect(Math.max(...(await deltaDepths(work)))).toBe(8); // the config's bound: each chain reached it and started again
    for (const [v, bytes] of versions.entries()) {
      const revision = `HEAD~${versions.length - 1 - v}`;
      expect((await storeOk(['get', 'big.bin', '--at', revision], { cwd: work })).stdout.equals(bytes), `big.bin at ${revision}`).toBe(true);
      await expectVersionAt(work, revision, { 'big.bin': bytes });
    }
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
  });

  it('gc keeps the base of a delta even when only the staging area ever held it', async () => {
    const work = temporaryDirectory();
    await storeOk(['init', '-q'], { cwd: work });
    const firstBig = pseudoRandomBytes(300 * 1024, 11);
    writeVersion(work, { 'big.bin': firstBig, 'small.txt': Buffer.from(`${'a line of text\n'.repeat(40)}`) });
    await storeOk(['add', '-A', '-q'], { cwd: work });
    // Staged, then changed again before any commit: the first versions are bases, and in no commit.
    const big = inserted(firstBig, 150_000, Buffer.from('an insertion'));
    const small = Buffer.from(`${'a line of text\n'.repeat(40)}one more\n`);
    writeVersion(work, { 'big.bin': big, 'small.txt': small });
    await storeOk(['commit', '-A', '-q', '-m', 'only the second versions'], { cwd: work });
    expect((await deltaDepths(work)).length).toBeGreaterThanOrEqual(2);
    await storeOk(['gc', '-q'], { cwd: work });
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
    expect((await storeOk(['get', 'big.bin'], { cwd: work })).stdout.equals(big)).toBe(true);
    expect((await storeOk(['get', 'small.txt'], { cwd: work })).stdout.equals(small)).toBe(true);
    const db = await openCatalog(work);
    const orphans = db
      .prepare(
        'SELECT count(*) FROM blobs d WHERE d.base_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM blobs b WHERE substr(b.id, 1, length(d.base_id)) = d.base_id)',
      )
      .pluck()
      .get();
    db.close();
    expect(orphans).toBe(0);
  });

  it('gc joins small packs into one, deltas kept as deltas; a pack a remote holds is left alone', async () => {
    const work = temporaryDirectory();
    await storeOk(['init', '-q'], { cwd: work });
    const versions = historyVersions(6);
    const commitVersions = async (from: number, to: number): Promise<void> => {
      for (let v = from; v < to; v++) {
        writeVersion(work, versions[v]!);
        await storeOk(['commit', '-A', '-q', '-m', `v${v}`], { cwd: work });
      }
    };
    await commitVersions(0, 4);
    const packFiles = (): string[] =>
      readdirSync(join(work, '.store/packs')).flatMap((fan) => readdirSync(join(work, '.store/packs', fan)).map((file) => file.replace(/\.pack$/, '')));
    const deltaRows = async (): Promise<number> => {
      const db = await openCatalog(work);
      const count = db.prepare('SELECT count(*) FROM blobs WHERE base_id IS NOT NULL').pluck().get() as number;
      db.close();
      return count;
    };
    const before = packFiles();
    const deltasBefore = await deltaRows();
    expect(before.length).toBeGreaterThanOrEqual(6);
    expect(deltasBefore).toBeGreaterThanOrEqual(6);
    const gc = await storeJson<{ packsJoined: string[]; packsDeleted: string[]; deadBlobCount: number }>(['gc'], { cwd: work });
    expect(gc.packsJoined.sort()).toEqual([...before].sort());
    expect(gc.deadBlobCount).toBe(0);
    const joined = packFiles();
    expect(joined).toHaveLength(1);
    expect(readdirSync(join(work, '.store/packs'))).toEqual([joined[0]!.slice(0, 2)]); // emptied shard directories are removed
    expect(await deltaRows()).toBe(deltasBefore); // still deltas, not made whole
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
    for (const [v, files] of versions.slice(0, 4).entries()) await expectVersionAt(work, `HEAD~${3 - v}`, files);
    expect((await storeJson<{ packsJoined: string[] }>(['gc'], { cwd: work })).packsJoined).toEqual([]); // one pack: nothing to join

    // A remote is remembered to hold the joined pack: joining it again would send its blobs again.
    await commitVersions(4, 6);
    mkdirSync(join(work, '.store/remote-cache'));
    writeFileSync(join(work, '.store/remote-cache/origin'), JSON.stringify({ url: 's3://bucket/repo', manifests: ['m'], packs: joined }));
    const fresh = packFiles().filter((name) => !joined.includes(name));
    const second = await storeJson<{ packsJoined: string[] }>(['gc'], { cwd: work });
    expect(second.packsJoined.sort()).toEqual([...fresh].sort());
    expect(packFiles()).toContain(joined[0]);
    expect(packFiles()).toHaveLength(2);
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
    for (const [v, files] of versions.entries()) await expectVersionAt(work, `HEAD~${5 - v}`, files);
  });

  it('gc compresses what a commit wrote harder, once: a pack gc wrote says so and its frames are copied as they are', async () => {
    const work = temporaryDirectory();
    await storeOk(['init', '-q'], { cwd: work });
    // Source-like text, which zstd 19 packs tighter than 3: a tree of modules, each edited a little in every version.
    const moduleText = (m: number, v: number): Buffer =>
      Buffer.from(
        Array.from(
          { length: 400 },
          (_, line) => `export const value${m}_${line} = compute(${(line * 7919 + m) % 1000}, '${line % 13 === v % 13 ? `v${v}` : 'same'}');\n`,
        ).join(''),
      );
    const version = (v: number): Record<string, Buffer> => Object.fromEntries(Array.from({ length: 30 }, (_, m) => [`src/module-${m}.ts`, moduleText(m, v)]));
    const packFiles = (): string[] =>
      readdirSync(join(work, '.store/packs')).flatMap((fan) =>
        readdirSync(join(work, '.store/packs', fan)).map((file) => join(work, '.store/packs', fan, file)),
      );
    const flags = (path: string): number => readFileSync(path).readUInt32LE(12);
    for (let v = 0; v < 3; v++) {
      writeVersion(work, version(v));
      await storeOk(['commit', '-A', '-q', '-m', `v${v}`], { cwd: work });
    }
    expect(packFiles().map(flags)).toEqual(packFiles().map(() => 0)); // a commit's packs: not repacked
    const first = await storeJson<{ packsJoined: string[]; bytesFreed: number }>(['gc'], { cwd: work });
    expect(first.packsJoined.length).toBeGreaterThanOrEqual(3);
    expect(first.bytesFreed).toBeGreaterThan(0); // the same blobs in fewer bytes
    const [repacked] = packFiles();
    expect(packFiles()).toHaveLength(1);
    expect(flags(repacked!)).toBe(1);
    const repackedBytes = readFileSync(repacked!);
    const frames = repackedBytes.subarray(PACK_HEADER_BYTES, Number(repackedBytes.readBigUInt64LE(repackedBytes.length - PACK_TRAILER_BYTES)));

    // One more commit: gc joins its pack with the repacked one, whose frames it copies byte for byte
    // (at level 22, now the repository's, compressing them again would change them).
    const config = JSON.parse(readFileSync(join(work, '.store/config'), 'utf8'));
    writeFileSync(join(work, '.store/config'), JSON.stringify({ ...config, compression: { algorithm: 'zstd', level: 22 } }));
    writeVersion(work, version(3));
    await storeOk(['commit', '-A', '-q', '-m', 'v3'], { cwd: work });
    const second = await storeJson<{ packsJoined: string[] }>(['gc'], { cwd: work });
    expect(second.packsJoined).toContain(repacked!.replace(/^.*\//, '').replace(/\.pack$/, ''));
    expect(packFiles()).toHaveLength(1);
    const joined = readFileSync(packFiles()[0]!);
    expect(flags(packFiles()[0]!)).toBe(1);
    expect(joined.includes(frames)).toBe(true);
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
    for (let v = 0; v < 4; v++) await expectVersionAt(work, `HEAD~${3 - v}`, version(v));
  });

  it('verify names a damaged base and every file stored against it, in every commit', async () => {
    const work = temporaryDirectory();
    await storeOk(['init', '-q'], { cwd: work });
    const notes: Buffer[] = [];
    for (let v = 0; v < 4; v++) {
      notes.push(Buffer.from(`${'the first version of the notes, long enough to be a base\n'.repeat(3)}${'more\n'.repeat(v)}`));
      writeVersion(work, { 'notes.txt': notes[v]!, 'other.txt': Buffer.from('other\n') });
      await storeOk(['commit', '-A', '-q', '-m', `v${v}`], { cwd: work });
    }
    const db = await openCatalog(work);
    const rows = db.prepare('SELECT b.id, b.base_id, b.frame_offset, b.frame_stored_length, p.name FROM blobs b JOIN packs p ON p.id = b.pack_id').all() as {
      id: Buffer;
      base_id: Buffer | null;
      frame_offset: number;
      frame_stored_length: number;
      name: string;
    }[];
    db.close();
    // The first version (one chunk: its id is its content's) is the one blob the other versions lead back to.
    const baseOf = baseIdsOf(rows);
    const roots = new Set(
      [...baseOf.entries()]
        .filter(([, base]) => base !== undefined)
        .map(([id]) => {
          let at = id;
          while (baseOf.get(at) !== undefined) at = baseOf.get(at)!;
          return at;
        }),
    );
    const root = hashBytes(notes[0]!).toString('hex');
    expect([...roots]).toContain(root);
    const frame = rows.find((row) => row.id.toString('hex') === root)!;
    const packFile = join(work, '.store/packs', frame.name.slice(0, 2), `${frame.name}.pack`);
    chmodSync(packFile, 0o600);
    const bytes = readFileSync(packFile);
    bytes[frame.frame_offset + Math.floor(frame.frame_stored_length / 2)] ^= 0xff;
    writeFileSync(packFile, bytes);

    const result = await store(['verify', '--read-data', '--json'], { cwd: work });
    expect(result.status).toBe(8);
    const report = JSON.parse(result.text) as { findings: { kind: string; blobs?: string[] }[]; affected: { commit: string; path: string; reason: string }[] };
    expect(report.findings.some((finding) => finding.kind === 'corrupt-blob' && finding.blobs?.includes(root))).toBe(true);
    const notesAffected = report.affected.filter((item) => item.path === 'notes.txt');
    // Every version, in every commit and in the staging area: the first and the three stored against it.
    expect(new Set(notesAffected.map((item) => item.commit)).size).toBe(5);
    expect(notesAffected.filter((item) => item.reason.includes(`stored as a delta of ${root}, which is damaged`))).toHaveLength(4);
    const get = await store(['get', 'notes.txt'], { cwd: work });
    expect(get.status).toBe(8);
    expect(get.stderr).toContain('base');
  });

  it('repair rebuilds the catalog from packs that hold deltas (file maps, trees and times among them)', async () => {
    const work = temporaryDirectory();
    await storeOk(['init', '-q'], { cwd: work });
    const versions = historyVersions(6);
    for (const [v, files] of versions.entries()) {
      writeVersion(work, files);
      await storeOk(['commit', '-A', '-q', '-m', `v${v}`], { cwd: work });
    }
    const db = await openCatalog(work);
    const types = db.prepare('SELECT DISTINCT type FROM blobs WHERE base_id IS NOT NULL ORDER BY type').pluck().all() as number[];
    const deltaCount = db.prepare('SELECT count(*) FROM blobs WHERE base_id IS NOT NULL').pluck().get();
    db.close();
    expect(types).toEqual([1, 2, 3, 5]); // chunks, file maps, trees, file times
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(work, `.store/catalog.sqlite${suffix}`), { force: true });
    await storeOk(['repair', '-q'], { cwd: work });
    const rebuilt = await openCatalog(work);
    expect(rebuilt.prepare('SELECT count(*) FROM blobs WHERE base_id IS NOT NULL').pluck().get()).toBe(deltaCount);
    rebuilt.close();
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
    for (const [v, files] of versions.entries()) await expectVersionAt(work, `HEAD~${versions.length - 1 - v}`, files);
  });

  it('reads a format 4 repository (catalog schema 2) as it is and upgrades its catalog in place', async () => {
    const work = await repositoryWith({ 'a.txt': Buffer.from('a first version of a, long enough to be a base of the next one\n') });
    const db = await openCatalog(work);
    db.exec(`ALTER TABLE blobs DROP COLUMN base_id; UPDATE meta SET value = '2' WHERE key = 'schema_version'`);
    db.close();
    const configPath = join(work, '.store/config');
    writeFileSync(configPath, JSON.stringify({ ...JSON.parse(readFileSync(configPath, 'utf8')), formatVersion: 4 }));
    expect((await storeOk(['get', 'a.txt'], { cwd: work })).text).toContain('a first version');
    const upgraded = await openCatalog(work);
    expect(upgraded.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get()).toBe('5');
    expect(upgraded.prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'blobs_by_pack'`).pluck().get()).toBe(0);
    upgraded.close();
    writeVersion(work, { 'a.txt': Buffer.from('a first version of a, long enough to be a base of the next one\nand a second\n') });
    await storeOk(['commit', '-A', '-q', '-m', 'two'], { cwd: work });
    expect(JSON.parse(readFileSync(configPath, 'utf8')).formatVersion).toBe(7);
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
  });

  it('reads a format 5 repository (catalog schema 3, with its index by pack) and upgrades its catalog in place; gc and verify work on it', async () => {
    const first = Buffer.from(`${'a first version of a, long enough to be a base of the next one\n'.repeat(4)}`);
    const work = await repositoryWith({ 'a.txt': first, 'gone.txt': Buffer.from('a file the next commit deletes\n') });
    const db = await openCatalog(work);
    db.exec(`CREATE INDEX blobs_by_pack ON blobs(pack_id); UPDATE meta SET value = '3' WHERE key = 'schema_version'`);
    db.close();
    const configPath = join(work, '.store/config');
    writeFileSync(configPath, JSON.stringify({ ...JSON.parse(readFileSync(configPath, 'utf8')), formatVersion: 5 }));
    expect((await storeOk(['get', 'a.txt'], { cwd: work })).stdout.equals(first)).toBe(true);
    const upgraded = await openCatalog(work);
    expect(upgraded.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get()).toBe('5');
    expect(upgraded.prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'blobs_by_pack'`).pluck().get()).toBe(0);
    upgraded.close();
    const second = Buffer.concat([first, Buffer.from('and a second\n')]);
    writeVersion(work, { 'a.txt': second });
    await storeOk(['commit', '-A', '-q', '-m', 'two'], { cwd: work });
    expect(JSON.parse(readFileSync(configPath, 'utf8')).formatVersion).toBe(7);
    const gc = await storeJson<{ deadBlobCount: number; liveBlobCount: number }>(['gc'], { cwd: work });
    expect(gc.deadBlobCount).toBe(0); // the first commit still holds gone.txt
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
    expect((await storeOk(['get', 'a.txt', '--at', 'HEAD~1'], { cwd: work })).stdout.equals(first)).toBe(true);
    expect((await storeOk(['get', 'a.txt'], { cwd: work })).stdout.equals(second)).toBe(true);
  });

  it('reads packs of versions 1 and 2, deltas among them (bases in the same pack too): repair indexes them, every version restores, verify passes', async () => {
    const versions = historyVersions(6);
    const work = temporaryDirectory();
    await storeOk(['init', '-q'], { cwd: work });
    for (const [v, files] of versions.entries()) {
      writeVersion(work, files);
      await storeOk(['commit', '-A', '-q', '-m', `v${v}`], { cwd: work });
      if (v === 3) await storeOk(['gc', '-q'], { cwd: work }); // one pack whose deltas' bases lie in it
    }
    // Each pack rewritten as version 1 or 2 would have written it: the same frames, the old footer.
    const packs = join(work, '.store/packs');
    let deltaFrames = 0;
    let basesInPack = 0;
    // Listed first: a rewritten pack may land in a fan-out directory not yet walked.
    const written = readdirSync(packs).flatMap((fan) => readdirSync(join(packs, fan)).map((file) => [fan, file] as const));
    for (const [index, [fan, file]] of written.entries()) {
      const bytes = readFileSync(join(packs, fan, file));
      const trailer = decodeTrailer(bytes.subarray(bytes.length - PACK_TRAILER_BYTES), bytes.length, file);
      expect(trailer.version).toBe(3);
      const footer = decodeFooter(
        bytes.subarray(trailer.footerOffset, trailer.footerOffset + trailer.footerLength),
        trailer.footerHash,
        trailer.footerOffset,
        file,
        3,
      );
      const deltas = footer.frames.filter((frame) => frame.baseId !== undefined);
      deltaFrames += deltas.length;
      const ids = new Set(footer.blobs.map((blob) => blob.id.toString('hex')));
      const inPack = deltas.filter((frame) => ids.has(frame.baseId!.toString('hex'))).length;
      basesInPack += inPack;
      const oldVersion = index % 2 === 0 ? 2 : 1;
      const oldFooter = (oldVersion === 1 ? encodeVersion1FooterAndTrailer : encodeVersion2FooterAndTrailer)(footer, trailer.footerOffset);
      // Version 3 names a base in the same pack in a byte or two instead of 32 (one elsewhere takes a byte more).
      if (oldVersion === 2) expect(trailer.footerLength + PACK_TRAILER_BYTES).toBeLessThanOrEqual(oldFooter.length - 29 * inPack + (deltas.length - inPack));
      const header = Buffer.from(bytes.subarray(0, PACK_HEADER_BYTES));
      header.writeUInt32LE(oldVersion, 8);
      const old = Buffer.concat([header, bytes.subarray(PACK_HEADER_BYTES, trailer.footerOffset), oldFooter]);
      const name = hashBytes(old).toString('hex');
      mkdirSync(join(packs, name.slice(0, 2)), { recursive: true });
      writeFileSync(join(packs, name.slice(0, 2), `${name}.pack`), old);
      rmSync(join(packs, fan, file));
    }
    expect(written.length).toBeGreaterThanOrEqual(3);
    expect(deltaFrames).toBeGreaterThanOrEqual(8);
    expect(basesInPack).toBeGreaterThanOrEqual(3);
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(work, `.store/catalog.sqlite${suffix}`), { force: true });
    await storeOk(['repair', '-q'], { cwd: work });
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
    for (const [v, files] of versions.entries()) await expectVersionAt(work, `HEAD~${versions.length - 1 - v}`, files);
  });

  it('the catalog names a base by 8 bytes of its id: two blobs sharing them are settled by the pack footer; a whole id (schema 4) is read too', async () => {
    const first = Buffer.from(`${'a first version of a, long enough to be a base of the next one\n'.repeat(4)}`);
    const work = await repositoryWith({ 'a.txt': first });
    const second = Buffer.concat([first, Buffer.from('and a second\n')]);
    writeVersion(work, { 'a.txt': second });
    await storeOk(['commit', '-A', '-q', '-m', 'two'], { cwd: work });
    const db = await openCatalog(work);
    const baseIdOf = (id: Buffer): Buffer => db.prepare('SELECT base_id FROM blobs WHERE id = ?').pluck().get(id) as Buffer;
    expect(baseIdOf(hashBytes(second)).equals(hashBytes(first).subarray(0, 8))).toBe(true);
    // A blob whose id starts with the same 8 bytes: the delta itself under another id (taken for the
    // base, the chain would loop).
    const twin = Buffer.concat([hashBytes(first).subarray(0, 8), Buffer.alloc(24, hashBytes(first)[8]! ^ 0xff)]);
    db.prepare(
      'INSERT INTO blobs SELECT ?, type, pack_id, frame_offset, frame_stored_length, frame_raw_length, codec, offset_in_frame, length, base_id FROM blobs WHERE id = ?',
    ).run(twin, hashBytes(second));
    db.close();
    expect((await storeOk(['get', 'a.txt'], { cwd: work })).stdout.equals(second)).toBe(true);
    const out = join(temporaryDirectory(), 'out');
    await storeOk(['checkout', '-q', '-o', out], { cwd: work });
    expect(readFileSync(join(out, 'a.txt')).equals(second)).toBe(true);
    // A row as schema 4 wrote it, the base's whole id, is read as it is.
    const older = await openCatalog(work);
    older.prepare('DELETE FROM blobs WHERE id = ?').run(twin);
    older.prepare('UPDATE blobs SET base_id = ? WHERE id = ?').run(hashBytes(first), hashBytes(second));
    older.close();
    expect((await storeOk(['get', 'a.txt'], { cwd: work })).stdout.equals(second)).toBe(true);
    expect((await store(['verify', '--read-data'], { cwd: work })).status).toBe(0);
  });

  it('a chain of bases that loops (a damaged catalog) is an error naming it, status 8, not a hang', async () => {
    const work = await repositoryWith({ 'a.txt': Buffer.from('content\n') });
    const db = await openCatalog(work);
    db.prepare('UPDATE blobs SET codec = 2, base_id = id WHERE type = 1').run();
    db.close();
    const result = await store(['get', 'a.txt'], { cwd: work });
    expect(result.status).toBe(8);
    expect(result.stderr).toContain('chain of bases is longer than 32');
  });
});
