import { CorruptionError } from '../core/errors.js';
import { HASH_BYTES } from '../core/hash.js';

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

export interface FileMap {
  fileId: Buffer;
  sizeBytes: number;
  chunks: ChunkRef[];
}

export function encodeFileMap(map: FileMap): Buffer {
  const out = Buffer.alloc(HEADER_BYTES + map.chunks.length * ENTRY_BYTES);
  let at = out.writeUInt8(FILEMAP_VERSION, 0);
  at += map.fileId.copy(out, at);
  at = out.writeBigUInt64LE(BigInt(map.sizeBytes), at);
  at = out.writeUInt32LE(map.chunks.length, at);
  for (const chunk of map.chunks) {
    at += chunk.id.copy(out, at);
    at = out.writeUInt32LE(chunk.length, at);
  }
  return out;
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
  const chunks: ChunkRef[] = [];
  let total = 0;
  for (let at = HEADER_BYTES; at < bytes.length; at += ENTRY_BYTES) {
    const length = bytes.readUInt32LE(at + HASH_BYTES);
    chunks.push({ id: Buffer.from(bytes.subarray(at, at + HASH_BYTES)), length });
    total += length;
  }
  if (total !== sizeBytes) throw new CorruptionError('CORRUPT_OBJECT', 'file map: chunk lengths do not add up to the file size');
  return { fileId, sizeBytes, chunks };
}
