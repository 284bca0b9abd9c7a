import { closeSync, fstatSync, readSync, type BigIntStats } from 'node:fs';
import { findChunks } from '../../chunking/fastcdc.js';
import { HASH_BYTES, hashBytes } from '../../core/hash.js';
import { openForStableRead, sameStat } from '../../core/stable-read.js';
import { FileMapBuilder } from '../../objects/filemap.js';
import type { BlobWriter } from '../../store/blob-writer.js';
import type { DeltaBases } from './delta-bases.js';
import { InlineWindowHasher, type HashedWindow, type WindowHasher } from '../../workers/window-hasher.js';
import { BlobType, type ChunkingParameters } from '../../core/vocabulary.js';

/** Files are read in windows of this size: memory stays bounded whatever the file size. */
export const READ_WINDOW_BYTES = 4 * 1024 * 1024;

export interface IngestedContent {
  fileId: Buffer;
  sizeBytes: number;
  chunkCount: number;
  newChunkCount: number;
}

let reusableWindows: Buffer[] = [];

/**
 * The two read windows, allocated once and reused by every file (allocating 4 MiB per file made
 * adding 12,000 small files churn ~50 GB through the allocator). Files are ingested one at a time.
 * Each owns its ArrayBuffer, so that it can be handed to a hashing thread and back; one that did
 * not come back (the thread failed) is detached, of length 0, and allocated again here.
 */
function windowBuffers(bytes: number): [Buffer, Buffer] {
  const [first, second] = reusableWindows;
  if (first?.length === bytes && second?.length === bytes) return [first, second];
  return [Buffer.from(new ArrayBuffer(bytes)), Buffer.from(new ArrayBuffer(bytes))];
}

const inlineHasher = new InlineWindowHasher();

/** Thrown when a file's stat data differ after reading from before: what was read may be a mix. */
export class FileChangedWhileReading extends Error {}

/**
 * Chunks, hashes and stores one content stream that arrives in windows, then stores its file map.
 * `fill(buffer, offset, length)` reads up to `length` bytes into `buffer` at `offset`, returning 0 at the end.
 * A window's chunks are hashed by `hasher` while the next window is read and chunked into the other
 * buffer (behind room for the chunk cut at the end of this one, which is carried into the next).
 */
export async function ingestStream(
  fill: (buffer: Buffer, offset: number, length: number) => number,
  chunking: ChunkingParameters,
  writer: BlobWriter,
  onBytesRead?: (bytes: number) => void,
  hasher: WindowHasher = inlineHasher,
  bases?: DeltaBases,
): Promise<IngestedContent> {
  const carryRoom = chunking.maxBytes;
  let [window, spare] = windowBuffers(carryRoom + READ_WINDOW_BYTES);
  const readWindow = (into: Buffer): number => {
    let windowBytes = 0;
    while (windowBytes < READ_WINDOW_BYTES) {
      const n = fill(into, carryRoom + windowBytes, READ_WINDOW_BYTES - windowBytes);
      if (n === 0) break;
      windowBytes += n;
    }
    return windowBytes;
  };
  let fileId: Buffer | undefined;
  const chunks = new FileMapBuilder();
  let sizeBytes = 0;
  let newChunkCount = 0;
  let hashing: Promise<HashedWindow> | undefined;
  try {
    let current = chunkWindow(window, carryRoom, readWindow(window), carryRoom, chunking);
    for (;;) {
      // A content read in one window that is one chunk has that chunk's id as its file id: hashing it
      // again would double the hashing of small files.
      const fileIsOneChunk = current.atEnd && sizeBytes === 0 && current.spans.length === 2; // one [offset, length] pair
      // The chunk cut at the end goes into the spare buffer before the window is handed over; while
      // the window is hashed, the next one is read and chunked.
      const nextDataStart = carryRoom - (current.end - current.carriedFrom);
      if (!current.atEnd) spare.set(window.subarray(current.carriedFrom, current.end), nextDataStart);
      hashing = hasher.hashWindow(window, { start: carryRoom, end: current.end }, current.spans, fileIsOneChunk);
      sizeBytes += current.end - carryRoom;
      onBytesRead?.(current.end - carryRoom);
      const next = current.atEnd ? undefined : chunkWindow(spare, nextDataStart, readWindow(spare), carryRoom, chunking);
      const hashed = await hashing;
      hashing = undefined;
      window = hashed.window;
      const windowStartsAt = sizeBytes - (current.end - carryRoom); // in the content
      for (let index = 0; index < current.spans.length / 2; index++) {
        const id = hashed.ids.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
        const start = current.spans[index * 2]!;
        const length = current.spans[index * 2 + 1]!;
        const deltaBase = bases && (() => bases.chunkBase(windowStartsAt + start - carryRoom, length));
        if (writer.addBlob(BlobType.Chunk, id, window.subarray(start, start + length), { deltaBase })) newChunkCount++;
        if (fileIsOneChunk) fileId = id;
        chunks.add(id, length);
      }
      if (next === undefined) break;
      // Let finished frames be written, and stop reading while too many are still compressing.
      await writer.drain();
      [window, spare] = [spare, window];
      current = next;
    }
    fileId ??= await hasher.contentId();
  } catch (error) {
    await hashing?.catch(() => undefined); // let a window out with the hasher come back first
    hasher.reset();
    throw error;
  } finally {
    reusableWindows = [window, spare];
  }
  storeFileMap(writer, fileId, sizeBytes, chunks, bases);
  return { fileId, sizeBytes, chunkCount: chunks.chunkCount, newChunkCount };
}

