import { errnoCode } from '../../core/errors.js';
import type { BigIntStats } from 'node:fs';
import { checkedBefore, recordChecked } from '../../core/checked-stamp.js';
import { AtomicFile } from '../../core/fs-atomic.js';
import { digestOf, HASH_BYTES, newHasher } from '../../core/hash.js';
import { binarySearch } from '../../core/binary-search.js';
import { type DirectoryListing, knownNamesOf, SELF_FIELDS } from '../../core/list-directory.js';
import { mapFile } from '../../core/mapped-file.js';
import { decodeNameAt, encodeName } from '../../core/path-bytes.js';
import { msOfTimespec, mtimeSlackNs } from '../../core/timespec.js';
import { compareByteRanges } from '../../core/utf8-order.js';

/**
 * The directory cache (git's untracked cache, kept for every name): for each directory the last full
 * walk listed, its own fstat then and the names it held, so that the next walk lists a directory whose
 * fstat has not moved by stat'ing those names, without reading the directory (listDirectory's
 * `known`). Any entry made, removed or renamed in a directory moves its mtime and ctime, and ctime
 * cannot be set back, so nothing new is ever missed. Derived data: a missing, damaged or other-version
 * file is ignored, and the next full walk writes it anew (atomically, not fsynced).
 *
 * Layout, little-endian (docs/FORMAT.md):
 *   "STDIRC\0\0" | u32 version | records | u32 count | BLAKE3 of all before
 *   record: u32 pathLength | path (relative, '' for the root) | u32 knownLength | known
 * where known is listDirectory's: SELF_FIELDS f64 (inode, device, mtime s, mtime ns, ctime s, ctime ns)
 * then each name and a NUL.
 *
 * Memory: the file is mapped, and an index of one number per directory is held.
 */
const MAGIC = Buffer.from('STDIRC\0\0', 'ascii');
const VERSION = 1;
const HEADER_BYTES = 12;
const TRAILER_BYTES = 4 + HASH_BYTES;
/** Pages of the mapping read since the last release, at most this many bytes' worth (see MappedFile). */
const RELEASE_BYTES = 4 * 1024 * 1024;

export class DirectoryCache {
  private readonly bytes: Buffer;
  private readonly releasePages: () => void;
  /** Each record's offset, in the byte order of the paths. */
  private readonly records: number[];
  private readonly walkStartedAtMs = Date.now();
  /**
   * The record of each directory whose known names were handed out and whose listing has not come
   * back yet (a few batches' worth): a binary search of the records for each directory, twice, made V8
   * compile the search (~1,000 calls a status at 500 directories).
   */
  private readonly recordFoundFor = new Map<string, number>();
  private readBytes = 0;

  /** Records reused as they were, while nothing new is to be written (the file need not be rewritten). */
  private reused: number[] = [];
  private out: { file: AtomicFile; hasher: ReturnType<typeof newHasher>; count: number } | undefined;

  /**
   * `writable`: the walk lists every directory it would record (a walk of the whole tree), so that
   * what it did not list is gone or ignored and may be left out of the file it writes.
   */
  constructor(
    private readonly place: { directoryCache: string; directoryCacheChecked: string; fileMode: number },
    private writable: boolean,
  ) {
    const mapped = mapFile(place.directoryCache);
    this.bytes = mapped?.bytes ?? Buffer.alloc(0);
    this.releasePages = mapped?.releasePages ?? (() => {});
    this.records = (mapped === undefined ? undefined : this.readRecords(mapped.stats)) ?? [];
  }

  /** The known names of `directory` ('' for the root) for listDirectory, if recorded. */
  knownFor(directory: string): Buffer | undefined {
    const found = this.recordOf(directory);
    return found < 0 ? undefined : this.knownOfRecord(found, directory);
  }

  /**
   * knownFor of the `index`th directory of recordedDirectories() (`directory`), found without a
   * search; and, for either, the record is remembered until the walk hands the listing back (listed).
   */
  knownOfRecord(index: number, directory: string): Buffer {
    this.recordFoundFor.set(directory, index);
    const known = this.knownAt(this.records[index]!);
    this.readBytes += known.length;
    if (this.readBytes >= RELEASE_BYTES) {
      this.readBytes = 0;
      this.releasePages();
    }
    return known;
  }

  /** Every directory recorded, in the byte order of the paths ('' the root): what a walk of the whole tree may list ahead. */
  recordedDirectories(): string[] {
    return this.records.map((at) => decodeNameAt(this.bytes, at + 4, this.pathEnd(at)));
  }

  /** Called with each listing the walk made: what the next walk may know of `directory`. */
  listed(directory: string, listing: DirectoryListing): void {
    const remembered = this.recordFoundFor.get(directory);
    this.recordFoundFor.delete(directory);
    if (!this.writable) return;
    const found = listing.fromKnown ? (remembered ?? this.recordOf(directory)) : -1;
    if (found >= 0) {
      // Listed from this record's names: the record stands as it is.
      const at = this.records[found]!;
      if (this.out === undefined) this.reused.push(at);
      else this.writing(() => this.append(this.bytes.subarray(at, this.recordEnd(at))));
      return;
    }
    if (this.isRacy(listing.self)) return; // listed again next time
    const path = encodeName(directory);
    const known = knownNamesOf(listing);
    const record = Buffer.allocUnsafe(8 + path.length + known.length);
    record.writeUInt32LE(path.length, 0);
    path.copy(record, 4);
    record.writeUInt32LE(known.length, 4 + path.length);
    known.copy(record, 8 + path.length);
    this.writing(() => {
      this.startWriting();
      this.append(record);
    });
  }

