import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Catalog } from '../catalog/catalog.js';
import { CorruptionError, errnoCode, StoreError } from '../core/errors.js';
import { fsyncDirectory, makeDirectories, writeFileAtomic } from '../core/fs-atomic.js';
import { uniqueToken } from '../core/unique-token.js';
import { BlobWriter, type BlobWriterTotals } from '../store/blob-writer.js';
import { InlineCompression } from '../store/frame-compression.js';
import { framesPerTask, WorkerCompression } from '../workers/worker-compression.js';
import type { WorkerPool } from '../workers/pool.js';
import { PackReader } from '../store/pack-reader.js';
import { LocalPackStore, type PackStore } from '../store/pack-store.js';
import { type ReadingMemo, treeCacheMemo } from '../staging/tree-cache.js';
import { defaultConfig, FORMAT_VERSION, readConfig, serializeConfig, type RepositoryConfig } from './config.js';
import { REPOSITORY_DIRECTORY, RepositoryLayout, storeDirectoryMode, type RepositorySharing } from './layout.js';
import { WriterLock, type LockOwner } from './lock.js';
import { Refs } from './refs.js';
import { type ChunkingParameters, MAX_DELTA_DEPTH } from '../core/vocabulary.js';

export interface InitOptions {
  chunking?: ChunkingParameters;
  zstdLevel?: number;
  /** Private (the default: only the owner can read it) or readable and writable by the group. */
  sharing?: RepositorySharing;
}

export interface OpenOptions {
  /** An explicit work tree (`--repo`); otherwise the repository is found by walking up from `cwd`. */
  repoPath?: string;
  cwd?: string;
  /** How long a writer waits for another writer's lock. */
  lockTimeoutMs?: number;
  onNotice?: (message: string) => void;
}

export const DEFAULT_LOCK_TIMEOUT_MS = 5000;

/** What a blob writer is for: new blobs (the default), or gc's copies (see Repository.newBlobWriter). */
export interface BlobWriterUse {
  repack?: { level: number; packFlags: number };
}

/** The facade commands call: a work tree with its `.store/` directory. */
export class Repository {
  readonly layout: RepositoryLayout;
  readonly config: RepositoryConfig;
  readonly refs: Refs;
  private catalogInstance: Catalog | undefined;
  private readerInstance: PackReader | undefined;
  private treeMemoInstance: ReadingMemo | undefined;
  private packStoreInstance: PackStore | undefined;

  private constructor(
    workTree: string,
    private readonly options: OpenOptions,
  ) {
    this.layout = new RepositoryLayout(workTree);
    this.config = readConfig(this.layout.config);
    this.refs = new Refs(this.layout);
  }

  static init(directory: string, options: InitOptions = {}): Repository {
    const workTree = resolve(directory);
    const layout = new RepositoryLayout(workTree);
    refuseToInitOver(layout);
    mkdirSync(workTree, { recursive: true });
    // Build the repository under a temporary name and rename it into place: a crash never leaves half a repository.
    const building = new RepositoryLayout(workTree, join(workTree, `.store-init-${uniqueToken(8)}`));
    try {
      mkdirSync(building.storeDirectory, { mode: 0o700 });
      chmodSync(building.storeDirectory, storeDirectoryMode(options.sharing ?? 'private'));
      makeDirectories(building.packs, building.directoryMode);
      makeDirectories(building.temporary, building.directoryMode);
      writeFileAtomic(building.config, serializeConfig(defaultConfig(options)), { mode: building.fileMode });
      new Refs(building).initialize();
      new Catalog(building.catalog, { createMode: building.fileMode }).close();
      renameSync(building.storeDirectory, layout.storeDirectory);
      fsyncDirectory(workTree);
    } catch (error) {
      rmSync(building.storeDirectory, { recursive: true, force: true });
      if (['EEXIST', 'ENOTEMPTY'].includes(errnoCode(error) ?? '')) {
        throw new StoreError('REPOSITORY_EXISTS', `a repository already exists at ${layout.storeDirectory}`);
      }
      throw error;
    }
    return new Repository(workTree, {});
  }

