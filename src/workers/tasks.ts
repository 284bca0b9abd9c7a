import { closeSync, fstatSync, readSync } from 'node:fs';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { findChunks } from '../chunking/fastcdc.js';
import { CorruptionError, type ErrorData, errorData } from '../core/errors.js';
import { digestOf, hashBytes, HASH_BYTES, withHasher } from '../core/hash.js';
import { openForStableRead, sameStat, STABLE_READ_ATTEMPTS, type StatData, statDataOf, unreadableReason } from '../core/stable-read.js';
import { FrameCompressor } from '../store/compression.js';
import { restoreEachFile, type ContentProducer, type FileToRestore, type RestoreFailure } from '../core/restore-file.js';
import { frameKey, PackReader, unpackFrameInto } from '../store/pack-reader.js';
import type { BlobLocation, ChunkingParameters } from '../core/vocabulary.js';
import { collectGarbageNow, keepYoungGenerationSmall } from '../core/memory.js';

/**
 * Worker-thread entry points (piscina calls them by name). Nothing here touches the repository:
 * workers read, chunk, hash and compress; the main thread alone writes packs and the catalog.
 */

// This thread's isolate, just set up, put V8's growth factor back to its default (see core/memory.ts).
keepYoungGenerationSmall();

// ---------- compress ----------

export interface CompressTask {
  /** Frames to compress, each at the start of an ArrayBuffer of its own. */
  raws: Uint8Array[];
  level: number;
}

const compressors = new Map<number, FrameCompressor>();

/**
 * Compresses frames in place, each in its own ArrayBuffer, and transfers those buffers back, so the
 * main thread reuses them and nothing is allocated per frame. Each result is zstd exactly when it is
 * shorter than its input. Several frames per task: each message costs ~0.3 ms each way.
 */
export function compress(task: CompressTask): Uint8Array[] {
  let compressor = compressors.get(task.level);
  if (compressor === undefined) {
    compressor = new FrameCompressor(task.level);
    compressors.set(task.level, compressor);
  }
  const level = compressor;
  const stored = task.raws.map((raw) => {
    const length = level.compress(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)).bytes.length;
    return new Uint8Array(raw.buffer, raw.byteOffset, length);
  });
  return move({ [transferableSymbol]: stored.map((bytes) => bytes.buffer), [valueSymbol]: stored } as never) as unknown as Uint8Array[];
}

// ---------- read, chunk and hash a batch of small files ----------

export interface BatchFile {
  absolutePath: string;
  /** Size seen by the scan: the file is read into a slot of this size (plus one byte, to notice growth). */
  expectedBytes: number;
}

export interface ReadBatchTask {
  files: BatchFile[];
  chunking: ChunkingParameters;
  /** Where the files are read: at least the sum of `expectedBytes + 1`; it comes back as `data`'s buffer. */
  buffer: ArrayBuffer;
}

export type BatchFileResult =
  | {
      outcome: 'read';
      fileId: Uint8Array;
      /** Where the file's bytes start in the batch's data. */
      dataOffset: number;
      sizeBytes: number;
      /** Chunk lengths, in order; the chunk ids are `chunkIds[32*i .. 32*i+32]`. */
      chunkLengths: number[];
      chunkIds: Uint8Array;
      stat: StatData;
    }
  | { outcome: 'changed' | 'vanished' | 'unreadable' | 'not-regular'; reason: string };

export interface ReadBatchResult {
  files: BatchFileResult[];
  data: Uint8Array;
}

/**
 * Reads each file whole (they are small) into the task's buffer, checks it did not change while read,
 * chunks and hashes it. The buffer goes back to the main thread, moved, not copied, to be reused.
 */
export function readBatch(task: ReadBatchTask): ReadBatchResult {
  const capacity = task.files.reduce((sum, file) => sum + file.expectedBytes + 1, 0);
  if (task.buffer.byteLength < capacity) throw new Error(`batch buffer of ${task.buffer.byteLength} bytes for ${capacity}`);
  const data = Buffer.from(task.buffer);
  const files: BatchFileResult[] = [];
  let dataOffset = 0;
  for (const file of task.files) {
    const slot = data.subarray(dataOffset, dataOffset + file.expectedBytes + 1);
    const result = readOne(file.absolutePath, slot, task.chunking, dataOffset);
    files.push(result);
    if (result.outcome === 'read') dataOffset += result.sizeBytes;
  }
  const value: ReadBatchResult = { files, data: new Uint8Array(data.buffer, 0, dataOffset) };
  return move({ [transferableSymbol]: [data.buffer], [valueSymbol]: value } as never) as unknown as ReadBatchResult;
}

