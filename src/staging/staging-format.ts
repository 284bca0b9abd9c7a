import { CorruptionError } from '../core/errors.js';
import { HASH_BYTES, hashBytes } from '../core/hash.js';
import { readUint53LE, writeUint53LE } from '../core/uint53.js';
import { hasPathProblem, MAX_PATH_BYTES, pathProblem } from '../core/names.js';
import { decodeNameAt, encodeName } from '../core/path-bytes.js';
import { compareUtf8 } from '../core/utf8-order.js';
import { EntryKind } from '../core/vocabulary.js';

/**
 * Staging file codec (pure). Layout, little-endian:
 *   header  "STSTAGE\0" | u32 version | u32 entryCount | u32 heapBytes | u32 reserved | i64 writtenAtNs   (32 bytes)
 *   entries entryCount x 88 bytes, sorted by path bytes:
 *           u8 kind | u8 reserved | u16 reserved | u32 mode | u64 size | i64 mtimeNs | i64 ctimeNs |
 *           u64 ino | u64 dev | fileId[32] | u32 pathOffset | u32 pathLength
 *   heap    the paths, UTF-8, '/'-separated, relative to the working tree root
 *   trailer BLAKE3 of everything before it (32 bytes)
 */
export const STAGING_MAGIC = Buffer.from('STSTAGE\0', 'ascii');
export const STAGING_VERSION = 1;
const HEADER_BYTES = 32;
const ENTRY_BYTES = 88;

export interface StagedEntry {
  path: string;
  kind: EntryKind.File | EntryKind.Executable | EntryKind.Symlink;
  mode: number;
  sizeBytes: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  dev: bigint;
  /** BLAKE3 of the content (for a symlink, of its target). */
  fileId: Buffer;
}

export interface StagingSnapshot {
  entries: StagedEntry[];
  /** When the file was written: entries modified at or after it may have changed unseen (racy stat). */
  writtenAtNs: bigint;
  /** The file's trailing BLAKE3, as read (undefined when none was read): tells whether it was replaced since. */
  checksum?: Buffer;
}

/** Entries in the byte order of their UTF-8 paths (JS string order differs past U+FFFF). */
export function sortByPathBytes(entries: readonly StagedEntry[]): StagedEntry[] {
  return [...entries].sort((a, b) => compareUtf8(a.path, b.path));
}

export function encodeStaging(snapshot: StagingSnapshot): Buffer {
  const { entries } = snapshot;
  const { heap, pathLengths } = encodePaths(entries);
  const heapStart = HEADER_BYTES + entries.length * ENTRY_BYTES;
  const bodyBytes = heapStart + heap.length;
  const out = Buffer.alloc(bodyBytes + HASH_BYTES);
  STAGING_MAGIC.copy(out, 0);
  out.writeUInt32LE(STAGING_VERSION, 8);
  out.writeUInt32LE(entries.length, 12);
  out.writeUInt32LE(heap.length, 16);
  out.writeBigInt64LE(snapshot.writtenAtNs, 24);
  heap.copy(out, heapStart);
  // DataView's 64-bit accessors are V8 builtins; Buffer's BigInt methods cost several times more.
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let pathOffset = 0;
  entries.forEach((entry, index) => {
    const at = HEADER_BYTES + index * ENTRY_BYTES;
    out[at] = entry.kind;
    view.setUint32(at + 4, entry.mode, true);
    writeUint53LE(out, entry.sizeBytes, at + 8);
    view.setBigInt64(at + 16, entry.mtimeNs, true);
    view.setBigInt64(at + 24, entry.ctimeNs, true);
    view.setBigUint64(at + 32, entry.ino, true);
    view.setBigUint64(at + 40, entry.dev, true);
    out.set(entry.fileId, at + 48); // TypedArray#set: a builtin, unlike Buffer#copy
    view.setUint32(at + 80, pathOffset, true);
    view.setUint32(at + 84, pathLengths[index]!, true);
    pathOffset += pathLengths[index]!;
  });
  hashBytes(out.subarray(0, bodyBytes)).copy(out, bodyBytes);
  return out;
}

/**
 * All paths end to end, encoded in one call, and each one's length in bytes: a Buffer per path cost
 * most of encoding 12,000 entries. When the heap is as long as the text, every path is ASCII.
 */
function encodePaths(entries: readonly StagedEntry[]): { heap: Buffer; pathLengths: Uint32Array } {
  const joined = entries.map((entry) => entry.path).join('');
  if (!joined.isWellFormed()) return encodePathsOneByOne(entries); // names that are not UTF-8: rare
  const heap = Buffer.from(joined, 'utf8');
  const ascii = heap.length === joined.length;
  const pathLengths = new Uint32Array(entries.length);
  entries.forEach((entry, index) => {
    pathLengths[index] = ascii ? entry.path.length : Buffer.byteLength(entry.path, 'utf8');
  });
  return { heap, pathLengths };
}

function encodePathsOneByOne(entries: readonly StagedEntry[]): { heap: Buffer; pathLengths: Uint32Array } {
  const encoded = entries.map((entry) => encodeName(entry.path));
  return { heap: Buffer.concat(encoded), pathLengths: Uint32Array.from(encoded, (bytes) => bytes.length) };
}

/**
 * A staging file read in place: checked whole when opened (checksum, kinds, bounds, byte order, path
 * rules), then each entry decoded when asked for, so that a caller walking a million entries holds
 * one at a time, not a million objects. The bytes are the caller's (an mmap, for the staging area).
 */
