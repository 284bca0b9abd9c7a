import { CorruptionError } from '../core/errors.js';
import { digestOf, HASH_BYTES, newHasher, withHasher } from '../core/hash.js';
import { readUint53LE, writeUint53LE } from '../core/uint53.js';
import type { LstatNumbers } from '../core/list-directory.js';
import { msOfTimespec, readTimespecAt, mtimeSlackNs } from '../core/timespec.js';
import { hasPathProblemAt, MAX_PATH_BYTES, pathProblem } from '../core/names.js';
import { decodeNameAt, encodeName, nameByteLength } from '../core/path-bytes.js';
import { binarySearch } from '../core/binary-search.js';
import { callNative } from '../core/native.js';
import { compareByteRanges, compareUtf8 } from '../core/utf8-order.js';
import { EntryKind } from '../core/vocabulary.js';
import type { DirectoryListing } from '../core/list-directory.js';

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
/** A staged entry's record in the file (its path lies in the heap). */
export const STAGING_RECORD_BYTES = ENTRY_BYTES;

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
  const pieces: Buffer[] = [];
  // Each piece copied as it comes: the next one is written into the same memory.
  for (const piece of stagingPieces(() => snapshot.entries, snapshot.writtenAtNs)) pieces.push(Buffer.from(piece));
  return Buffer.concat(pieces);
}

const PIECE_BYTES = 64 * 1024;

/** An entry's fields at `at` (the first 80 bytes of its 88: where its path lies is the caller's). */
export function writeRecord(bytes: Buffer, view: DataView, at: number, entry: StagedEntry): void {
  bytes[at] = entry.kind;
  bytes.fill(0, at + 1, at + 4);
  view.setUint32(at + 4, entry.mode, true);
  writeUint53LE(bytes, entry.sizeBytes, at + 8);
  view.setBigInt64(at + 16, entry.mtimeNs, true);
  view.setBigInt64(at + 24, entry.ctimeNs, true);
  view.setBigUint64(at + 32, entry.ino, true);
  view.setBigUint64(at + 40, entry.dev, true);
  bytes.set(entry.fileId, at + 48); // TypedArray#set: a builtin, unlike Buffer#copy
}

export function readRecord(bytes: Buffer, view: DataView, at: number, path: string): StagedEntry {
  return {
    kind: bytes[at] as StagedEntry['kind'],
    mode: view.getUint32(at + 4, true),
    sizeBytes: readUint53LE(bytes, at + 8),
    mtimeNs: view.getBigInt64(at + 16, true),
    ctimeNs: view.getBigInt64(at + 24, true),
    ino: view.getBigUint64(at + 32, true),
    dev: view.getBigUint64(at + 40, true),
    fileId: bytes.subarray(at + 48, at + 48 + HASH_BYTES),
    path,
  };
}

/**
 * Entries held as the staging file holds them, 88 bytes each in one growing buffer (their paths in
 * an array), not as objects: an entry object with its file id's own buffer and four BigInts costs
 * several times that (in a heap snapshot of a first add of bench/scale.js's 100,000 files, the file
 * ids' buffers were the largest part of the heap).
 */
export class StagedEntryList {
  private records = Buffer.alloc(ENTRY_BYTES * 1024);
  private view = new DataView(this.records.buffer, this.records.byteOffset, this.records.byteLength);
  private readonly paths: string[] = [];

  get count(): number {
    return this.paths.length;
  }

  push(entry: StagedEntry): void {
    const at = this.paths.length * ENTRY_BYTES;
    if (at + ENTRY_BYTES > this.records.length) {
      const grown = Buffer.alloc(this.records.length * 2);
      this.records.copy(grown);
      this.records = grown;
      this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
    }
    writeRecord(this.records, this.view, at, entry);
    this.paths.push(entry.path);
  }

  pathAt(index: number): string {
    return this.paths[index]!;
  }

  /** Decoded anew on each call; its file id is a view into the list. */
  entryAt(index: number): StagedEntry {
    return readRecord(this.records, this.view, index * ENTRY_BYTES, this.paths[index]!);
  }

  /** The indexes of the entries in path byte order. */
  pathOrder(): Uint32Array {
    return Uint32Array.from(this.paths.keys()).sort((a, b) => compareUtf8(this.paths[a]!, this.paths[b]!));
  }
}

