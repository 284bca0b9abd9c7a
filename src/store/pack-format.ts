import { CorruptionError } from '../core/errors.js';
import { HASH_BYTES, hashBytes } from '../core/hash.js';
import { type BlobRecord, BlobType, Codec, type FrameRecord, MAX_FRAME_RAW_BYTES } from '../core/vocabulary.js';

/**
 * Pack file codec (pure: bytes in, values out). Layout, all integers little-endian:
 *
 *   header   "STOREPAK" u32 version u32 flags (bit 0: repacked by gc)  (16 bytes)
 *   frames   back to back; each is a zstd frame or raw bytes of one or more consecutive blobs
 *   footer   version 3: varint frameCount, then each frame: u8 codec, varint storedLength, varint
 *            rawLength, [a delta's base: varint n, n > 0 for blob n - 1 of this footer, else 0 and
 *            baseId[32]], varint blobCount, and its blobs back to back from its start: id[32],
 *            u8 type, varint length (offsets follow from the lengths)
 *            version 2: the same, but a delta's base is always baseId[32]
 *            version 1: u32 frameCount, frameCount x FrameRecord (20 bytes),
 *            u32 blobCount,  blobCount  x BlobRecord  (45 bytes)
 *            [u32 baseCount, baseCount x (u32 frameIndex, baseId[32])]   only with delta frames (format 5)
 *   trailer  u64 footerOffset u32 footerLength u32 version (0 in version 1), 32-byte BLAKE3 of footer, "STOREEND" (56 bytes)
 *
 * See docs/FORMAT.md for the meaning of each field.
 */
export const PACK_MAGIC = Buffer.from('STOREPAK', 'ascii');
export const PACK_END_MAGIC = Buffer.from('STOREEND', 'ascii');
/**
 * 2 (format 6): the compact footer, 73 bytes a delta against 101 and 35 a blob sharing a frame
 * against 45; a pack's footer was a fifth of its bytes in rxjs's 20 releases. 3 (format 7): a
 * delta whose base lies in the same pack names it by its place in the footer (a varint, not 32
 * bytes), as nearly every base does once gc has joined a history's packs. Versions 1 and 2 are read.
 */
export const PACK_VERSION = 3;
const PACK_VERSIONS_READ = [1, 2, 3];
export const PACK_HEADER_BYTES = 16;
export const PACK_TRAILER_BYTES = 56;
const FRAME_RECORD_BYTES = 20;
const BLOB_RECORD_BYTES = 45;

export interface PackFooter {
  frames: FrameRecord[];
  blobs: BlobRecord[];
}

/**
 * The header's flags (its reserved word before, 0). REPACKED: gc wrote the pack and compressed its
 * frames harder than a commit does (see gc.ts): a later gc copies them as they are. Readers need no
 * flag to read a pack, so none raises the version.
 */
export const PackFlags = { Repacked: 1 } as const;

export function encodePackHeader(flags = 0): Buffer {
  const header = Buffer.alloc(PACK_HEADER_BYTES);
  PACK_MAGIC.copy(header, 0);
  header.writeUInt32LE(PACK_VERSION, 8);
  header.writeUInt32LE(flags, 12);
  return header;
}

/** The flags of a header checkPackHeader accepted. */
export function packHeaderFlags(header: Buffer): number {
  return header.readUInt32LE(12);
}

/** Checks a pack's header; returns its version. */
export function checkPackHeader(header: Buffer, packName: string): number {
  if (header.length < PACK_HEADER_BYTES || !header.subarray(0, 8).equals(PACK_MAGIC)) {
    throw new CorruptionError('CORRUPT_PACK', `pack ${packName}: bad header magic`);
  }
  const version = header.readUInt32LE(8);
  if (!PACK_VERSIONS_READ.includes(version)) {
    throw new CorruptionError('CORRUPT_PACK', `pack ${packName}: unknown pack version ${version}`);
  }
  return version;
}

/** A Delta frame's base: `u32 frameIndex | baseId[32]`, in a section after the blob records (format 5). */
const BASE_RECORD_BYTES = 4 + HASH_BYTES;

/** The most bytes a varint of a u32 (every count and length here) takes. */
const MAX_VARINT_BYTES = 5;

