import { CorruptionError } from '../core/errors.js';
import { HASH_BYTES, hashBytes } from '../core/hash.js';
import { type BlobRecord, BlobType, Codec, type FrameRecord, MAX_FRAME_RAW_BYTES } from '../core/vocabulary.js';

/**
 * Pack file codec (pure: bytes in, values out). Layout, all integers little-endian:
 *
 *   header   "STOREPAK" u32 version u32 reserved                     (16 bytes)
 *   frames   back to back; each is a zstd frame or raw bytes of one or more consecutive blobs
 *   footer   u32 frameCount, frameCount x FrameRecord (20 bytes),
 *            u32 blobCount,  blobCount  x BlobRecord  (45 bytes)
 *            [u32 baseCount, baseCount x (u32 frameIndex, baseId[32])]   only with delta frames (format 5)
 *   trailer  u64 footerOffset u32 footerLength u32 reserved, 32-byte BLAKE3 of footer, "STOREEND" (56 bytes)
 *
 * See docs/FORMAT.md for the meaning of each field.
 */
export const PACK_MAGIC = Buffer.from('STOREPAK', 'ascii');
export const PACK_END_MAGIC = Buffer.from('STOREEND', 'ascii');
export const PACK_VERSION = 1;
export const PACK_HEADER_BYTES = 16;
export const PACK_TRAILER_BYTES = 56;
const FRAME_RECORD_BYTES = 20;
const BLOB_RECORD_BYTES = 45;

export interface PackFooter {
  frames: FrameRecord[];
  blobs: BlobRecord[];
}

export function encodePackHeader(): Buffer {
  const header = Buffer.alloc(PACK_HEADER_BYTES);
  PACK_MAGIC.copy(header, 0);
  header.writeUInt32LE(PACK_VERSION, 8);
  return header;
}

export function checkPackHeader(header: Buffer, packName: string): void {
  if (header.length < PACK_HEADER_BYTES || !header.subarray(0, 8).equals(PACK_MAGIC)) {
    throw new CorruptionError('CORRUPT_PACK', `pack ${packName}: bad header magic`);
  }
  const version = header.readUInt32LE(8);
  if (version !== PACK_VERSION) {
    throw new CorruptionError('CORRUPT_PACK', `pack ${packName}: unknown pack version ${version}`);
  }
}

/** A Delta frame's base: `u32 frameIndex | baseId[32]`, in a section after the blob records (format 5). */
const BASE_RECORD_BYTES = 4 + HASH_BYTES;

export function encodeFooterAndTrailer(footer: PackFooter, footerOffset: number): Buffer {
  const deltaFrames = footer.frames.flatMap((frame, index) => (frame.codec === Codec.Delta ? [index] : []));
  // A pack with no delta has no bases section, byte for byte a pack of format 4.
  const basesLength = deltaFrames.length === 0 ? 0 : 4 + deltaFrames.length * BASE_RECORD_BYTES;
  const footerLength = 8 + footer.frames.length * FRAME_RECORD_BYTES + footer.blobs.length * BLOB_RECORD_BYTES + basesLength;
  const out = Buffer.alloc(footerLength + PACK_TRAILER_BYTES);
  let at = 0;
  at = out.writeUInt32LE(footer.frames.length, at);
  for (const frame of footer.frames) {
    at = out.writeBigUInt64LE(BigInt(frame.offset), at);
    at = out.writeUInt32LE(frame.storedLength, at);
    at = out.writeUInt32LE(frame.rawLength, at);
    at = out.writeUInt8(frame.codec, at);
    at += 3; // reserved
  }
  at = out.writeUInt32LE(footer.blobs.length, at);
  for (const blob of footer.blobs) {
    at += blob.id.copy(out, at);
    at = out.writeUInt8(blob.type, at);
    at = out.writeUInt32LE(blob.frameIndex, at);
    at = out.writeUInt32LE(blob.offsetInFrame, at);
    at = out.writeUInt32LE(blob.length, at);
  }
  if (deltaFrames.length > 0) {
    at = out.writeUInt32LE(deltaFrames.length, at);
    for (const index of deltaFrames) {
      at = out.writeUInt32LE(index, at);
      at += footer.frames[index]!.baseId!.copy(out, at);
    }
  }
  const footerHash = hashBytes(out.subarray(0, footerLength));
  at = out.writeBigUInt64LE(BigInt(footerOffset), at);
  at = out.writeUInt32LE(footerLength, at);
  at += 4; // reserved
  at += footerHash.copy(out, at);
  PACK_END_MAGIC.copy(out, at);
  return out;
}