/**
 * A run of entries [start, end) of an open staging file, kept unchanged in a new one: copied as the
 * bytes they are (records and paths), never decoded. An add that changes 1% of 500,000 files keeps
 * the rest so, where decoding each entry to an object and encoding it again cost most of its time.
 */
export interface KeptRun {
  readonly keptFrom: StagingView;
  readonly start: number;
  readonly end: number;
}

/** What a staging file is written from: entries, and runs of an older staging file's entries. */
export type StagingItem = StagedEntry | KeptRun;

function isKeptRun(item: StagingItem): item is KeptRun {
  return (item as KeptRun).keptFrom !== undefined;
}

/**
 * The staging file's bytes in pieces of about 64 KiB (each valid until the next is asked for), from
 * items in path byte order that `items` gives afresh on each call: the header and the paths need
 * counts, so they are walked three times (counts, records, paths) and never held.
 */
export function* stagingPieces(items: () => Iterable<StagingItem>, writtenAtNs: bigint): Generator<Buffer> {
  let count = 0;
  let heapBytes = 0;
  for (const item of items()) {
    if (isKeptRun(item)) {
      count += item.end - item.start;
      heapBytes += item.keptFrom.pathBytesOf(item.start, item.end);
      continue;
    }
    count++;
    const pathBytes = nameByteLength(item.path);
    // A piece holds any path after its records: a longer one (none passes the checks of add) would be cut.
    if (pathBytes > MAX_PATH_BYTES) throw new Error(`staging: a path of ${pathBytes} bytes (at most ${MAX_PATH_BYTES})`);
    heapBytes += pathBytes;
  }
  const hasher = newHasher();
  const piece = Buffer.allocUnsafe(PIECE_BYTES + MAX_PATH_BYTES);
  const view = new DataView(piece.buffer, piece.byteOffset, piece.byteLength); // its 64-bit accessors are V8 builtins
  piece.fill(0, 0, HEADER_BYTES);
  STAGING_MAGIC.copy(piece, 0);
  piece.writeUInt32LE(STAGING_VERSION, 8);
  piece.writeUInt32LE(count, 12);
  piece.writeUInt32LE(heapBytes, 16);
  piece.writeBigInt64LE(writtenAtNs, 24);
  let used = HEADER_BYTES;
  let pathOffset = 0;
  function* flushed(): Generator<Buffer> {
    hasher.update(piece.subarray(0, used));
    yield piece.subarray(0, used);
    used = 0;
  }
  for (const item of items()) {
    if (!isKeptRun(item)) {
      if (used + ENTRY_BYTES > PIECE_BYTES) yield* flushed();
      const pathLength = nameByteLength(item.path);
      writeRecord(piece, view, used, item);
      view.setUint32(used + 80, pathOffset, true);
      view.setUint32(used + 84, pathLength, true);
      pathOffset += pathLength;
      used += ENTRY_BYTES;
      continue;
    }
    for (let index = item.start; index < item.end; ) {
      if (used + ENTRY_BYTES > PIECE_BYTES) yield* flushed();
      // As many records as fit, in one copy; then each one's path offset, which differs in the new heap.
      const take = Math.min(item.end - index, Math.floor((PIECE_BYTES - used) / ENTRY_BYTES));
      item.keptFrom.copyRecords(index, index + take, piece, used);
      for (let i = 0; i < take; i++, used += ENTRY_BYTES) {
        view.setUint32(used + 80, pathOffset, true);
        pathOffset += view.getUint32(used + 84, true);
      }
      index += take;
    }
  }
  for (const item of items()) {
    if (!isKeptRun(item)) {
      if (used > PIECE_BYTES) yield* flushed();
      used += item.path.isWellFormed() ? piece.write(item.path, used, 'utf8') : encodeName(item.path).copy(piece, used);
      continue;
    }
    for (let index = item.start; index < item.end; index++) {
      if (used > PIECE_BYTES) yield* flushed();
      used += item.keptFrom.copyPath(index, piece, used);
    }
  }
  hasher.update(piece.subarray(0, used));
  yield piece.subarray(0, used);
  yield digestOf(hasher);
}

/**
 * The first entry of a staging file (its header and length already checked) that breaks a rule, and
 * which: its kind, its path's place in the heap and length, byte order (strictly increasing: no path
 * twice), the path rules, its size. checkStagingEntries (native/store_native.c) checks the same for
 * every file opened; this one words what it finds (test/formats.test.ts holds the two to the same
 * answers).
 */
