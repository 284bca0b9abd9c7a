import { closeSync, fchmodSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import Database from 'better-sqlite3';
import { CorruptionError, errnoCode, StoreError } from '../core/errors.js';
import { idRangeOf } from '../core/hash.js';
import { CATALOG_SCHEMA, CATALOG_SCHEMA_VERSION, CATALOG_UPGRADES } from './schema.js';
import { type BlobLocation, type BlobType, type Codec, MAX_DELTA_DEPTH, type SealedPack } from '../core/vocabulary.js';

/**
 * better-sqlite3's addon, named for it: its default finder (the `bindings` package) reads a stack
 * trace and stats a dozen candidate paths. Its JavaScript is imported, not loaded on first use like
 * other native packages' (core/lazy-require.ts), so that it is in the CLI bundle and its code cache:
 * loading it from node_modules cost ~4.5 ms of every command that opens the catalog. Undefined where
 * the addon lies elsewhere: the finder then looks.
 */
let sqliteAddonPath: string | undefined | null = null;
function sqliteAddon(): string | undefined {
  if (sqliteAddonPath === null) {
    try {
      sqliteAddonPath = createRequire(import.meta.url).resolve('better-sqlite3/build/Release/better_sqlite3.node');
    } catch {
      sqliteAddonPath = undefined;
    }
  }
  return sqliteAddonPath;
}

/**
 * Bytes of a delta's base id the catalog keeps (schema 5). The pack's footer holds the whole id; two
 * blobs sharing these bytes are settled through it (see Catalog.baseLocation).
 */
export const BASE_PREFIX_BYTES = 8;

/** A page cache for work that reads few rows (VACUUM, gc's copy): see Catalog.withPageCache. */
export const SMALL_PAGE_CACHE_KIB = 2000;

export interface FileRow {
  id: Buffer;
  sizeBytes: number;
  chunkCount: number;
  filemapId: Buffer;
}

export interface CommitRow {
  id: Buffer;
  treeId: Buffer;
  parentId: Buffer | undefined;
  author: string;
  timeMs: number;
  message: string;
  fileCount: number;
  logicalBytes: number;
}

export interface PackRow {
  id: number;
  name: string;
  sizeBytes: number;
  frameCount: number;
  blobCount: number;
}

export interface CatalogTotals {
  packCount: number;
  packBytes: number;
  chunkCount: number;
  uniqueChunkBytes: number;
}

/** What the sealed pack carries besides blobs: file maps and commits to index in the same transaction. */
export interface PackIndexExtras {
  files: readonly FileRow[];
  commits: readonly CommitRow[];
}

/**
 * A blob's location as SELECT_LOCATION gives it, a row as an array (better-sqlite3's raw mode): an
 * object a row cost a quarter more a lookup (~5.2 against ~3.9 us, measured by hand), and a commit
 * of a history looks up each link of every delta chain it reads.
 */
type BlobLocationRow = [
  id: Buffer,
  type: number,
  packName: string,
  frameOffset: number,
  frameStoredLength: number,
  frameRawLength: number,
  codec: number,
  offsetInFrame: number,
  length: number,
  basePrefix: Buffer | null,
];

const SELECT_LOCATION = `SELECT b.id, b.type, p.name AS pack_name, b.frame_offset, b.frame_stored_length,
  b.frame_raw_length, b.codec, b.offset_in_frame, b.length, b.base_id FROM blobs b JOIN packs p ON p.id = b.pack_id`;

/**
 * The SQLite index of what the packs hold. It is only ever extended one sealed pack at a time, in
 * one transaction, so it never names a blob whose pack is not complete on disk.
 */
export class Catalog {
  private readonly db: Database.Database;
  private readonly statements;
  /** A read transaction this catalog began (see beginRead), as opposed to a write transaction. */
  private readTransactionOpen = false;

  /** `createMode`: a new catalog file gets exactly this mode, and SQLite gives its WAL and SHM files the same. */
  constructor(path: string, options: { readonly?: boolean; createMode?: number } = {}) {
    if (options.createMode !== undefined) createEmptyFile(path, options.createMode);
    try {
      this.db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false, nativeBinding: sqliteAddon() });
      this.db.pragma('busy_timeout = 5000');
      if (!options.readonly) {
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = FULL');
        this.upgrade();
        this.db.exec(CATALOG_SCHEMA);
        this.db.prepare(`INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)`).run(String(CATALOG_SCHEMA_VERSION));
      }
      const version = this.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get() as string | undefined;
      if (version !== String(CATALOG_SCHEMA_VERSION)) {
        throw new StoreError('UNSUPPORTED_FORMAT', `catalog schema version ${version ?? 'missing'} is not ${CATALOG_SCHEMA_VERSION}`, {
          hint: 'the catalog is derived from the packs: run `store repair` to rebuild it',
        });
      }
    } catch (error) {
      if (error instanceof StoreError) throw error;
      throw new CorruptionError('CORRUPT_CATALOG', `catalog ${path} cannot be opened: ${(error as Error).message}`, {
        cause: error,
        hint: 'run `store repair` to rebuild it from the packs',
      });
    }
    this.statements = this.prepareStatements();
  }

  private upgrade(): void {
    if (this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get() === undefined) return; // a new catalog
    const version = this.db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).pluck().get() as string | undefined;
    if (version === undefined || CATALOG_UPGRADES[version] === undefined) return;
    this.db.transaction(() => {
      for (let at = Number(version); at < CATALOG_SCHEMA_VERSION; at++) this.db.exec(CATALOG_UPGRADES[String(at)]!);
      this.db.prepare(`UPDATE meta SET value = ? WHERE key = 'schema_version'`).run(String(CATALOG_SCHEMA_VERSION));
    })();
  }

  private prepareStatements() {
    const db = this.db;
    return {
      hasBlob: db.prepare('SELECT 1 FROM blobs WHERE id = ?').pluck(),
      blobLocation: db.prepare(`${SELECT_LOCATION} WHERE b.id = ?`).raw(),
      locationsInRange: db.prepare(`${SELECT_LOCATION} WHERE b.id BETWEEN ? AND ? LIMIT 2`).raw(),
      idsInRange: db.prepare('SELECT id FROM blobs WHERE id BETWEEN ? AND ?').pluck(),
      file: db.prepare('SELECT id, size_bytes, chunk_count, filemap_id FROM files WHERE id = ?'),
      insertPack: db.prepare('INSERT INTO packs(name, size_bytes, frame_count, blob_count) VALUES (?, ?, ?, ?)'),
      replaceBlob: db.prepare(
        `INSERT OR REPLACE INTO blobs(id, type, pack_id, frame_offset, frame_stored_length, frame_raw_length, codec, offset_in_frame, length, base_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertBlob: db.prepare(
        `INSERT OR IGNORE INTO blobs(id, type, pack_id, frame_offset, frame_stored_length, frame_raw_length, codec, offset_in_frame, length, base_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertFile: db.prepare('INSERT OR IGNORE INTO files(id, size_bytes, chunk_count, filemap_id) VALUES (?, ?, ?, ?)'),
      insertCommit: db.prepare(
        `INSERT OR IGNORE INTO commits(id, tree_id, parent_id, author, time_ms, message, file_count, logical_bytes)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      commit: db.prepare('SELECT * FROM commits WHERE id = ?'),
      chunkShare: db.prepare('SELECT length, CAST(length AS REAL) * frame_stored_length / frame_raw_length AS share FROM blobs WHERE id = ?'),
      blobIdsInRange: db.prepare('SELECT id, type FROM blobs WHERE id BETWEEN ? AND ? LIMIT 3'),
      fileIdsInRange: db.prepare('SELECT id FROM files WHERE id BETWEEN ? AND ? LIMIT 3').pluck(),
    };
  }

  close(): void {
    this.endRead();
    this.db.close();
  }

  /**
   * Lookups share one read transaction until the next write. On their own, each took and released
   * SQLite's shared lock (two fcntl calls, ~15 us): 30,000 of them in a 12,000-file add. Writes are
   * serialized by the repository lock, so the only changes a reader can miss are other processes'
   * (a reader then sees one consistent snapshot); every write method ends the read transaction
   * first, or its own transaction would nest inside it (a savepoint) and commit with it.
   */
  private beginRead(): void {
    if (this.db.inTransaction) return;
    this.db.exec('BEGIN');
    this.readTransactionOpen = true;
  }

  private endRead(): void {
    if (!this.readTransactionOpen) return;
    this.readTransactionOpen = false;
    if (this.db.inTransaction) this.db.exec('COMMIT');
  }

  hasBlob(id: Buffer): boolean {
    this.beginRead();
    return this.statements.hasBlob.get(id) !== undefined;
  }

  blobLocation(id: Buffer): BlobLocation | undefined {
    this.beginRead();
    const row = this.statements.blobLocation.get(id) as BlobLocationRow | undefined;
    return row === undefined ? undefined : toLocation(row);
  }

  /**
   * The whole id of a delta's base as its pack's footer names it: set by the repository (it reads
   * packs), for the one case the catalog cannot settle alone (see baseLocation).
   */
  wholeBaseIdOf?: (delta: BlobLocation) => Buffer | undefined;

  /**
   * Where a delta's base lies: the one blob whose id starts with the delta's `basePrefix`, or, if two
   * do (by chance about once in 2^64 pairs of blobs, or made to on purpose), the one its pack's
   * footer names. Undefined when the base is missing.
   */
  baseLocation(delta: BlobLocation): BlobLocation | undefined {
    this.beginRead();
    const { first, last } = idRangeOf(delta.basePrefix!);
    const rows = this.statements.locationsInRange.all(first, last) as BlobLocationRow[];
    if (rows.length <= 1) return rows[0] === undefined ? undefined : toLocation(rows[0]);
    const whole = this.wholeBaseIdOf?.(delta);
    return whole === undefined ? undefined : this.blobLocation(whole);
  }

  /**
   * A location with a Delta frame's chain of bases resolved (`base`), for a reader that has no
   * catalog (a worker thread). Stops one past MAX_DELTA_DEPTH: the reader refuses a chain that long.
   */
  withBases(location: BlobLocation): BlobLocation {
    let at: BlobLocation | undefined = location;
    for (let depth = 0; at?.basePrefix !== undefined && depth <= MAX_DELTA_DEPTH; depth++) {
      at.base = this.baseLocation(at);
      at = at.base;
    }
    return location;
  }

  /**
   * Every blob stored as a delta, with its base: a scan of the blobs, for gc and push alone (an index
   * would hold two ids a delta in every repository). A base prefix two blobs share gives an edge to
   * each: gc keeps both, which is safe.
   */
  deltaEdges(): { id: Buffer; baseId: Buffer }[] {
    this.beginRead();
    const rows = this.db.prepare('SELECT id, base_id AS basePrefix FROM blobs WHERE base_id IS NOT NULL').all() as { id: Buffer; basePrefix: Buffer }[];
    return rows.flatMap(({ id, basePrefix }) => {
      const { first, last } = idRangeOf(basePrefix);
      return (this.statements.idsInRange.all(first, last) as Buffer[]).map((baseId) => ({ id, baseId }));
    });
  }

  file(id: Buffer): FileRow | undefined {
    this.beginRead();
    const row = this.statements.file.get(id) as { id: Buffer; size_bytes: number; chunk_count: number; filemap_id: Buffer } | undefined;
    if (row === undefined) return undefined;
    return { id: row.id, sizeBytes: row.size_bytes, chunkCount: row.chunk_count, filemapId: row.filemap_id };
  }

  commit(id: Buffer): CommitRow | undefined {
    this.beginRead();
    const row = this.statements.commit.get(id) as Record<string, unknown> | undefined;
    return row === undefined ? undefined : toCommitRow(row);
  }

  /**
   * Indexes a sealed pack, its file maps and commits, all or nothing. With `relocate`, blobs already
   * indexed elsewhere are pointed at this pack (gc moving live blobs out of a pack it will delete).
   */
  recordPack(pack: SealedPack, extras: PackIndexExtras, options: { relocate?: boolean } = {}): void {
    const s = this.statements;
    const insertBlob = options.relocate ? s.replaceBlob : s.insertBlob;
    this.endRead();
    this.db.transaction(() => {
      const packId = s.insertPack.run(pack.name, pack.sizeBytes, pack.frames.length, pack.blobs.length).lastInsertRowid;
      for (const blob of pack.blobs) {
        const frame = pack.frames[blob.frameIndex]!;
        insertBlob.run(
          blob.id,
          blob.type,
          packId,
          frame.offset,
          frame.storedLength,
          frame.rawLength,
          frame.codec,
          blob.offsetInFrame,
          blob.length,
          frame.baseId?.subarray(0, BASE_PREFIX_BYTES) ?? null,
        );
      }
      this.insertRows(extras);
    })();
  }

  /** Indexes file maps and commits whose blobs are already indexed. */
  recordRows(extras: PackIndexExtras): void {
    this.endRead();
    this.db.transaction(() => this.insertRows(extras))();
  }

  private insertRows(extras: PackIndexExtras): void {
    const s = this.statements;
    for (const file of extras.files) s.insertFile.run(file.id, file.sizeBytes, file.chunkCount, file.filemapId);
    for (const commit of extras.commits) {
      s.insertCommit.run(
        commit.id,
        commit.treeId,
        commit.parentId ?? null,
        commit.author,
        commit.timeMs,
        commit.message,
        commit.fileCount,
        commit.logicalBytes,
      );
    }
  }

  /** Blob ids (with their types) and file ids that start with a hex prefix; at most a few of each. */
  idsWithPrefix(hexPrefix: string): { blobs: { id: Buffer; type: BlobType }[]; files: Buffer[] } {
    const { first, last } = idRangeOf(hexPrefix);
    const blobs = this.statements.blobIdsInRange.all(first, last) as { id: Buffer; type: BlobType }[];
    const files = this.statements.fileIdsInRange.all(first, last) as Buffer[];
    return { blobs, files };
  }

  packs(): PackRow[] {
    return this.db
      .prepare('SELECT id, name, size_bytes AS sizeBytes, frame_count AS frameCount, blob_count AS blobCount FROM packs ORDER BY id')
      .all() as PackRow[];
  }

  /**
   * Every indexed blob's id, pack and length, one row at a time in the order of the ids: one scan
   * for gc, push and verify of a remote, which keep a few numbers a pack (there is no index by pack).
   * No other statement of this catalog may run until the walk ends.
   */
  *eachBlobPlace(): Generator<{ id: Buffer; packId: number; length: number }> {
    this.endRead();
    yield* this.db.prepare('SELECT id, pack_id AS packId, length FROM blobs').iterate() as Iterable<{ id: Buffer; packId: number; length: number }>;
  }

  /** How many indexed blobs each pack holds, by pack id (a scan of the blobs). */
  blobCountsByPack(): Map<number, number> {
    this.beginRead();
    const rows = this.db.prepare('SELECT pack_id AS packId, count(*) AS n FROM blobs GROUP BY pack_id').all() as { packId: number; n: number }[];
    return new Map(rows.map((row) => [row.packId, row.n]));
  }

  /** The ids of one pack's indexed blobs: a scan of every blob, for reports of a damaged pack alone. */
  blobIdsInPack(packId: number): Buffer[] {
    this.beginRead();
    return this.db.prepare('SELECT id FROM blobs WHERE pack_id = ?').pluck().all(packId) as Buffer[];
  }

  allFiles(): FileRow[] {
    return (
      this.db.prepare('SELECT id, size_bytes, chunk_count, filemap_id FROM files').all() as {
        id: Buffer;
        size_bytes: number;
        chunk_count: number;
        filemap_id: Buffer;
      }[]
    ).map((row) => ({ id: row.id, sizeBytes: row.size_bytes, chunkCount: row.chunk_count, filemapId: row.filemap_id }));
  }

  /** SQLite's own consistency check: 'ok', or what is wrong. */
  quickCheck(): string {
    try {
      const rows = this.db.prepare('PRAGMA quick_check').pluck().all() as string[];
      return rows.join('; ');
    } catch (error) {
      return (error as Error).message;
    }
  }

  /** Runs `work` in one transaction. */
  transaction<T>(work: () => T): T {
    this.endRead();
    return this.db.transaction(work)();
  }

  deleteBlobs(ids: readonly Buffer[]): void {
    this.endRead();
    const statement = this.db.prepare('DELETE FROM blobs WHERE id = ?');
    for (const id of ids) statement.run(id);
  }

  deleteFiles(ids: readonly Buffer[]): void {
    this.endRead();
    const statement = this.db.prepare('DELETE FROM files WHERE id = ?');
    for (const id of ids) statement.run(id);
  }

  deleteCommits(ids: readonly Buffer[]): void {
    this.endRead();
    const statement = this.db.prepare('DELETE FROM commits WHERE id = ?');
    for (const id of ids) statement.run(id);
  }

  /**
   * Rewrites the catalog file without its free pages and with its B-trees full (SQLite's VACUUM,
   * in one transaction), and empties the WAL. Rows inserted in the random order of their ids leave
   * pages ~85% full: 614 KB became 549 KB after rxjs's 20 releases (measured by hand).
   */
  compact(): void {
    this.endRead();
    // VACUUM copies every page through two page caches of `cache_size`: better-sqlite3's 16 MB took gc
    // at 1,000,000 files (a 69 MB catalog) 38 MB higher, 2 MB only 6 MB, as fast (by hand).
    this.withPageCache(SMALL_PAGE_CACHE_KIB, () => this.db.exec('VACUUM'));
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /**
   * Runs `work` with SQLite's page cache cut to `kib` (pages over it are let go at once), then gives
   * the cache its size back: for work that reads few rows while other memory is at its peak.
   */
  withPageCache<T>(kib: number, work: () => T): T {
    const cacheSize = this.db.pragma('cache_size', { simple: true }) as number;
    this.db.pragma(`cache_size = ${-kib}`);
    const restore = (): void => void this.db.pragma(`cache_size = ${cacheSize}`);
    try {
      const result = work();
      if (result instanceof Promise) return result.finally(restore) as T;
      restore();
      return result;
    } catch (error) {
      restore();
      throw error;
    }
  }

  /** Removes those of these packs' rows that no blob points into any more (one scan of the blobs). */
  deleteEmptyPacks(packIds: readonly number[]): void {
    if (packIds.length === 0) return;
    this.endRead();
    const inUse = new Set(this.db.prepare('SELECT DISTINCT pack_id FROM blobs').pluck().all() as number[]);
    const statement = this.db.prepare('DELETE FROM packs WHERE id = ?');
    for (const packId of packIds) if (!inUse.has(packId)) statement.run(packId);
  }

  allCommits(): CommitRow[] {
    return (this.db.prepare('SELECT * FROM commits').all() as Record<string, unknown>[]).map(toCommitRow);
  }

  /** Chunk counts and bytes by size class: [2^k, 2^(k+1)) bytes, keyed by k. */
  chunkSizeHistogram(): { log2: number; count: number; bytes: number }[] {
    const rows = this.db.prepare('SELECT length FROM blobs WHERE type = 1').pluck().all() as number[];
    const buckets = new Map<number, { count: number; bytes: number }>();
    for (const length of rows) {
      const log2 = length === 0 ? 0 : Math.floor(Math.log2(length));
      const bucket = buckets.get(log2) ?? { count: 0, bytes: 0 };
      bucket.count++;
      bucket.bytes += length;
      buckets.set(log2, bucket);
    }
    return [...buckets].sort(([a], [b]) => a - b).map(([log2, bucket]) => ({ log2, ...bucket }));
  }

  /** A chunk's share of its frame's stored bytes (frames compress several chunks together). */
  chunkStoredShare(id: Buffer): { length: number; storedShare: number } | undefined {
    const row = this.statements.chunkShare.get(id) as { length: number; share: number } | undefined;
    return row === undefined ? undefined : { length: row.length, storedShare: row.share };
  }

  totals(): CatalogTotals {
    const packs = this.db.prepare('SELECT count(*) AS n, coalesce(sum(size_bytes), 0) AS bytes FROM packs').get() as { n: number; bytes: number };
    const chunks = this.db.prepare('SELECT count(*) AS n, coalesce(sum(length), 0) AS bytes FROM blobs WHERE type = 1').get() as { n: number; bytes: number };
    return { packCount: packs.n, packBytes: packs.bytes, chunkCount: chunks.n, uniqueChunkBytes: chunks.bytes };
  }
}

function toLocation([
  id,
  type,
  packName,
  frameOffset,
  frameStoredLength,
  frameRawLength,
  codec,
  offsetInFrame,
  length,
  basePrefix,
]: BlobLocationRow): BlobLocation {
  return {
    id,
    type: type as BlobType,
    packName,
    frameOffset,
    frameStoredLength,
    frameRawLength,
    codec: codec as Codec,
    offsetInFrame,
    length,
    ...(basePrefix === null ? {} : { basePrefix }),
  };
}

function toCommitRow(row: Record<string, unknown>): CommitRow {
  return {
    id: row.id as Buffer,
    treeId: row.tree_id as Buffer,
    parentId: (row.parent_id as Buffer | null) ?? undefined,
    author: row.author as string,
    timeMs: row.time_ms as number,
    message: row.message as string,
    fileCount: row.file_count as number,
    logicalBytes: row.logical_bytes as number,
  };
}

/** An empty file is an empty SQLite database: made first, so that its mode is ours, not SQLite's 0644. */
function createEmptyFile(path: string, mode: number): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', mode);
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return;
    throw error;
  }
  try {
    fchmodSync(fd, mode);
  } finally {
    closeSync(fd);
  }
}
