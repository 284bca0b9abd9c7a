import { batchesOf } from '../../core/batches.js';
import { STABLE_READ_ATTEMPTS, unreadableReason } from '../../core/stable-read.js';
import { lstatSync, readlinkSync } from 'node:fs';
import { HASH_BYTES } from '../../core/hash.js';
import { FileMapBuilder } from '../../objects/filemap.js';
import type { Repository } from '../../repository/repository.js';
import type { BlobWriter } from '../../store/blob-writer.js';
import type { ReadBatchResult } from '../../workers/tasks.js';
import type { WorkerPool } from '../../workers/pool.js';
import { ThreadWindowHasher, type WindowHasher } from '../../workers/window-hasher.js';
import { LARGE_FILE_MIN_BYTES, SMALL_FILE_MAX_BYTES } from './classifier.js';
import { FileChangedWhileReading, ingestBytes, ingestFile, storeFileMap } from './file-ingest.js';
import { DeltaBases } from './delta-bases.js';
import { isExecutable, workTreePath, type ScannedFile, type StatData } from '../worktree/scanner.js';
import { fsPath } from '../../core/path-bytes.js';
import { BlobType, EntryKind } from '../../core/vocabulary.js';

export interface IngestOptions {
  hashingThread: boolean;
  /** The content the file had before (its staged version), to store the new one as a delta of it. */
  previousContent?: (file: ScannedFile) => Buffer | undefined;
}

export type IngestOutcome =
  | { file: ScannedFile; kind: ScannedFile['kind']; fileId: Buffer; sizeBytes: number; newChunkCount: number; stat: StatData }
  | { file: ScannedFile; reason: string; vanished: boolean };

/** Files per batch sent to a worker, and bytes: enough to amortize a message, small enough to spread. */
const BATCH_MAX_FILES = 64;
const BATCH_MAX_BYTES = 1024 * 1024;
/**
 * A batch's buffer holds any batch (each file gets one byte more, to notice growth). Buffers go to
 * the workers and come back: a new ArrayBuffer per batch kept ~70 MB more RSS, waiting for GC.
 */
const BATCH_BUFFER_BYTES = Math.max(BATCH_MAX_BYTES, SMALL_FILE_MAX_BYTES) + BATCH_MAX_FILES;

/**
 * Reads, chunks, hashes and stores `files`, reporting each outcome in order. With `batchPool`,
 * small regular files go in batches to its workers, which read, chunk and hash them; the main thread
 * only deduplicates (against the catalog and the pending set) and writes. Larger files and symlinks
 * are streamed here, in bounded windows, their frames compressed on the pool. Which threads run is
 * the strategy's choice (classifier.ts): `batchPool` and `hashingThread` carry it out.
 */
export async function ingestFiles(
  repo: Repository,
  files: readonly ScannedFile[],
  writer: BlobWriter,
  batchPool: WorkerPool | undefined,
  onOutcome: (outcome: IngestOutcome) => void,
  onBytesRead: (bytes: number) => void,
  options: IngestOptions = { hashingThread: false },
): Promise<void> {
  const batched = batchPool ? files.filter(isBatchable) : [];
  const streamed = batchPool ? files.filter((file) => !isBatchable(file)) : files;
  const basesOf = (file: ScannedFile): DeltaBases | undefined => {
    const previous = options.previousContent?.(file);
    return previous === undefined ? undefined : new DeltaBases(repo, previous);
  };
  if (batchPool && batched.length > 0) await ingestBatches(repo, batched, writer, batchPool, onOutcome, onBytesRead, basesOf);
  const hashingThread = options.hashingThread ? ThreadWindowHasher.start() : undefined;
  try {
    for (const file of streamed) {
      onOutcome(await ingestOnMainThread(repo, file, writer, onBytesRead, isLarge(file) ? hashingThread : undefined, basesOf(file)));
      await writer.drain();
    }
  } finally {
    await hashingThread?.close();
  }
}

function isLarge(file: ScannedFile): boolean {
  return file.kind !== EntryKind.Symlink && file.stats.size >= LARGE_FILE_MIN_BYTES;
}

function isBatchable(file: ScannedFile): boolean {
  return file.kind !== EntryKind.Symlink && file.stats.size <= SMALL_FILE_MAX_BYTES;
}