  /** Writes the file when the walk found something it did not hold, or no longer found something it did. */
  finish(): void {
    if (!this.writable) return;
    if (this.out === undefined && this.reused.length === this.records.length) return;
    this.writing(() => {
      this.startWriting();
      const out = this.out!;
      const count = Buffer.alloc(4);
      count.writeUInt32LE(out.count, 0);
      out.hasher.update(count);
      out.file.write(count);
      out.file.write(digestOf(out.hasher));
      out.file.commit();
      this.out = undefined;
    });
  }

  /** Runs a write; one the file system refuses stops writing (derived data: a repository this user cannot write still answers). */
  private writing(write: () => void): void {
    if (!this.writable) return;
    try {
      write();
    } catch (error) {
      this.discard();
      this.writable = false;
      if (!['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT'].includes(errnoCode(error) ?? '')) throw error;
    }
  }

  /** Drops what was written (a walk that did not finish). */
  discard(): void {
    this.out?.file.discard();
    this.out = undefined;
  }

  /**
   * Whether a change to the directory after its fstat could leave the same mtime and ctime: times
   * within a timestamp tick of the walk's start (the staging area's racy rule, see mtimeSlackNs).
   */
  private isRacy(self: Float64Array): boolean {
    const latest = Math.max(msOfTimespec(self[2]!, self[3]!) + mtimeSlackNs(self[3]!) / 1e6, msOfTimespec(self[4]!, self[5]!) + mtimeSlackNs(self[5]!) / 1e6);
    return latest >= this.walkStartedAtMs;
  }

  private startWriting(): void {
    if (this.out !== undefined) return;
    const header = Buffer.alloc(HEADER_BYTES);
    MAGIC.copy(header, 0);
    header.writeUInt32LE(VERSION, 8);
    const hasher = newHasher();
    const file = new AtomicFile(this.place.directoryCache, { durable: false, mode: this.place.fileMode });
    this.out = { file, hasher, count: 0 };
    hasher.update(header);
    file.write(header);
    for (const at of this.reused) this.append(this.bytes.subarray(at, this.recordEnd(at)));
    this.reused = [];
  }

  private append(record: Buffer): void {
    const out = this.out!;
    out.hasher.update(record);
    out.file.write(record);
    out.count++;
  }

  /** The index in `records` of the directory's record, or a negative number. */
  private recordOf(directory: string): number {
    const key = encodeName(directory);
    return binarySearch(0, this.records.length - 1, (index) => this.pathOf(this.records[index]!).compare(key));
  }

  /** Where the path of the record at `at` ends (its known names' length follows). */
  private pathEnd(at: number): number {
    return at + 4 + this.bytes.readUInt32LE(at);
  }

  private pathOf(at: number): Buffer {
    return this.bytes.subarray(at + 4, this.pathEnd(at));
  }

  private knownAt(at: number): Buffer {
    const knownAt = this.pathEnd(at);
    return this.bytes.subarray(knownAt + 4, knownAt + 4 + this.bytes.readUInt32LE(knownAt));
  }

  private recordEnd(at: number): number {
    const knownAt = this.pathEnd(at);
    return knownAt + 4 + this.bytes.readUInt32LE(knownAt);
  }

  /**
   * Each record's offset sorted by path, or undefined when the file is of another version or damaged.
   * Its checksum is checked only when the file changed since it was last checked (see
   * core/checked-stamp.ts): a walk lists every directory from these names.
   */
  private readRecords(stats: BigIntStats): number[] | undefined {
    const bytes = this.bytes;
    if (bytes.length < HEADER_BYTES + TRAILER_BYTES || !bytes.subarray(0, 8).equals(MAGIC) || bytes.readUInt32LE(8) !== VERSION) return undefined;
    const bodyBytes = bytes.length - HASH_BYTES;
    const checksum = bytes.subarray(bodyBytes);
    const stamp = { path: this.place.directoryCacheChecked, fileMode: this.place.fileMode };
    const checkedEarlier = checkedBefore(stamp, stats, checksum);
    if (!checkedEarlier) {
      const hasher = newHasher();
      for (let at = 0; at < bodyBytes; at += RELEASE_BYTES) {
        hasher.update(bytes.subarray(at, Math.min(bodyBytes, at + RELEASE_BYTES)));
        this.releasePages();
      }
      if (!digestOf(hasher).equals(checksum)) return undefined;
    }
    const recordsEnd = bodyBytes - 4;
    const records: number[] = [];
    for (let at = HEADER_BYTES; at < recordsEnd; ) {
      if (at + 4 > recordsEnd) return undefined;
      const knownAt = this.pathEnd(at);
      if (knownAt + 4 > recordsEnd) return undefined;
      const end = knownAt + 4 + bytes.readUInt32LE(knownAt);
      if (end > recordsEnd || end - knownAt - 4 < SELF_FIELDS * 8) return undefined;
      records.push(at);
      at = end;
    }
    if (records.length !== bytes.readUInt32LE(recordsEnd)) return undefined;
    // A walk writes them in its order, sorted but for a '.' against a '/': sorted only when out of order.
    // In place: Buffer's compare with offsets validates each of them first, ~3 us a call (~1.5 ms at 500 directories).
    const byPath = (a: number, b: number): number => compareByteRanges(bytes, a + 4, this.pathEnd(a), b + 4, this.pathEnd(b));
    if (records.some((at, index) => index > 0 && byPath(records[index - 1]!, at) > 0)) records.sort(byPath);
    this.releasePages();
    if (!checkedEarlier) recordChecked(stamp, stats, checksum, BigInt(this.walkStartedAtMs) * 1_000_000n);
    return records;
  }
}
