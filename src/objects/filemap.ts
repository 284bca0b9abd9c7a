import { CorruptionError } from '../core/errors.js';
import { HASH_BYTES } from '../core/hash.js';
import { MAX_CHUNK_BYTES } from '../core/vocabulary.js';

/**
 * A file map lists the chunks of one file content, in order. Encoding (little-endian):
 *   u8 version(1) | fileId[32] | u64 sizeBytes | u32 chunkCount | chunkCount x (chunkId[32] | u32 length)
 * The file id inside lets the catalog be rebuilt from packs alone.
 */
const FILEMAP_VERSION = 1;
const HEADER_BYTES = 1 + HASH_BYTES + 8 + 4;
const ENTRY_BYTES = HASH_BYTES + 4;

export interface ChunkRef {
  id: Buffer;
  length: number;
}

/** The chunks of a file map, in order: an array, or a ChunkList read from an encoded map. */
export type Chunks = Iterable<ChunkRef> & { readonly length: number };

export interface FileMap {
  fileId: Buffer;
  sizeBytes: number;
  chunks: Chunks;
}

/** The one chunk of a content that is one chunk (whose id is then the content's), or undefined. */
export function soleChunk(map: FileMap): ChunkRef | undefined {
  if (map.chunks.length !== 1) return undefined;
  const [chunk] = map.chunks;
  return chunk!.id.equals(map.fileId) ? chunk : undefined;
}

/**
 * A decoded file map's chunks, kept in their encoding and made into ChunkRefs as they are iterated:
 * a 4 GiB file has ~62,000 chunks, and one object and one Buffer for each made the RSS of its restore
 * grow with the file (157 MB for 2 GiB, 194-199 MB for 4 GiB). Each id is a view of the entries.
 */
export class ChunkList implements Chunks {
  /** `entries`: count x (chunkId[32] | u32 length), owned by this list. */
  constructor(private readonly entries: Buffer) {}

  get length(): number {
    return this.entries.length / ENTRY_BYTES;
  }

  *[Symbol.iterator](): Iterator<ChunkRef> {
    for (let at = 0; at < this.entries.length; at += ENTRY_BYTES) {
      yield { id: this.entries.subarray(at, at + HASH_BYTES), length: this.entries.readUInt32LE(at + HASH_BYTES) };
    }
  }
}

export function encodeFileMap(map: FileMap): Buffer {
  const builder = new FileMapBuilder();
  for (const chunk of map.chunks) builder.add(chunk.id, chunk.length);
  return builder.encode(map.fileId, map.sizeBytes);
}

/**
 * A file map's entries appended as chunks are found, in one growing buffer: a 4 GiB file has ~60,000
 * chunks, whose ids kept as separate Buffers until the end of the file cost ~18 MB of memory.
 */
export class FileMapBuilder {
  // Room for a few chunks to start with: most files have one, and a buffer this small comes from
  // Node's pool (9 KiB each cost 12,000 separate allocations in a small-file add).
  private entries = Buffer.allocUnsafe(ENTRY_BYTES * 4);
  private entryBytes = 0;
  chunkCount = 0;

  add(id: Uint8Array, length: number): void {
    if (this.entryBytes + ENTRY_BYTES > this.entries.length) {
      const grown = Buffer.allocUnsafe(this.entries.length * 2);
      this.entries.copy(grown, 0, 0, this.entryBytes);
      this.entries = grown;
    }
    this.entries.set(id, this.entryBytes);
    this.entries.writeUInt32LE(length, this.entryBytes + HASH_BYTES);
    this.entryBytes += ENTRY_BYTES;
    this.chunkCount++;
  }

  encode(fileId: Uint8Array, sizeBytes: number): Buffer {
    const out = Buffer.allocUnsafe(HEADER_BYTES + this.entryBytes);
    let at = out.writeUInt8(FILEMAP_VERSION, 0);
    out.set(fileId, at);
    at = out.writeBigUInt64LE(BigInt(sizeBytes), at + HASH_BYTES);
    at = out.writeUInt32LE(this.chunkCount, at);
    this.entries.copy(out, at, 0, this.entryBytes);
    return out;
  }
}

export function decodeFileMap(bytes: Buffer): FileMap {
  if (bytes.length < HEADER_BYTES || bytes.readUInt8(0) !== FILEMAP_VERSION) {
    throw new CorruptionError('CORRUPT_OBJECT', 'file map: bad header');
  }
  const fileId = Buffer.from(bytes.subarray(1, 1 + HASH_BYTES));
  const sizeBytes = Number(bytes.readBigUInt64LE(1 + HASH_BYTES));
  const count = bytes.readUInt32LE(1 + HASH_BYTES + 8);
  if (bytes.length !== HEADER_BYTES + count * ENTRY_BYTES) {
    throw new CorruptionError('CORRUPT_OBJECT', 'file map: length does not match its chunk count');
  }
  let total = 0;
  for (let at = HEADER_BYTES; at < bytes.length; at += ENTRY_BYTES) {
    const length = bytes.readUInt32LE(at + HASH_BYTES);
    if (length === 0 || length > MAX_CHUNK_BYTES)
      throw new CorruptionError('CORRUPT_OBJECT', `file map: a chunk of ${length} bytes (at most ${MAX_CHUNK_BYTES})`);
    total += length;
  }
  if (!Number.isSafeInteger(sizeBytes) || total !== sizeBytes)
    throw new CorruptionError('CORRUPT_OBJECT', 'file map: chunk lengths do not add up to the file size');
  // A copy: `bytes` may be a view of a buffer that is reused for the next blob read.
  return { fileId, sizeBytes, chunks: new ChunkList(Buffer.from(bytes.subarray(HEADER_BYTES))) };
}
