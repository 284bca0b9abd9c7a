import { closeSync, constants, fstatSync, openSync, readSync, type BigIntStats } from 'node:fs';
import { findChunks } from '../chunking/fastcdc.js';
import { hashBytes, newHasher } from '../core/hash.js';
import { FileMapBuilder } from '../objects/filemap.js';
import type { ChunkingParameters } from '../repository/config.js';
import type { BlobWriter } from '../store/blob-writer.js';
import { BlobType } from '../store/pack-format.js';

/** Files are read in windows of this size: memory stays bounded whatever the file size. */
export const READ_WINDOW_BYTES = 4 * 1024 * 1024;

export interface IngestedContent {
  fileId: Buffer;
  sizeBytes: number;
  chunkCount: number;
  newChunkCount: number;
}

let reusableWindow: Buffer | undefined;

/**
 * The read window, allocated once and reused by every file: allocating 4 MiB per file made adding
 * 12,000 small files churn ~50 GB through the allocator. Files are ingested one at a time, and a
 * window's bytes are copied into frames before the next read, so one buffer serves them all.
 */
function windowBuffer(bytes: number): Buffer {
  if (reusableWindow === undefined || reusableWindow.length !== bytes) reusableWindow = Buffer.allocUnsafe(bytes);
  return reusableWindow;
}

/** Thrown when a file's stat data differ after reading from before: what was read may be a mix. */
export class FileChangedWhileReading extends Error {}

/**
 * Chunks, hashes and stores one content stream that arrives in windows, then stores its file map.
 * `fill(buffer, offset, length)` reads up to `length` bytes into `buffer` at `offset`, returning 0 at the end.
 */
export async function ingestStream(
  fill: (buffer: Buffer, offset: number, length: number) => number,
  chunking: ChunkingParameters,
  writer: BlobWriter,
  onBytesRead?: (bytes: number) => void,
): Promise<IngestedContent> {
  const buffer = windowBuffer(READ_WINDOW_BYTES + chunking.maxBytes);
  const fileHasher = newHasher();
  let fileId: Buffer | undefined;
  const chunks = new FileMapBuilder();
  let carried = 0;
  let sizeBytes = 0;
  let newChunkCount = 0;
  for (;;) {
    let windowBytes = 0;
    while (windowBytes < READ_WINDOW_BYTES) {
      const n = fill(buffer, carried + windowBytes, READ_WINDOW_BYTES - windowBytes);
      if (n === 0) break;
      windowBytes += n;
    }
    const atEnd = windowBytes < READ_WINDOW_BYTES;
    const data = buffer.subarray(0, carried + windowBytes);
    const { chunks: spans, consumedBytes } = findChunks(data, chunking, atEnd);
    // A content read in one window that is one chunk has that chunk's id as its file id: hashing it
    // again would double the hashing of small files.
    const fileIsOneChunk = atEnd && sizeBytes === 0 && spans.length === 1;
    if (!fileIsOneChunk) fileHasher.update(buffer.subarray(carried, carried + windowBytes));
    sizeBytes += windowBytes;
    onBytesRead?.(windowBytes);
    for (const span of spans) {
      const bytes = data.subarray(span.offset, span.offset + span.length);
      const id = hashBytes(bytes);
      if (writer.addBlob(BlobType.Chunk, id, bytes)) newChunkCount++;
      if (fileIsOneChunk) fileId = id;
      chunks.add(id, span.length);
    }
    if (atEnd) break;
    // Let finished frames be written, and stop reading while too many are still compressing.
    await writer.drain();
    carried = data.length - consumedBytes;
    buffer.copyWithin(0, consumedBytes, data.length);
  }
  fileId ??= fileHasher.digestBuffer();
  storeFileMap(writer, fileId, sizeBytes, chunks);
  return { fileId, sizeBytes, chunkCount: chunks.chunkCount, newChunkCount };
}

/** Stores the file map of a content (unless the repository has it) and indexes it with its pack. */
export function storeFileMap(writer: BlobWriter, fileId: Buffer, sizeBytes: number, chunks: FileMapBuilder): void {
  if (writer.hasFile(fileId)) return;
  const filemap = chunks.encode(fileId, sizeBytes);
  const filemapId = hashBytes(filemap);
  writer.addBlob(BlobType.FileMap, filemapId, filemap);
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
 * reading must equal those before (size, mtime, ctime, inode), and the bytes read must equal the size.
 */
export async function ingestFile(
  absolutePath: string,
  chunking: ChunkingParameters,
  writer: BlobWriter,
  onBytesRead?: (bytes: number) => void,
): Promise<IngestedContent & { stats: BigIntStats }> {
  // O_NONBLOCK: should the file have been swapped for a FIFO since the scan, opening it must not hang.
  const fd = openSync(absolutePath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const before = fstatSync(fd, { bigint: true });
    if (!before.isFile()) throw new FileChangedWhileReading(`${absolutePath} is no longer a regular file`);
    const content = await ingestStream((buffer, offset, length) => readSync(fd, buffer, offset, length, null), chunking, writer, onBytesRead);
    const after = fstatSync(fd, { bigint: true });
    if (!sameStat(before, after) || BigInt(content.sizeBytes) !== after.size) {
      throw new FileChangedWhileReading(`${absolutePath} changed while it was read`);
    }
    return { ...content, stats: after };
  } finally {
    closeSync(fd);
  }
}

export function sameStat(a: BigIntStats, b: BigIntStats): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino && a.dev === b.dev;
}