export function decodeTrailer(trailer: Buffer, packSizeBytes: number, packName: string): { footerOffset: number; footerLength: number; footerHash: Buffer } {
  if (trailer.length !== PACK_TRAILER_BYTES || !trailer.subarray(PACK_TRAILER_BYTES - 8).equals(PACK_END_MAGIC)) {
    throw new CorruptionError('CORRUPT_PACK', `pack ${packName}: missing end marker (truncated or unfinished pack)`);
  }
  const footerOffset = Number(trailer.readBigUInt64LE(0));
  const footerLength = trailer.readUInt32LE(8);
  if (footerOffset < PACK_HEADER_BYTES || footerOffset + footerLength + PACK_TRAILER_BYTES !== packSizeBytes) {
    throw new CorruptionError('CORRUPT_PACK', `pack ${packName}: footer position does not match the pack size`);
  }
  return { footerOffset, footerLength, footerHash: Buffer.from(trailer.subarray(16, 16 + HASH_BYTES)) };
}

export function decodeFooter(footerBytes: Buffer, expectedHash: Buffer, footerOffset: number, packName: string): PackFooter {
  if (!hashBytes(footerBytes).equals(expectedHash)) {
    throw new CorruptionError('CORRUPT_PACK', `pack ${packName}: footer checksum mismatch`);
  }
  const fail = (what: string): never => {
    throw new CorruptionError('CORRUPT_PACK', `pack ${packName}: footer ${what}`);
  };
  let at = 0;
  const need = (bytes: number): void => {
    if (at + bytes > footerBytes.length) fail('is shorter than its counts say');
  };
  need(4);
  const frameCount = footerBytes.readUInt32LE(at);
  at += 4;
  need(frameCount * FRAME_RECORD_BYTES);
  const frames: FrameRecord[] = [];
  let expectedOffset = PACK_HEADER_BYTES;
  for (let i = 0; i < frameCount; i++) {
    const offset = Number(footerBytes.readBigUInt64LE(at));
    const storedLength = footerBytes.readUInt32LE(at + 8);
    const rawLength = footerBytes.readUInt32LE(at + 12);
    const codec = footerBytes.readUInt8(at + 16);
    at += FRAME_RECORD_BYTES;
    if (offset !== expectedOffset) fail(`frame ${i} is not where the previous one ends`);
    if (codec !== Codec.Raw && codec !== Codec.Zstd && codec !== Codec.Delta) fail(`frame ${i} has unknown codec ${codec}`);
    if (codec === Codec.Raw && storedLength !== rawLength) fail(`raw frame ${i} has inconsistent lengths`);
    if (rawLength > MAX_FRAME_RAW_BYTES || storedLength > MAX_FRAME_RAW_BYTES + 1024 * 1024) fail(`frame ${i} is larger than the format allows`);
    expectedOffset = offset + storedLength;
    frames.push({ offset, storedLength, rawLength, codec });
  }
  if (expectedOffset !== footerOffset) fail('frames do not end where the footer starts');
  need(4);
  const blobCount = footerBytes.readUInt32LE(at);
  at += 4;
  need(blobCount * BLOB_RECORD_BYTES);
  const blobs: BlobRecord[] = [];
  for (let i = 0; i < blobCount; i++) {
    const id = Buffer.from(footerBytes.subarray(at, at + HASH_BYTES));
    const type = footerBytes.readUInt8(at + 32) as BlobType;
    const frameIndex = footerBytes.readUInt32LE(at + 33);
    const offsetInFrame = footerBytes.readUInt32LE(at + 37);
    const length = footerBytes.readUInt32LE(at + 41);
    at += BLOB_RECORD_BYTES;
    const frame = frames[frameIndex];
    if (!frame) fail(`blob ${i} names frame ${frameIndex}, which does not exist`);
    if (type < BlobType.Chunk || type > BlobType.FileModes) fail(`blob ${i} has unknown type ${type}`);
    if (offsetInFrame + length > frame!.rawLength) fail(`blob ${i} reaches past its frame`);
    blobs.push({ id, type, frameIndex, offsetInFrame, length });
  }
  if (at < footerBytes.length) {
    need(4);
    const baseCount = footerBytes.readUInt32LE(at);
    at += 4;
    need(baseCount * BASE_RECORD_BYTES);
    for (let i = 0; i < baseCount; i++) {
      const frameIndex = footerBytes.readUInt32LE(at);
      const frame = frames[frameIndex];
      if (frame?.codec !== Codec.Delta || frame.baseId !== undefined) fail(`base ${i} names frame ${frameIndex}, which is not a delta frame without a base`);
      frame!.baseId = Buffer.from(footerBytes.subarray(at + 4, at + BASE_RECORD_BYTES));
      at += BASE_RECORD_BYTES;
    }
  }
  frames.forEach((frame, i) => {
    if (frame.codec === Codec.Delta && frame.baseId === undefined) fail(`delta frame ${i} names no base`);
  });
  if (at !== footerBytes.length) fail('has trailing bytes');
  return { frames, blobs };
}