  static open(options: OpenOptions = {}): Repository {
    const workTree = options.repoPath !== undefined ? resolve(options.repoPath) : Repository.find(options.cwd ?? process.cwd());
    if (workTree === undefined || !existsSync(new RepositoryLayout(workTree).config)) {
      const where = options.repoPath ?? options.cwd ?? process.cwd();
      throw new StoreError('NOT_A_REPOSITORY', `not a store repository (or any parent up to /): ${where}`, {
        hint: 'run `store init` to create one here',
      });
    }
    return new Repository(workTree, options);
  }

  /** The nearest directory at or above `start` that holds `.store/config`. */
  static find(start: string): string | undefined {
    let directory = resolve(start);
    for (;;) {
      const candidate = join(directory, REPOSITORY_DIRECTORY, 'config');
      try {
        if (statSync(candidate).isFile()) return directory;
      } catch {
        // not here; keep walking up
      }
      const parent = dirname(directory);
      if (parent === directory) return undefined;
      directory = parent;
    }
  }

  get workTree(): string {
    return this.layout.workTree;
  }

  get catalog(): Catalog {
    if (this.catalogInstance === undefined) {
      if (!existsSync(this.layout.catalog)) {
        throw new CorruptionError('CORRUPT_CATALOG', `the catalog ${this.layout.catalog} is missing`, {
          hint: 'run `store repair` to rebuild it from the packs',
        });
      }
      this.catalogInstance = new Catalog(this.layout.catalog);
      this.catalogInstance.wholeBaseIdOf = (delta) => this.packReader.wholeBaseId(delta);
    }
    return this.catalogInstance;
  }

  /** Where this repository's packs live (its `.store/packs` directory). */
  get packStore(): PackStore {
    this.packStoreInstance ??= new LocalPackStore(this.layout.packs, this.layout);
    return this.packStoreInstance;
  }

  get packReader(): PackReader {
    this.readerInstance ??= new PackReader(this.layout.packs, undefined, this.treeMemo, (delta) => this.catalog.baseLocation(delta));
    return this.readerInstance;
  }

  /** The memo the reader verifies trees through (the tree cache's groups and whole trees). */
  get treeMemo(): ReadingMemo {
    this.treeMemoInstance ??= treeCacheMemo(this.layout.treeCache);
    return this.treeMemoInstance;
  }

  /**
   * A writer for new blobs; without a worker pool it compresses on this thread (best for small jobs).
   * `repack` (gc): blobs are written again where the catalog has them, at `repack.level`, and each
   * pack's header carries `repack.packFlags`.
   */
  newBlobWriter(pool?: WorkerPool, options: BlobWriterUse = {}): BlobWriter {
    const level = options.repack?.level ?? this.config.compression.level;
    const frameTargetBytes = this.config.frameTargetBytes;
    const perTask = framesPerTask(frameTargetBytes);
    const compression = pool ? new WorkerCompression(pool, level, perTask) : new InlineCompression(level);
    const compressionThreads = pool?.threads ?? 0;
    return new BlobWriter(this.catalog, {
      packsDirectory: this.layout.packs,
      temporaryDirectory: this.layout.temporary,
      fileMode: this.layout.fileMode,
      directoryMode: this.layout.directoryMode,
      frameTargetBytes,
      packTargetBytes: this.config.packTargetBytes,
      maxBlobBytes: this.config.chunking.maxBytes,
      compression,
      // Enough frames queued to keep every thread busy while this one reads and chunks the next window:
      // one message's worth of frames per thread (measured: see frame-compression.ts).
      maxFramesInFlight: Math.max(2, compressionThreads * perTask),
      relocate: options.repack !== undefined,
      packFlags: options.repack?.packFlags,
      readBlob: (location) => this.packReader.borrowBlob(location),
      isBaseCheap: (location) => this.packReader.holdsFrame(location),
      compressionLevel: level,
      deltaDepth: this.config.deltaDepth ?? MAX_DELTA_DEPTH,
    });
  }