/** Encodes a footer (version 3) and the trailer. The blobs must fill their frames in order, from each frame's start. */
export function encodeFooterAndTrailer(footer: PackFooter, footerOffset: number): Buffer {
  // Sized for the longest varints, then cut to what was written.
  const frameBytes = 1 + 4 * MAX_VARINT_BYTES + HASH_BYTES;
  const blobBytes = HASH_BYTES + 1 + MAX_VARINT_BYTES;
  const out = Buffer.alloc(MAX_VARINT_BYTES + footer.frames.length * frameBytes + footer.blobs.length * blobBytes + PACK_TRAILER_BYTES);
  let at = 0;
  const varint = (value: number): void => {
    let rest = value;
    for (; rest >= 0x80; rest = Math.floor(rest / 0x80)) out[at++] = (rest % 0x80) | 0x80;
    out[at++] = rest;
  };
  varint(footer.frames.length);
  const placeOf = footer.frames.some((frame) => frame.codec === Codec.Delta) ? blobPlaces(footer.blobs) : undefined;
  let next = 0;
  footer.frames.forEach((frame, index) => {
    at = out.writeUInt8(frame.codec, at);
    varint(frame.storedLength);
    varint(frame.rawLength);
    if (frame.codec === Codec.Delta) {
      const place = placeOf!.get(frame.baseId!.toString('latin1'));
      if (place !== undefined && footer.blobs[place]!.frameIndex !== index) varint(place + 1);
      else {
        varint(0);
        at += frame.baseId!.copy(out, at);
      }
    }
    let end = next;
    let filled = 0;
    for (; end < footer.blobs.length && footer.blobs[end]!.frameIndex === index; end++) {
      if (footer.blobs[end]!.offsetInFrame !== filled) throw new Error(`pack footer: blob ${end} does not follow the one before it in frame ${index}`);
      filled += footer.blobs[end]!.length;
    }
    if (filled !== frame.rawLength || end === next) throw new Error(`pack footer: the blobs of frame ${index} do not fill it`);
    varint(end - next);
    for (; next < end; next++) {
      const blob = footer.blobs[next]!;
      at += blob.id.copy(out, at);
      at = out.writeUInt8(blob.type, at);
      varint(blob.length);
    }
  });
  if (next !== footer.blobs.length) throw new Error('pack footer: blobs out of the order of their frames');
  const footerLength = at;
  at = out.writeBigUInt64LE(BigInt(footerOffset), at);
  at = out.writeUInt32LE(footerLength, at);
  at = out.writeUInt32LE(PACK_VERSION, at);
  at += hashBytes(out.subarray(0, footerLength)).copy(out, at);
  at += PACK_END_MAGIC.copy(out, at);
  return out.subarray(0, at);
}

/** Each blob's place in the footer, by id (as a latin1 string). */
function blobPlaces(blobs: readonly BlobRecord[]): Map<string, number> {
  const places = new Map<string, number>();
  blobs.forEach((blob, place) => places.set(blob.id.toString('latin1'), place));
  return places;
}

export function decodeTrailer(
  trailer: Buffer,
  packSizeBytes: number,
  packName: string,
): { footerOffset: number; footerLength: number; footerHash: Buffer; version: number } {
  if (trailer.length !== PACK_TRAILER_BYTES || !trailer.subarray(PACK_TRAILER_BYTES - 8).equals(PACK_END_MAGIC)) {
    throw new CorruptionError('CORRUPT_PACK', `pack ${packName}: missing end marker (truncated or unfinished pack)`);
  }
  const footerOffset = Number(trailer.readBigUInt64LE(0));
  const footerLength = trailer.readUInt32LE(8);
  if (footerOffset < PACK_HEADER_BYTES || footerOffset + footerLength + PACK_TRAILER_BYTES !== packSizeBytes) {
    throw new CorruptionError('CORRUPT_PACK', `pack ${packName}: footer position does not match the pack size`);
  }
  const version = trailer.readUInt32LE(12) || 1; // reserved, 0, in version 1
  if (!PACK_VERSIONS_READ.includes(version)) throw new CorruptionError('CORRUPT_PACK', `pack ${packName}: unknown pack version ${version} in its trailer`);
  return { footerOffset, footerLength, footerHash: Buffer.from(trailer.subarray(16, 16 + HASH_BYTES)), version };
}

/** Decodes a footer of the pack version its trailer names, once its checksum holds. */
export function decodeFooter(footerBytes: Buffer, expectedHash: Buffer, footerOffset: number, packName: string, version: number): PackFooter {
  if (!hashBytes(footerBytes).equals(expectedHash)) {
    throw new CorruptionError('CORRUPT_PACK', `pack ${packName}: footer checksum mismatch`);
  }
  const fail = (what: string): never => {
    throw new CorruptionError('CORRUPT_PACK', `pack ${packName}: footer ${what}`);
  };
  return version === 1 ? decodeFooterV1(footerBytes, footerOffset, fail) : decodeCompactFooter(footerBytes, footerOffset, fail, version);
}

