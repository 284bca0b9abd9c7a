import { dirname } from 'node:path';
import { undoIfAbandoned } from '../../core/abandon.js';
import { batchesOf } from '../../core/batches.js';
import { collectEvery, WALK_COLLECT_EVERY } from '../../core/memory.js';
import { removeOwnTemporaries } from '../../core/fs-atomic.js';
import { restoreEachFile, restoreFailure, type FileToRestore, type RestoreFailure } from '../../core/restore-file.js';
import { defaultJobs, WorkerPool } from '../../workers/pool.js';
import { BlobType } from '../../core/vocabulary.js';
import type { Repository } from '../../repository/repository.js';
import type { PlannedFile } from '../../workers/tasks.js';
import { loadFileMap, locateReferencedBlob } from '../history/objects-io.js';
import { streamTarget } from './stream.js';

/** A file to restore on this thread, its bytes read from the repository (see core/restore-file.ts). */
export type RestoreItem = FileToRestore;

/** Restores each item from `repo` on this thread; one that fails is reported and the others are still restored. */
export function restoreEach(repo: Repository, items: Iterable<RestoreItem>): Promise<RestoreFailure[]> {
  return restoreEachFile(items, (item) => async (write) => {
    await streamTarget(repo, { kind: 'file', fileId: Buffer.from(item.fileId, 'hex'), sizeBytes: item.sizeBytes }, write);
  });
}

/**
 * A file with where each of its chunks lies: a worker restores it reading packs by those locations,
 * with no catalog and no repository of its own (each worker opening the repository cost ~30 MB).
 */
export function planRestore(repo: Repository, item: RestoreItem): PlannedFile {
  const fileId = Buffer.from(item.fileId, 'hex');
  // A content of one chunk (most small files) is that chunk: one catalog lookup, where going through
  // fileRecord and loadFileMap took three (each a random page of a large table: 8.5 us by hand in a
  // 56 MB catalog of 500,000 files).
  const whole = repo.catalog.blobLocation(fileId);
  const locations =
    whole?.type === BlobType.Chunk
      ? [whole]
      : [...loadFileMap(repo, fileId).chunks].map((chunk) => locateReferencedBlob(repo, Buffer.from(chunk.id), BlobType.Chunk, `file ${item.fileId}`));
  // A delta's chain of bases travels with it: the worker has no catalog to look them up.
  const planned = locations.map((location) => (location.basePrefix === undefined ? location : repo.catalog.withBases(location)));
  return { ...item, chunks: planned.map((location) => ({ ...location, id: location.id.toString('hex') })) };
}

/** Below this many files, or bytes, worker threads cost more to start than they save. */
const PARALLEL_RESTORE_MIN_FILES = 64;
const PARALLEL_RESTORE_MIN_BYTES = 32 * 1024 * 1024;
/**
 * A directory of small files is one batch, up to this many. 1024 (a whole 1,000-file directory per
 * batch) was ~10% faster but peaked at 208 MB on a 1,000,000-file checkout; 256 peaked at 184 MB
 * (bench/results/checkout-batch-s36.md): the bound on memory wins.
 */
const RESTORE_BATCH_MAX_FILES = 256;
const RESTORE_BATCH_MIN_FILES = 32;
const RESTORE_BATCH_MAX_BYTES = 8 * 1024 * 1024;
/**
 * Files planned between two collections on the main thread: planning leaves garbage per file, and
 * every WALK_COLLECT_EVERY files let a 500,000-file checkout peak ~90 MB higher (by hand).
 */
const PLANNED_FILES_PER_COLLECTION = WALK_COLLECT_EVERY / 8;

/**
 * Writes files out, on worker threads when there are many files or many bytes, else on this thread:
 * this room alone decides. `items` may be a stream (a walk of a commit's trees): it is read as the
 * workers want batches, so that memory holds a few batches, not the tree. Workers get batches of
 * planned files (small ones together, a large one alone) and read packs by those plans, one frame at
 * a time, so memory stays bounded whatever the sizes.
 */
export async function restoreAll(repo: Repository, items: Iterable<RestoreItem>, jobs = defaultJobs()): Promise<RestoreFailure[]> {
  const iterator = items[Symbol.iterator]();
  // Enough read ahead to know whether threads are worth starting.
  const ahead: RestoreItem[] = [];
  let aheadBytes = 0;
  let ended = false;
  while (ahead.length < PARALLEL_RESTORE_MIN_FILES && aheadBytes < PARALLEL_RESTORE_MIN_BYTES) {
    const next = iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    ahead.push(next.value);
    aheadBytes += next.value.sizeBytes;
  }
  function* all(): Generator<RestoreItem> {
    yield* ahead;
    if (!ended) for (let next = iterator.next(); !next.done; next = iterator.next()) yield next.value;
  }
  // One thread (a machine or a CPU set of one core): every item on this thread, the read-ahead and the
  // rest. (Given the read-ahead alone, a checkout there wrote its first 64 files and reported success.)
  if (jobs < 2 || ended) return restoreEach(repo, all());
  // In path order, the order files were added in: neighbours share frames, which a reader decompresses once.
  const batches = batchesOf(all(), (item) => item.sizeBytes, {
    maxItems: RESTORE_BATCH_MAX_FILES,
    maxBytes: RESTORE_BATCH_MAX_BYTES,
    groupOf: (item) => dirname(item.path),
    minItems: RESTORE_BATCH_MIN_FILES,
  });
  const pool = await WorkerPool.start(jobs);
  // An interrupt ends the worker threads with the process: what they were writing is removed from here.
  const directoriesWritten = new Set<string>();
  const forget = undoIfAbandoned(() => directoriesWritten.forEach(removeOwnTemporaries));
  try {
    // Planned here, a batch as a worker is about to want it (two per thread waiting, so none idles):
    // the catalog stays on this thread, and a file that cannot be planned is a failure of its own.
    const failuresByBatch: RestoreFailure[][] = [];
    const pace = collectEvery(PLANNED_FILES_PER_COLLECTION);
    let batchCount = 0;
    let stopped = false;
    const feedOneThread = async (): Promise<void> => {
      for (let next = batches.next(); !stopped && !next.done; next = batches.next()) {
        const index = batchCount++;
        const planningFailures: RestoreFailure[] = [];
        const planned = next.value.flatMap((item): PlannedFile[] => {
          pace();
          directoriesWritten.add(dirname(item.absolutePath));
          try {
            return [planRestore(repo, item)];
          } catch (error) {
            planningFailures.push(restoreFailure(item.path, error));
            return [];
          }
        });
        try {
          const result = await pool.restoreFiles({ packsDirectory: repo.layout.packs, files: planned });
          failuresByBatch[index] = [...planningFailures, ...result.failures];
        } catch (error) {
          stopped = true; // a thread that failed outright ends the restore: the others take no more
          throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: pool.threads * 2 }, feedOneThread));
    return failuresByBatch.flat();
  } finally {
    forget();
    await pool.close();
  }
}