export function firstEntryProblem(bytes: Buffer): { index: number; problem: string } | undefined {
  const count = bytes.readUInt32LE(12);
  const heapBytes = bytes.readUInt32LE(16);
  const heapStart = HEADER_BYTES + count * ENTRY_BYTES;
  let previousStart = -1;
  let previousEnd = -1;
  for (let index = 0; index < count; index++) {
    const at = HEADER_BYTES + index * ENTRY_BYTES;
    const found = (problem: string) => ({ index, problem: `entry ${index} ${problem}` });
    const kind = bytes[at]!;
    if (kind !== EntryKind.File && kind !== EntryKind.Executable && kind !== EntryKind.Symlink) return found(`has unknown kind ${kind}`);
    const pathOffset = bytes.readUInt32LE(at + 80);
    const pathLength = bytes.readUInt32LE(at + 84);
    if (pathOffset + pathLength > heapBytes) return found('path lies outside the heap');
    if (pathLength > MAX_PATH_BYTES) return found(`has a path of ${pathLength} bytes (at most ${MAX_PATH_BYTES})`);
    // Checked as bytes in place; decoded only to name a problem.
    const pathStart = heapStart + pathOffset;
    const pathEnd = pathStart + pathLength;
    // Strictly increasing: in byte order, and no path twice.
    if (previousStart >= 0 && compareByteRanges(bytes, previousStart, previousEnd, pathStart, pathEnd) >= 0)
      return found('is out of byte order or repeats a path');
    previousStart = pathStart;
    previousEnd = pathEnd;
    if (hasPathProblemAt(bytes, pathStart, pathEnd)) {
      const path = decodeNameAt(bytes, pathStart, pathEnd);
      return found(`(${JSON.stringify(path)}) has ${pathProblem(path)}`);
    }
    if (!Number.isSafeInteger(readUint53LE(bytes, at + 8))) return found('has a size out of range');
  }
  return undefined;
}

/**
 * A staging file read in place: checked whole when opened (checksum, kinds, bounds, byte order, path
 * rules), then each entry decoded when asked for, so that a caller walking a million entries holds
 * one at a time, not a million objects. The bytes are the caller's (an mmap, for the staging area).
 */
export class StagingView {
  readonly count: number;
  readonly writtenAtNs: bigint;
  /** writtenAtNs as a timespec (undefined before 1970: see isUnchangedAt). */
  private readonly writtenAt: { sec: number; nsec: number } | undefined;
  /** The file's trailing BLAKE3: tells whether it was replaced since it was read. */
  readonly checksum: Buffer;
  private readonly heapStart: number;
  private readonly view: DataView;

  /**
   * `releasePages`, when given, lets the kernel drop the pages read so far from this process (an
   * mmap's MADV_DONTNEED): they come back from the page cache when read again. Called every
   * RELEASE_EVERY entries read, so that a walk of a million entries keeps about a megabyte of the
   * file resident, not all of it (~106 bytes an entry, which `status` at 1,000,000 files counted).
   * `checkedBefore`: this very file was checked whole by an earlier read (see core/checked-stamp.ts), so
   * only its header is checked now.
   */
  constructor(
    private readonly bytes: Buffer,
    private readonly source: string,
    private readonly releasePages: () => void = () => {},
    options: { checkedBefore?: boolean } = {},
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
    if (this.writtenAtNs >= 0n) this.writtenAt = { sec: Number(this.writtenAtNs / 1_000_000_000n), nsec: Number(this.writtenAtNs % 1_000_000_000n) };
    this.heapStart = HEADER_BYTES + this.count * ENTRY_BYTES;
    const bodyBytes = this.heapStart + heapBytes;
    if (bodyBytes + HASH_BYTES !== bytes.length) fail('length does not match its header');
    this.checksum = Buffer.from(bytes.subarray(bodyBytes));
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (options.checkedBefore === true) return;
    if (!this.bodyDigest(bodyBytes).equals(this.checksum)) fail('checksum mismatch');
    // Checked natively, a run of entries at a time with the pages read let go between runs; the
    // check in JavaScript (firstEntryProblem) runs only to word what the native one found.
    for (let from = 0; from < this.count; from += RELEASE_EVERY) {
      const to = Math.min(this.count, from + RELEASE_EVERY);
      if (callNative(source, (addon) => addon.checkStagingEntries(bytes, from, to)) >= 0) {
        fail(firstEntryProblem(bytes)?.problem ?? 'an entry breaks a rule of the native check that the JavaScript one does not know');
      }
      this.releasePages();
    }
  }

