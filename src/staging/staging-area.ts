import { existsSync, fstatSync, readSync } from 'node:fs';
import { HASH_BYTES } from '../core/hash.js';
import { AtomicFile, writeFileAtomic } from '../core/fs-atomic.js';
import { mapFile, withFileIfExists } from '../core/mapped-file.js';
import { checkedBefore, recordChecked } from '../core/checked-stamp.js';
import { mtimeSlackNs } from '../core/timespec.js';
import { encodeStaging, sortByPathBytes, StagingView, stagingPieces, type StagedEntry, type StagingItem, type StagingSnapshot } from './staging-format.js';

/**
 * The staging area: the whole next commit with each entry's stat data, in one binary file that is
 * read through mmap and replaced atomically. `openStaging` reads it in place (entries decoded one at
 * a time, as a walk asks for them); `readStaging` decodes every entry, for callers that need all.
 */
export function openStaging(path: string): StagingView {
  const mapped = mapFile(path);
  if (mapped === undefined) return emptyStaging(path);
  return new StagingView(mapped.bytes, path, mapped.releasePages); // an empty file fails: bad magic
}

/**
 * openStaging for a command that only reads the staging area (status, diff): the file is checked whole
 * (~100 bytes a tracked file hashed and checked: at 500,000 files, ~30 ms of a ~0.5 s status) only
 * when it changed since it was last checked, which `.store/staging-checked` tells (see
 * core/checked-stamp.ts; git checks its index's checksum only in fsck). Commands that write from the
 * staging area (add, commit, checkout...) check it whole every time.
 */
export function openStagingToRead(place: { staging: string; stagingChecked: string; fileMode: number }): StagingView {
  const stamp = { path: place.stagingChecked, fileMode: place.fileMode };
  const checkStartedAtNs = nowNs();
  const mapped = mapFile(place.staging);
  if (mapped === undefined) return emptyStaging(place.staging);
  const { bytes, stats } = mapped;
  const checksum = bytes.subarray(Math.max(0, bytes.length - HASH_BYTES));
  const known = bytes.length >= HASH_BYTES && checkedBefore(stamp, stats, checksum);
  const view = new StagingView(bytes, place.staging, mapped.releasePages, { checkedBefore: known });
  if (!known) recordChecked(stamp, stats, view.checksum, checkStartedAtNs);
  return view;
}

/**
 * The staging file's trailing checksum as it is on disk now (undefined when there is no file): read
 * alone, it tells a writer whether the file is still the one it opened earlier, without opening and
 * checking all of it again.
 */
export function stagingChecksumOnDisk(path: string): Buffer | undefined {
  return withFileIfExists(path, (fd) => {
    const size = fstatSync(fd).size;
    const checksum = Buffer.alloc(HASH_BYTES);
    return size >= HASH_BYTES && readSync(fd, checksum, 0, HASH_BYTES, size - HASH_BYTES) === HASH_BYTES ? checksum : undefined;
  });
}

/** A staging area with no entry (what a repository without a staging file has), named `path`. */
export function emptyStaging(path: string): StagingView {
  return new StagingView(encodeStaging({ entries: [], writtenAtNs: 0n }), path);
}

export function readStaging(path: string): StagingSnapshot {
  if (!existsSync(path)) return { entries: [], writtenAtNs: 0n };
  const view = openStaging(path);
  return { entries: [...view], writtenAtNs: view.writtenAtNs, checksum: view.checksum };
}

/** `scanStartedAtNs`: when the scan that produced these stat data began (see isRacilyClean). */
export function writeStaging(place: { staging: string; fileMode: number }, entries: readonly StagedEntry[], scanStartedAtNs: bigint): void {
  writeFileAtomic(place.staging, encodeStaging({ entries: sortByPathBytes(entries), writtenAtNs: scanStartedAtNs }), { mode: place.fileMode });
}

/**
 * `writeStaging` from entries (and runs of an open staging file's entries, copied as bytes) in path
 * byte order that `entries` gives afresh on each call (it is walked three times), written as they are
 * encoded: memory holds 64 KiB of the file, not the file.
 */
export function writeStagingFrom(place: { staging: string; fileMode: number }, entries: () => Iterable<StagingItem>, scanStartedAtNs: bigint): void {
  const file = new AtomicFile(place.staging, { mode: place.fileMode });
  try {
    for (const piece of stagingPieces(entries, scanStartedAtNs)) file.write(piece); // a piece is reused once written
  } catch (error) {
    file.discard();
    throw error;
  }
  file.commit();
}

/**
 * A file modified within one timestamp tick of the scan that staged it could change again without
 * its size or mtime changing (git calls this "racily clean"): such an entry is never trusted on stat
 * alone. StagingView.isUnchangedAt makes the same check in place.
 */
export function isRacilyClean(entry: StagedEntry, snapshot: Pick<StagingSnapshot, 'writtenAtNs'>): boolean {
  return entry.mtimeNs + BigInt(mtimeSlackNs(Number(entry.mtimeNs % 1_000_000_000n))) >= snapshot.writtenAtNs;
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