/** A window's chunks, as [offset, length] pairs in the window, and where the bytes carried on start. */
interface ChunkedWindow {
  spans: Uint32Array;
  /** End of the bytes in the window. */
  end: number;
  /** Start of the cut chunk carried into the next window (equal to `end` when none is). */
  carriedFrom: number;
  atEnd: boolean;
}

/** Finds the chunk boundaries in `window` from `dataStart` (carried bytes) through the `windowBytes` read after `carryRoom`. */
function chunkWindow(window: Buffer, dataStart: number, windowBytes: number, carryRoom: number, chunking: ChunkingParameters): ChunkedWindow {
  const atEnd = windowBytes < READ_WINDOW_BYTES;
  const end = carryRoom + windowBytes;
  const { chunks: found, consumedBytes } = findChunks(window.subarray(dataStart, end), chunking, atEnd);
  const spans = new Uint32Array(found.length * 2);
  found.forEach((span, index) => {
    spans[index * 2] = dataStart + span.offset;
    spans[index * 2 + 1] = span.length;
  });
  return { spans, end, carriedFrom: dataStart + consumedBytes, atEnd };
}

/**
 * Stores the file map of a content (unless the repository has it) and indexes it with its pack. A
 * content of one chunk gets none: its file id is its chunk's id (a 12,000-file add wrote 11,000 file
 * maps and 22,000 catalog rows for nothing).
 */
export function storeFileMap(writer: BlobWriter, fileId: Buffer, sizeBytes: number, chunks: FileMapBuilder, bases?: DeltaBases): void {
  if (chunks.chunkCount === 1 || writer.hasFile(fileId)) return;
  const filemap = chunks.encode(fileId, sizeBytes);
  const filemapId = hashBytes(filemap);
  writer.addBlob(BlobType.FileMap, filemapId, filemap, { deltaBase: bases && (() => bases.fileMapBase()) });
  writer.addFile({ id: fileId, sizeBytes, chunkCount: chunks.chunkCount, filemapId });
}

export async function ingestBytes(bytes: Buffer, chunking: ChunkingParameters, writer: BlobWriter): Promise<IngestedContent> {
  let position = 0;
  return ingestStream(
    (buffer, offset, length) => {
      const n = Math.min(length, bytes.length - position);
      bytes.copy(buffer, offset, position, position + n);
      position += n;
      return n;
    },
    chunking,
    writer,
  );
}

/**
 * Ingests a regular file, checking that it did not change while it was read: the stat data after
 * reading must equal those before (size, mtime, ctime, inode, device), and the bytes read must equal the size.
 */
export async function ingestFile(
  absolutePath: string,
  chunking: ChunkingParameters,
  writer: BlobWriter,
  onBytesRead?: (bytes: number) => void,
  hasher?: WindowHasher,
  bases?: DeltaBases,
): Promise<IngestedContent & { stats: BigIntStats }> {
  const fd = openForStableRead(absolutePath);
  try {
    const before = fstatSync(fd, { bigint: true });
    if (!before.isFile()) throw new FileChangedWhileReading(`${absolutePath} is no longer a regular file`);
    // Reads the size fstat gave, no further: a read that returns 0 would cost one more system call per
    // file (12,000 in a first add), and a file that grew meanwhile shows in the fstat after reading.
    let unread = Number(before.size);
    const fill = (buffer: Buffer, offset: number, length: number): number => {
      if (unread === 0) return 0;
      const n = readSync(fd, buffer, offset, Math.min(length, unread), null);
      unread -= n;
      return n;
    };
    const content = await ingestStream(fill, chunking, writer, onBytesRead, hasher, bases);
    const after = fstatSync(fd, { bigint: true });
    if (!sameStat(before, after) || BigInt(content.sizeBytes) !== after.size) {
      throw new FileChangedWhileReading(`${absolutePath} changed while it was read`);
    }
    return { ...content, stats: after };
  } finally {
    closeSync(fd);
  }
}
