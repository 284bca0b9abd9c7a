import type { CommitRow } from '../src/catalog/catalog.js';
import { encodeCommit } from '../src/objects/commit.js';
import { hashBytes } from '../src/core/hash.js';
import { BlobType, Codec } from '../src/core/vocabulary.js';
import { PACK_END_MAGIC, PACK_TRAILER_BYTES, type PackFooter } from '../src/store/pack-format.js';

/** What crafting a commit needs of a blob writer (the compiled one or the source one: the same bytes). */
interface CraftingWriter {
  addBlob(type: BlobType, id: Buffer, bytes: Uint8Array): unknown;
  addCommit(row: CommitRow): void;
  finish(): Promise<unknown>;
}

/**
 * Stores a commit of a root tree already added to `writer` (its trees may break every rule: the
 * writer does not judge), seals it, and returns the commit id. Moving a ref there is the caller's.
 */
export async function finishCraftedCommit(
  writer: CraftingWriter,
  rootId: Buffer,
  options: { logicalBytes: number; timeMs?: number; message?: string },
): Promise<string> {
  const commit = {
    treeId: rootId.toString('hex'),
    parentId: undefined,
    author: 'attacker',
    timeMs: options.timeMs ?? 1,
    fileCount: 1,
    logicalBytes: options.logicalBytes,
    message: options.message ?? 'crafted',
  };
  const encoded = encodeCommit(commit);
  writer.addBlob(BlobType.Commit, encoded.id, encoded.bytes);
  writer.addCommit({ ...commit, id: encoded.id, treeId: rootId, parentId: undefined });
  await writer.finish();
  return encoded.id.toString('hex');
}

/**
 * A footer and trailer of pack version 1 (what stores of format 5 and before wrote): fixed records,
 * the bases in a section of their own. Writers now write version 3 only; readers read every version.
 */
export function encodeVersion1FooterAndTrailer(footer: PackFooter, footerOffset: number): Buffer {
  const deltaFrames = footer.frames.flatMap((frame, index) => (frame.codec === Codec.Delta ? [index] : []));
  const basesLength = deltaFrames.length === 0 ? 0 : 4 + deltaFrames.length * 36;
  const footerLength = 8 + footer.frames.length * 20 + footer.blobs.length * 45 + basesLength;
  const out = Buffer.alloc(footerLength + PACK_TRAILER_BYTES);
  let at = out.writeUInt32LE(footer.frames.length, 0);
  for (const frame of footer.frames) {
    at = out.writeBigUInt64LE(BigInt(frame.offset), at);
    at = out.writeUInt32LE(frame.storedLength, at);
    at = out.writeUInt32LE(frame.rawLength, at);
    at = out.writeUInt8(frame.codec, at) + 3;
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
  at = out.writeBigUInt64LE(BigInt(footerOffset), at);
  at = out.writeUInt32LE(footerLength, at) + 4; // reserved: 0
  at += hashBytes(out.subarray(0, footerLength)).copy(out, at);
  PACK_END_MAGIC.copy(out, at);
  return out;
}

/**
 * A footer and trailer of pack version 2 (what stores of format 6 wrote): version 3's compact
 * footer, but a delta's base always by its 32-byte id.
 */
export function encodeVersion2FooterAndTrailer(footer: PackFooter, footerOffset: number): Buffer {
  const bytes: number[] = [];
  const varint = (value: number): void => {
    let rest = value;
    for (; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes.push((rest % 0x80) | 0x80);
    bytes.push(rest);
  };
  varint(footer.frames.length);
  footer.frames.forEach((frame, index) => {
    bytes.push(frame.codec);
    varint(frame.storedLength);
    varint(frame.rawLength);
    if (frame.codec === Codec.Delta) bytes.push(...frame.baseId!);
    const blobs = footer.blobs.filter((blob) => blob.frameIndex === index);
    varint(blobs.length);
    for (const blob of blobs) {
      bytes.push(...blob.id, blob.type);
      varint(blob.length);
    }
  });
  const body = Buffer.from(bytes);
  const trailer = Buffer.alloc(PACK_TRAILER_BYTES);
  let at = trailer.writeBigUInt64LE(BigInt(footerOffset), 0);
  at = trailer.writeUInt32LE(body.length, at);
  at = trailer.writeUInt32LE(2, at);
  at += hashBytes(body).copy(trailer, at);
  PACK_END_MAGIC.copy(trailer, at);
  return Buffer.concat([body, trailer]);
}