  private bodyDigest(bodyBytes: number): Buffer {
    return withHasher((hasher) => {
      for (let at = 0; at < bodyBytes; at += RELEASE_BYTES) {
        hasher.update(this.bytes.subarray(at, Math.min(bodyBytes, at + RELEASE_BYTES)));
        this.releasePages();
      }
      return digestOf(hasher);
    });
  }

  private readsSinceRelease = 0;
  private lastRead = 0;

  /**
   * Counts a read of entry `index` towards the next release of pages. A read far from the last one
   * touches a page of records and one of paths that a walk in order shares with its neighbours, so
   * it counts as FAR_READ_WEIGHT reads: a 1% add at 1,000,000 files looks up 10,000 scattered
   * entries, which left 100 MB of the mapping resident when each counted as one.
   */
  private countRead(index: number): void {
    const far = Math.abs(index - this.lastRead) > ENTRIES_PER_PAGE;
    this.lastRead = index;
    this.readsSinceRelease += far ? FAR_READ_WEIGHT : 1;
    if (this.readsSinceRelease < RELEASE_EVERY) return;
    this.readsSinceRelease = 0;
    this.releasePages();
  }

  /** countRead of entries [first, first + count), read in order. */
  private countReads(first: number, count: number): void {
    this.countRead(first);
    this.lastRead = first + count - 1;
    this.readsSinceRelease += count - 1;
    if (this.readsSinceRelease < RELEASE_EVERY) return;
    this.readsSinceRelease = 0;
    this.releasePages();
  }

  pathAt(index: number): string {
    // A walk asks for one entry's path several times in a row (compare, then take): decoded once.
    if (index === this.lastIndex) return this.lastPath;
    this.countRead(index);
    const at = HEADER_BYTES + index * ENTRY_BYTES;
    const start = this.heapStart + this.view.getUint32(at + 80, true);
    this.lastPath = decodeNameAt(this.bytes, start, start + this.view.getUint32(at + 84, true));
    this.lastIndex = index;
    return this.lastPath;
  }

  private lastIndex = -1;
  private lastPath = '';

  /** Entry `index`'s mtime and mode, read in place (no path decoded). */
  mtimeNsAt(index: number): bigint {
    this.countRead(index);
    return this.view.getBigInt64(HEADER_BYTES + index * ENTRY_BYTES + 16, true);
  }

  modeAt(index: number): number {
    return this.view.getUint32(HEADER_BYTES + index * ENTRY_BYTES + 4, true);
  }

  /** Entry `index`'s inode number, read in place; 0 for a symlink (never a hard link here). */
  hardLinkInodeAt(index: number): bigint {
    const at = HEADER_BYTES + index * ENTRY_BYTES;
    return this.bytes[at] === EntryKind.Symlink ? 0n : this.view.getBigUint64(at + 32, true);
  }

  private readonly time = { sec: 0, nsec: 0 };

  /**
   * isUnchanged (engine/worktree/tracked.ts) of entry `index` against the kind and lstat numbers of
   * the file at its path, read in place: no entry object and no BigInt arithmetic, for a walk that
   * makes this check for every staged file (a clean status). True only where isUnchanged is true
   * (test/formats.test.ts compares them); false also where only isUnchanged can tell (times before
   * 1970), so a caller then asks it.
   */
  isUnchangedAt(index: number, kind: EntryKind, stats: LstatNumbers): boolean {
    this.countRead(index);
    const at = HEADER_BYTES + index * ENTRY_BYTES;
    if (this.bytes[at] !== kind || readUint53LE(this.bytes, at + 8) !== stats.size) return false;
    if (this.view.getUint32(at + 36, true) * 4294967296 + this.view.getUint32(at + 32, true) !== stats.ino) return false;
    const time = this.time;
    if (!readTimespecAt(this.view, at + 24, time) || msOfTimespec(time.sec, time.nsec) !== stats.ctimeMs) return false;
    if (!readTimespecAt(this.view, at + 16, time) || msOfTimespec(time.sec, time.nsec) !== stats.mtimeMs) return false;
    // Not racily clean: the mtime plus its slack comes before the scan that wrote this file.
    const written = this.writtenAt;
    if (written === undefined) return false;
    const later = time.nsec + mtimeSlackNs(time.nsec);
    const sec = time.sec + Math.floor(later / 1e9);
    return sec < written.sec || (sec === written.sec && later % 1e9 < written.nsec);
  }