async function ingestBatches(
  repo: Repository,
  files: readonly ScannedFile[],
  writer: BlobWriter,
  pool: WorkerPool,
  onOutcome: (outcome: IngestOutcome) => void,
  onBytesRead: (bytes: number) => void,
  basesOf: (file: ScannedFile) => DeltaBases | undefined,
): Promise<void> {
  const batches = splitIntoBatches(files);
  const inFlight: Promise<ReadBatchResult>[] = [];
  const spareBuffers: ArrayBuffer[] = [];
  const submit = (index: number): void => {
    const batch = batches[index];
    if (!batch) return;
    const batchFiles = batch.map((file) => ({ absolutePath: workTreePath(repo.workTree, file.path), expectedBytes: file.stats.size }));
    const buffer = spareBuffers.pop() ?? new ArrayBuffer(BATCH_BUFFER_BYTES);
    inFlight.push(pool.readBatch({ files: batchFiles, chunking: repo.config.chunking, buffer }));
  };
  const ahead = pool.threads * 2;
  try {
    for (let i = 0; i < Math.min(ahead, batches.length); i++) submit(i);
    for (let index = 0; index < batches.length; index++) {
      const result = await inFlight.shift()!;
      submit(index + ahead);
      const data = Buffer.from(result.data.buffer, result.data.byteOffset, result.data.byteLength);
      batches[index]!.forEach((file, i) => {
        const read = result.files[i]!;
        if (read.outcome !== 'read') {
          onOutcome({ file, reason: read.reason, vanished: read.outcome === 'vanished' });
          return;
        }
        const chunks = new FileMapBuilder();
        let newChunkCount = 0;
        let offset = read.dataOffset;
        const bases = basesOf(file);
        read.chunkLengths.forEach((length, c) => {
          const id = Buffer.from(read.chunkIds.buffer, read.chunkIds.byteOffset + c * HASH_BYTES, HASH_BYTES);
          const inFile = offset - read.dataOffset;
          const deltaBase = bases && (() => bases.chunkBase(inFile, length));
          if (writer.addBlob(BlobType.Chunk, id, data.subarray(offset, offset + length), { deltaBase })) newChunkCount++;
          chunks.add(id, length);
          offset += length;
        });
        const fileId = Buffer.from(read.fileId.buffer, read.fileId.byteOffset, HASH_BYTES);
        storeFileMap(writer, fileId, read.sizeBytes, chunks, bases);
        onBytesRead(read.sizeBytes);
        const kind = isExecutable(read.stat.mode) ? EntryKind.Executable : EntryKind.File;
        onOutcome({ file, kind, fileId, sizeBytes: read.sizeBytes, newChunkCount, stat: read.stat });
      });
      spareBuffers.push(result.data.buffer as ArrayBuffer); // addBlob copied what it keeps
      await writer.drain();
    }
  } catch (error) {
    await Promise.allSettled(inFlight); // let the batches still out settle before the pool closes
    throw error;
  }
}

function splitIntoBatches(files: readonly ScannedFile[]): ScannedFile[][] {
  return [...batchesOf(files, (file) => file.stats.size, { maxItems: BATCH_MAX_FILES, maxBytes: BATCH_MAX_BYTES })];
}

async function ingestOnMainThread(
  repo: Repository,
  file: ScannedFile,
  writer: BlobWriter,
  onBytesRead: (bytes: number) => void,
  hasher: WindowHasher | undefined,
  bases: DeltaBases | undefined,
): Promise<IngestOutcome> {
  const absolutePath = workTreePath(repo.workTree, file.path);
  const chunking = repo.config.chunking;
  for (let attempt = 1; ; attempt++) {
    try {
      if (file.kind === EntryKind.Symlink) {
        const target = readlinkSync(fsPath(absolutePath), { encoding: 'buffer' });
        const stat = lstatSync(fsPath(absolutePath), { bigint: true });
        const content = await ingestBytes(target, chunking, writer);
        return { file, kind: file.kind, ...content, stat };
      }
      const { stats, ...content } = await ingestFile(absolutePath, chunking, writer, onBytesRead, hasher, bases);
      const kind = isExecutable(stats.mode) ? EntryKind.Executable : EntryKind.File;
      return { file, kind, ...content, stat: stats };
    } catch (error) {
      if (error instanceof FileChangedWhileReading) {
        if (attempt < STABLE_READ_ATTEMPTS) continue;
        return { file, reason: `changed while being read (${STABLE_READ_ATTEMPTS} attempts)`, vanished: false };
      }
      const unreadable = unreadableReason(error);
      if (unreadable === undefined) throw error;
      return { file, ...unreadable };
    }
  }
}