function readOne(absolutePath: string, slot: Buffer, chunking: ChunkingParameters, dataOffset: number): BatchFileResult {
  for (let attempt = 1; attempt <= STABLE_READ_ATTEMPTS; attempt++) {
    let fd: number;
    try {
      fd = openForStableRead(absolutePath);
    } catch (error) {
      const unreadable = unreadableReason(error);
      if (unreadable === undefined) throw error;
      return { outcome: unreadable.vanished ? 'vanished' : 'unreadable', reason: unreadable.reason };
    }
    try {
      const before = fstatSync(fd, { bigint: true });
      if (!before.isFile()) return { outcome: 'not-regular', reason: 'no longer a regular file' };
      const size = Number(before.size);
      if (size + 1 > slot.length) return { outcome: 'changed', reason: 'grew after it was scanned' };
      let got = 0;
      for (;;) {
        const n = readSync(fd, slot, got, slot.length - got, null);
        if (n === 0) break;
        got += n;
        if (got === slot.length) break;
      }
      const after = fstatSync(fd, { bigint: true });
      if (got !== size || !sameStat(before, after)) continue;
      const content = slot.subarray(0, size);
      const { chunks } = findChunks(content, chunking, true);
      const chunkIds = Buffer.allocUnsafe(chunks.length * HASH_BYTES);
      chunks.forEach((span, i) => hashBytes(content.subarray(span.offset, span.offset + span.length)).copy(chunkIds, i * HASH_BYTES));
      const stat = statDataOf(after);
      // A file of one chunk has that chunk's id as its file id: no second pass over its bytes.
      const fileId = chunks.length === 1 ? Buffer.from(chunkIds) : hashBytes(content);
      return { outcome: 'read', fileId, dataOffset, sizeBytes: size, chunkLengths: chunks.map((span) => span.length), chunkIds, stat };
    } finally {
      closeSync(fd);
    }
  }
  return { outcome: 'changed', reason: `changed while being read (${STABLE_READ_ATTEMPTS} attempts)` };
}

// ---------- restore files, as the main thread planned them ----------

/**
 * A file to write, with where each of its chunks lies: the worker reads packs, never the catalog. Ids
 * travel as hex: a Buffer is cloned with the whole ArrayBuffer it views (often an 8 KiB pool slab),
 * which made a checkout of 12,000 files peak ~100 MB higher.
 */
export interface PlannedFile extends FileToRestore {
  chunks: PlannedChunk[];
}

export type PlannedChunk = Omit<BlobLocation, 'id'> & { id: string };

export interface RestoreFilesTask {
  packsDirectory: string;
  files: PlannedFile[];
}

/** Errors cross the thread boundary as plain data, so their code survives. */
export interface RestoreFilesResult {
  failures: RestoreFailure[];
}

/**
 * Writes a batch of planned files: each chunk read and verified against its id, each file against its
 * file id. The thread keeps one reader (open packs, cached frames) for its life: it reuses its frame
 * buffers, so nothing waits for a collector, and neighbouring batches share frames.
 */
/** Files a thread restores between two full collections of its heap (see collectGarbageNow). */
const RESTORE_FILES_PER_COLLECTION = 4096;
let restoredSinceCollection = 0;

export async function restoreFiles(task: RestoreFilesTask): Promise<RestoreFilesResult> {
  restoredSinceCollection += task.files.length;
  if (restoredSinceCollection >= RESTORE_FILES_PER_COLLECTION) {
    restoredSinceCollection = 0;
    collectGarbageNow();
  }
  const failures = await restoreEachFile(inFrameOrder(task.files), (file) => producePlanned(readerFor(task.packsDirectory), file));
  const place = new Map(task.files.map((file, index) => [file.path, index]));
  return { failures: failures.sort((a, b) => place.get(a.path)! - place.get(b.path)!) }; // as they were given
}

/**
 * The files grouped by the frame that holds each one's first chunk, frames in the order first met,
 * files in their given (path) order within a frame. Files added together lie in one frame in path order, but a file changed since
 * lies in a later frame: in path order alone, after a 1% change of 500,000 files, a reader caching
 * one frame unpacked the same 2 MiB frame again after every changed file (~10,000 times; 23 of a
 * checkout -o's CPU-seconds, measured by profile).
 */