  /**
   * Runs `write` with a new blob writer, then seals what it wrote (packs sealed, catalog updated); if
   * `write` or the sealing fails, the unsealed pack is dropped and the error goes on. Returns what
   * `write` returned and the writer's totals.
   */
  async withBlobWriter<T>(
    write: (writer: BlobWriter) => Promise<T> | T,
    options: BlobWriterUse & { pool?: WorkerPool } = {},
  ): Promise<{ result: T; totals: BlobWriterTotals }> {
    const writer = this.newBlobWriter(options.pool, options);
    try {
      const result = await write(writer);
      await writer.finish();
      return { result, totals: writer.totals };
    } catch (error) {
      await writer.abort();
      throw error;
    }
  }

  /** Runs `work` as the only writer of this repository. */
  async withWriteLock<T>(work: () => Promise<T> | T): Promise<T> {
    const lock = new WriterLock(this.layout.lock, this.layout.fileMode);
    lock.acquire({ timeoutMs: this.options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, onStaleLock: this.noticeStaleLock });
    try {
      this.upgradeFormat();
      return await work();
    } finally {
      lock.release();
    }
  }

  /**
   * Runs `work` holding the writer lock if no other writer holds it, and otherwise returns undefined
   * without waiting: for optional writes (status's refresh of stat data), which must never make a
   * reader wait or fail. The format is not upgraded: such a write stores no object.
   */
  tryWithWriteLock<T>(work: () => T): T | undefined {
    const lock = new WriterLock(this.layout.lock, this.layout.fileMode);
    try {
      lock.acquire({ timeoutMs: 0, onStaleLock: this.noticeStaleLock });
    } catch (error) {
      if (error instanceof StoreError && error.code === 'LOCKED') return undefined;
      throw error;
    }
    try {
      return work();
    } finally {
      lock.release();
    }
  }

  private readonly noticeStaleLock = (owner: LockOwner): void =>
    this.options.onNotice?.(`removed a stale lock left by PID ${owner.pid} on ${owner.host} (since ${owner.since})`);

  /** Marks an older repository with the version this writer writes (see FORMAT_VERSION). */
  private upgradeFormat(): void {
    if (this.config.formatVersion >= FORMAT_VERSION) return;
    this.config.formatVersion = FORMAT_VERSION;
    writeFileAtomic(this.layout.config, serializeConfig(this.config), { mode: this.layout.fileMode });
  }

  close(): void {
    this.readerInstance?.close();
    this.catalogInstance?.close();
    this.readerInstance = undefined;
    this.catalogInstance = undefined;
  }
}

/**
 * init goes ahead only where nothing is in the way: no `.store`, or an empty `.store/` directory (which
 * `open` calls no repository either, and which the rename into place replaces). Anything else is named
 * as what it is, and left as it was.
 */
function refuseToInitOver(layout: RepositoryLayout): void {
  const stats = lstatSync(layout.storeDirectory, { throwIfNoEntry: false });
  if (stats === undefined) return;
  if (existsSync(layout.config)) {
    throw new StoreError('REPOSITORY_EXISTS', `a repository already exists at ${layout.storeDirectory}`, { hint: 'nothing was changed' });
  }
  if (!stats.isDirectory()) {
    const what = stats.isSymbolicLink() ? 'a symbolic link' : 'a file';
    throw new StoreError('REPOSITORY_EXISTS', `${layout.storeDirectory} exists and is ${what}, not a repository`, {
      hint: 'store keeps its repository in .store/: move that file away first; nothing was changed',
    });
  }
  if (readdirSync(layout.storeDirectory).length > 0) {
    throw new StoreError('REPOSITORY_EXISTS', `${layout.storeDirectory} exists and is not empty, but holds no repository (it has no config)`, {
      hint: 'move it away first; nothing was changed',
    });
  }
}