/** The rules every frame record meets, whatever the footer's version. */
function checkFrame(frame: FrameRecord, index: number, fail: (what: string) => never): void {
  const { codec, storedLength, rawLength } = frame;
  if (codec !== Codec.Raw && codec !== Codec.Zstd && codec !== Codec.Delta) fail(`frame ${index} has unknown codec ${codec}`);
  if (codec === Codec.Raw && storedLength !== rawLength) fail(`raw frame ${index} has inconsistent lengths`);
  if (rawLength > MAX_FRAME_RAW_BYTES || storedLength > MAX_FRAME_RAW_BYTES + 1024 * 1024) fail(`frame ${index} is larger than the format allows`);
}

function checkBlobType(type: number, index: number, fail: (what: string) => never): void {
  if (type < BlobType.Chunk || type > BlobType.FileModes) fail(`blob ${index} has unknown type ${type}`);
}

/** Versions 2 and 3 (which may name a delta's base by its place in the footer). */
function decodeCompactFooter(footerBytes: Buffer, footerOffset: number, fail: (what: string) => never, version: number): PackFooter {
  let at = 0;
  const need = (bytes: number): void => {
    if (at + bytes > footerBytes.length) fail('is shorter than its counts say');
  };
  const varint = (): number => {
    let value = 0;
    for (let scale = 1; ; scale *= 0x80) {
      need(1);
      const byte = footerBytes[at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      if (scale > 2 ** 28) fail('has a number too long');
    }
  };
  const frames: FrameRecord[] = [];
  const blobs: BlobRecord[] = [];
  const basesByPlace: { frame: FrameRecord; frameIndex: number; place: number }[] = [];
  const frameCount = varint();
  let offset = PACK_HEADER_BYTES;
  for (let i = 0; i < frameCount; i++) {
    need(1);
    const codec = footerBytes[at++]! as Codec;
    const frame: FrameRecord = { offset, storedLength: varint(), rawLength: varint(), codec };
    checkFrame(frame, i, fail);
    const basePlace = codec === Codec.Delta && version >= 3 ? varint() : 0;
    if (basePlace > 0) basesByPlace.push({ frame, frameIndex: i, place: basePlace - 1 });
    else if (codec === Codec.Delta) {
      need(HASH_BYTES);
      frame.baseId = Buffer.from(footerBytes.subarray(at, at + HASH_BYTES));
      at += HASH_BYTES;
    }
    const blobCount = varint();
    if (blobCount === 0) fail(`frame ${i} holds no blob`);
    let offsetInFrame = 0;
    for (let b = 0; b < blobCount; b++) {
      need(HASH_BYTES + 1);
      const id = Buffer.from(footerBytes.subarray(at, at + HASH_BYTES));
      const type = footerBytes[at + HASH_BYTES]! as BlobType;
      at += HASH_BYTES + 1;
      checkBlobType(type, blobs.length, fail);
      const length = varint();
      blobs.push({ id, type, frameIndex: i, offsetInFrame, length });
      offsetInFrame += length;
      if (offsetInFrame > frame.rawLength) fail(`blob ${blobs.length - 1} reaches past its frame`);
    }
    if (offsetInFrame !== frame.rawLength) fail(`the blobs of frame ${i} do not fill it`);
    frames.push(frame);
    offset += frame.storedLength;
  }
  if (offset !== footerOffset) fail('frames do not end where the footer starts');
  if (at !== footerBytes.length) fail('has trailing bytes');
  for (const { frame, frameIndex, place } of basesByPlace) {
    const base = blobs[place];
    if (base === undefined) fail(`frame ${frameIndex} names base blob ${place}, which does not exist`);
    if (base!.frameIndex === frameIndex) fail(`frame ${frameIndex} names one of its own blobs as its base`);
    frame.baseId = Buffer.from(base!.id);
  }
  return { frames, blobs };
}

function decodeFooterV1(footerBytes: Buffer, footerOffset: number, fail: (what: string) => never): PackFooter {
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
    checkFrame({ offset, storedLength, rawLength, codec }, i, fail);
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
    checkBlobType(type, i, fail);
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