export class StagingView {
  readonly count: number;
  readonly writtenAtNs: bigint;
  /** The file's trailing BLAKE3: tells whether it was replaced since it was read. */
  readonly checksum: Buffer;
  private readonly heapStart: number;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Buffer,
    source: string,
  ) {
    const fail = (what: string): never => {
      throw new CorruptionError('CORRUPT_STAGING', `staging area ${source}: ${what}`, {
        hint: 'run `store reset` to rebuild it from HEAD (then `store add` again)',
      });
    };
    if (bytes.length < HEADER_BYTES + HASH_BYTES || !bytes.subarray(0, 8).equals(STAGING_MAGIC)) fail('bad magic');
    const version = bytes.readUInt32LE(8);
    if (version !== STAGING_VERSION) fail(`unknown version ${version}`);
    this.count = bytes.readUInt32LE(12);
    const heapBytes = bytes.readUInt32LE(16);
    this.writtenAtNs = bytes.readBigInt64LE(24);
    this.heapStart = HEADER_BYTES + this.count * ENTRY_BYTES;
    const bodyBytes = this.heapStart + heapBytes;
    if (bodyBytes + HASH_BYTES !== bytes.length) fail('length does not match its header');
    if (!hashBytes(bytes.subarray(0, bodyBytes)).equals(bytes.subarray(bodyBytes))) fail('checksum mismatch');
    this.checksum = Buffer.from(bytes.subarray(bodyBytes));
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let previousPath: string | undefined;
    for (let index = 0; index < this.count; index++) {
      const at = HEADER_BYTES + index * ENTRY_BYTES;
      const kind = bytes[at]!;
      if (kind !== EntryKind.File && kind !== EntryKind.Executable && kind !== EntryKind.Symlink) fail(`entry ${index} has unknown kind ${kind}`);
      const pathOffset = this.view.getUint32(at + 80, true);
      const pathLength = this.view.getUint32(at + 84, true);
      if (pathOffset + pathLength > heapBytes) fail(`entry ${index} path lies outside the heap`);
      if (pathLength > MAX_PATH_BYTES) fail(`entry ${index} has a path of ${pathLength} bytes (at most ${MAX_PATH_BYTES})`);
      const path = this.pathAt(index);
      // Strictly increasing: in byte order, and no path twice.
      if (previousPath !== undefined && compareUtf8(previousPath, path) >= 0) fail(`entry ${index} is out of byte order or repeats a path`);
      previousPath = path;
      if (hasPathProblem(path)) fail(`entry ${index} (${JSON.stringify(path)}) has ${pathProblem(path)}`);
      if (!Number.isSafeInteger(readUint53LE(bytes, at + 8))) fail(`entry ${index} has a size out of range`);
    }
  }

  pathAt(index: number): string {
    const at = HEADER_BYTES + index * ENTRY_BYTES;
    const start = this.heapStart + this.view.getUint32(at + 80, true);
    return decodeNameAt(this.bytes, start, start + this.view.getUint32(at + 84, true));
  }

  entryAt(index: number): StagedEntry {
    const at = HEADER_BYTES + index * ENTRY_BYTES;
    const view = this.view;
    return {
      kind: this.bytes[at] as StagedEntry['kind'],
      mode: view.getUint32(at + 4, true),
      sizeBytes: readUint53LE(this.bytes, at + 8),
      mtimeNs: view.getBigInt64(at + 16, true),
      ctimeNs: view.getBigInt64(at + 24, true),
      ino: view.getBigUint64(at + 32, true),
      dev: view.getBigUint64(at + 40, true),
      // A view, not a copy: it keeps the (read-only) mapping alive as long as it is referenced.
      fileId: this.bytes.subarray(at + 48, at + 48 + HASH_BYTES),
      path: this.pathAt(index),
    };
  }

  *[Symbol.iterator](): Generator<StagedEntry> {
    for (let index = 0; index < this.count; index++) yield this.entryAt(index);
  }

  /**
   * The bytes a directory's fingerprint covers for entries [start, end): kind, size, file id, path
   * length and path of each, end to end (see RunFingerprints), handed to `take` in pieces of about
   * 64 KiB, made from the file's own bytes without decoding a path.
   */
  fingerprintBytes(start: number, end: number, take: (piece: Buffer) => void): void {
    const scratch = Buffer.allocUnsafe(FINGERPRINT_PIECE_BYTES + 45 + MAX_PATH_BYTES);
    let used = 0;
    for (let index = start; index < end; index++) {
      const at = HEADER_BYTES + index * ENTRY_BYTES;
      const pathStart = this.heapStart + this.view.getUint32(at + 80, true);
      const pathLength = this.view.getUint32(at + 84, true);
      scratch[used] = this.bytes[at]!;
      this.bytes.copy(scratch, used + 1, at + 8, at + 16);
      this.bytes.copy(scratch, used + 9, at + 48, at + 48 + HASH_BYTES);
      scratch.writeUInt32LE(pathLength, used + 41);
      this.bytes.copy(scratch, used + 45, pathStart, pathStart + pathLength);
      used += 45 + pathLength;
      if (used >= FINGERPRINT_PIECE_BYTES) {
        take(scratch.subarray(0, used));
        used = 0;
      }
    }
    if (used > 0) take(scratch.subarray(0, used));
  }
}

const FINGERPRINT_PIECE_BYTES = 64 * 1024;

/** Every entry decoded: for callers that need them all at once (small trees, or a rewrite of all). */
export function decodeStaging(bytes: Buffer, source: string): StagingSnapshot {
  const view = new StagingView(bytes, source);
  return { entries: [...view], writtenAtNs: view.writtenAtNs, checksum: view.checksum };
}