export function inFrameOrder(files: readonly PlannedFile[]): PlannedFile[] {
  const byFrame = new Map<string, PlannedFile[]>(); // frames in the order first met
  for (const file of files) {
    const key = file.chunks.length === 0 ? '' : frameKey(file.chunks[0]!);
    const group = byFrame.get(key);
    if (group === undefined) byFrame.set(key, [file]);
    else group.push(file);
  }
  return [...byFrame.values()].flat();
}

/**
 * Frames a restoring thread keeps unpacked: the batch's frames come one after another (see
 * inFrameOrder), and the next batch, of the next directory, usually begins in the frame of most of
 * this one's files, which is then still here.
 */
const RESTORE_CACHED_FRAMES = 2;

let reader: { packsDirectory: string; packs: PackReader } | undefined;

function readerFor(packsDirectory: string): PackReader {
  if (reader?.packsDirectory !== packsDirectory) {
    reader?.packs.close();
    reader = { packsDirectory, packs: new PackReader(packsDirectory, RESTORE_CACHED_FRAMES) };
  }
  return reader.packs;
}

/** A planned chunk as a location again: its id, and its bases' ids, which arrive as plain Uint8Arrays. */
function plannedLocation(chunk: PlannedChunk): BlobLocation {
  const asBuffer = (id: Uint8Array): Buffer => Buffer.from(id.buffer, id.byteOffset, id.byteLength);
  const rebuild = (location: BlobLocation): BlobLocation => ({
    ...location,
    id: asBuffer(location.id),
    basePrefix: location.basePrefix && asBuffer(location.basePrefix),
    base: location.base && rebuild(location.base),
  });
  return rebuild({ ...chunk, id: Buffer.from(chunk.id, 'hex') });
}

function producePlanned(packs: PackReader, file: PlannedFile): ContentProducer {
  return (write) =>
    withHasher(async (hasher) => {
      for (const chunk of file.chunks) {
        // Borrowed: hashed and written before the next read from this reader.
        const bytes = packs.borrowBlob(plannedLocation(chunk));
        hasher.update(bytes);
        await write(bytes);
      }
      if (!digestOf(hasher).equals(Buffer.from(file.fileId, 'hex'))) {
        throw new CorruptionError('CORRUPT_OBJECT', `file ${file.fileId}: its chunks do not hash to its id (damaged file map)`);
      }
    });
}

// ---------- unpack chunks of a frame (restores) ----------

export interface UnpackTask {
  /** The stored frame, at the start of a buffer the worker hands back. */
  stored: Uint8Array;
  /** A buffer of at least frameRawLength bytes to decompress into, handed back too. */
  out: Uint8Array;
  packName: string;
  frameOffset: number;
  frameRawLength: number;
  codec: number;
  /** The chunks wanted from this frame, in file order: where each starts in the raw frame, its length... */
  offsets: number[];
  lengths: number[];
  /** ...and their ids end to end (one small buffer: cheap to post, unlike an array of Buffers). */
  ids: Uint8Array;
  /** A Delta frame's base, read and verified by the sender. */
  dictionary?: Uint8Array;
}

/** Both buffers come back (for reuse); `out` holds the raw frame unless there is an error. */
export interface UnpackResult {
  stored: Uint8Array;
  out: Uint8Array;
  error?: ErrorData;
}

/** Decompresses one frame into the given buffer and verifies each wanted chunk against its id. */
export function unpackChunks(task: UnpackTask): UnpackResult {
  const value: UnpackResult = { stored: task.stored, out: task.out };
  try {
    const stored = Buffer.from(task.stored.buffer, task.stored.byteOffset, task.stored.byteLength);
    const out = Buffer.from(task.out.buffer, task.out.byteOffset, task.out.byteLength);
    const rawLength = unpackFrameInto(stored, out, task, task.dictionary);
    const ids = Buffer.from(task.ids.buffer, task.ids.byteOffset, task.ids.byteLength);
    task.offsets.forEach((offset, index) => {
      const length = task.lengths[index]!;
      const id = ids.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
      if (offset + length > rawLength || !hashBytes(out.subarray(offset, offset + length)).equals(id)) {
        throw new CorruptionError(
          'CORRUPT_PACK',
          `pack ${task.packName}: chunk ${id.toString('hex')} at frame offset ${task.frameOffset} does not match its hash`,
        );
      }
    });
  } catch (error) {
    value.error = errorData(error);
  }
  return move({ [transferableSymbol]: [task.stored.buffer, task.out.buffer], [valueSymbol]: value } as never) as unknown as UnpackResult;
}