  /**
   * How many of `listing`'s entries from `from` on are, one after another, entries `index`,
   * `index + 1`... with the stat data staged, not racily clean: isUnchangedAt for a directory's run
   * of files in one native call (at 500,000 files, comparing each in JavaScript was a third of a
   * clean status's own work). It takes no file isUnchangedAt would not (times to the nanosecond).
   */
  unchangedRun(index: number, directory: Buffer, listing: DirectoryListing, from: number): number {
    const run = listing.unchangedRunIn(this.bytes, index, directory, from);
    if (run > 0) this.countReads(index, run);
    return run;
  }

  entryAt(index: number): StagedEntry {
    // Its file id is a view, not a copy: it keeps the (read-only) mapping alive as long as it is referenced.
    return readRecord(this.bytes, this.view, HEADER_BYTES + index * ENTRY_BYTES, this.pathAt(index));
  }

  /**
   * Like indexOf, for a path given as its bytes, searching entries `from` on: compares the file's
   * bytes in place, where indexOf decodes each path it visits.
   */
  indexOfBytes(path: Uint8Array, from = 0): number {
    let low = from;
    let high = this.count - 1;
    // Galloping from `from`, then a binary search: callers look paths up in order, each usually
    // near the last, so the probes stay near too. A plain binary search per path touched pages all
    // over the file: a 1% add at 1,000,000 files had 64 MB of the mapping resident.
    for (let step = 1; low <= high; step *= 2) {
      const probe = Math.min(low + step - 1, high);
      const order = this.comparePathAt(probe, path);
      if (order === 0) return probe;
      if (order > 0) {
        high = probe - 1;
        break;
      }
      low = probe + 1;
    }
    return binarySearch(low, high, (index) => this.comparePathAt(index, path));
  }

  /** The order of entry `index`'s path against `path` (bytes): negative, zero or positive. */
  comparePathAt(index: number, path: Uint8Array): number {
    this.countRead(index);
    const record = HEADER_BYTES + index * ENTRY_BYTES;
    const start = this.heapStart + this.view.getUint32(record + 80, true);
    const length = this.view.getUint32(record + 84, true);
    const common = Math.min(length, path.length);
    for (let i = 0; i < common; i++) {
      const difference = this.bytes[start + i]! - path[i]!;
      if (difference !== 0) return difference;
    }
    return length - path.length;
  }

  /**
   * Whether entry `index`'s path is `directory` (bytes; '' for the root), a '/' and the name in
   * `names[start, end)`: a listed file compared with its staged entry in place (see
   * engine/worktree/tracked.ts).
   */
  isPathAt(index: number, directory: Uint8Array, names: Uint8Array, start: number, end: number): boolean {
    const record = HEADER_BYTES + index * ENTRY_BYTES;
    const length = this.view.getUint32(record + 84, true);
    const nameAt = directory.length === 0 ? 0 : directory.length + 1;
    if (length !== nameAt + end - start) return false;
    const path = this.heapStart + this.view.getUint32(record + 80, true);
    const bytes = this.bytes;
    for (let i = end - start - 1; i >= 0; i--) if (bytes[path + nameAt + i] !== names[start + i]) return false; // names differ at their ends
    if (nameAt === 0) return true;
    if (bytes[path + directory.length] !== 0x2f) return false;
    for (let i = directory.length - 1; i >= 0; i--) if (bytes[path + i] !== directory[i]) return false;
    return true;
  }

  /** The bytes of the paths of entries [start, end) together. */
  pathBytesOf(start: number, end: number): number {
    let total = 0;
    for (let index = start; index < end; index++) {
      total += this.view.getUint32(HEADER_BYTES + index * ENTRY_BYTES + 84, true);
      this.countRead(index); // a run can be the whole file: its pages are let go as it is read
    }
    return total;
  }

  /** Copies the records of entries [start, end) to `target` at `at`, as they are (their path offsets are this file's). */
  copyRecords(start: number, end: number, target: Buffer, at: number): void {
    this.bytes.copy(target, at, HEADER_BYTES + start * ENTRY_BYTES, HEADER_BYTES + end * ENTRY_BYTES);
    this.countRead(start);
    this.readsSinceRelease += end - start - 1;
    this.countRead(end - 1);
  }

  /** Copies entry `index`'s path bytes to `target` at `at`; returns their length. */
  copyPath(index: number, target: Buffer, at: number): number {
    this.countRead(index);
    const record = HEADER_BYTES + index * ENTRY_BYTES;
    const start = this.heapStart + this.view.getUint32(record + 80, true);
    const length = this.view.getUint32(record + 84, true);
    // A byte loop: a native copy per path costs more than the few dozen bytes it moves.
    for (let i = 0; i < length; i++) target[at + i] = this.bytes[start + i]!;
    return length;
  }

  /** The index of `path`, or, when it is not staged, -1 - the index where it would go (as a binary search gives). */
  indexOf(path: string): number {
    return binarySearch(0, this.count - 1, (index) => compareUtf8(this.pathAt(index), path));
  }

  *[Symbol.iterator](): Generator<StagedEntry> {
    for (let index = 0; index < this.count; index++) yield this.entryAt(index);
  }

  /**
   * The bytes a directory's fingerprint covers for entries [start, end): kind, size, file id, path
   * length and path of each, end to end (see runFingerprint), handed to `take` in pieces of about
   * 64 KiB, gathered by the addon from the file's own bytes without decoding a path (a byte loop in
   * JavaScript ran mostly uncompiled in a short command: ~4 ms of a commit of 2,300 entries). A
   * piece is valid until `take` returns.
   */
  fingerprintBytes(start: number, end: number, take: (piece: Buffer) => void): void {
    const next = fingerprintProgress;
    for (let from = start; from < end; from = next[0]!) {
      const used = callNative(this.source, (addon) => addon.fingerprintBytesInto(this.bytes, from, end, fingerprintScratch, next));
      this.countReads(from, next[0]! - from); // after the read: the pages it made resident may go
      take(fingerprintScratch.subarray(0, used));
    }
  }

  /**
   * The directory of each run of entries in one directory ('' at the top), in order: the addon finds
   * the runs, a range of entries a call, and each directory's path is decoded once.
   */
  directoryRuns(): string[] {
    const directories: string[] = [];
    // RELEASE_EVERY entries a call, the pages read let go between: in one call over the whole file,
    // a commit of 1,000,000 files held all of its mapping at once (227 MB at its peak against 153).
    for (let from = 0; from < this.count; from += RELEASE_EVERY) {
      const to = Math.min(this.count, from + RELEASE_EVERY);
      const runs = callNative(this.source, (addon) => addon.directoryRuns(this.bytes, from, to));
      for (let at = 0; at < runs.length; at += 2) {
        const length = runs[at + 1]!;
        const record = HEADER_BYTES + runs[at]! * ENTRY_BYTES;
        const start = this.heapStart + this.view.getUint32(record + 80, true);
        const directory = length === 0 ? '' : decodeNameAt(this.bytes, start, start + length);
        // A run that a range's end cut in two is one run.
        if (at === 0 && from > 0 && directories.at(-1) === directory) continue;
        directories.push(directory);
      }
      this.countReads(from, to - from);
    }
    return directories;
  }
}

const FINGERPRINT_PIECE_BYTES = 64 * 1024;
/** Where fingerprintBytes gathers its pieces (one entry at most fits the slack), shared: the caller hashes each piece at once. */
const fingerprintScratch = Buffer.allocUnsafeSlow(FINGERPRINT_PIECE_BYTES + 45 + MAX_PATH_BYTES);
const fingerprintProgress = new Uint32Array(1);
/** Entries read (or bytes hashed) between two releases of the pages read (see StagingView). */
const RELEASE_EVERY = 16_384;
const ENTRIES_PER_PAGE = Math.floor(4096 / ENTRY_BYTES);
const FAR_READ_WEIGHT = 64;
const RELEASE_BYTES = 4 * 1024 * 1024;

/** Every entry decoded: for callers that need them all at once (small trees, or a rewrite of all). */
export function decodeStaging(bytes: Buffer, source: string): StagingSnapshot {
  const view = new StagingView(bytes, source);
  return { entries: [...view], writtenAtNs: view.writtenAtNs, checksum: view.checksum };
}
