import type { BigIntStats } from 'node:fs';
import { readFileSync } from 'node:fs';
import { errnoCode } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs-atomic.js';
import { HASH_BYTES } from '../core/hash.js';
import { mtimeSlackNs } from './staging-format.js';

/**
 * A record that the staging file, as it is on disk now, was checked whole (its checksum and every
 * entry) by an earlier read, so that a `status` need not hash and check ~100 bytes a file again (at
 * 500,000 files, ~30 ms of its ~0.5 s). git checks its index's checksum only in fsck; store checks the
 * staging area whole whenever the file changed since it was last checked, which its fstat tells: any
 * write moves a file's ctime, which cannot be set back, and a staging file store writes anew is
 * another inode with another trailing checksum. A file whose ctime lies within the racy slack of the
 * check's start is not recorded (a write in the same timestamp tick could leave it as it was).
 * Derived data: missing, damaged or of another version, it is ignored and written anew. Commands that
 * write from the staging area (add, commit, checkout...) check it whole every time.
 *
 * Layout, little-endian: "STCHKD\0\0" | u32 version | 5 x u64 (device, inode, size, mtime ns,
 * ctime ns) | the staging file's trailing BLAKE3
 */
const MAGIC = Buffer.from('STCHKD\0\0', 'ascii');
const VERSION = 1;
const STAT_FIELDS = 5;
const RECORD_BYTES = MAGIC.length + 4 + STAT_FIELDS * 8 + HASH_BYTES;

export interface StagingCheckedPlace {
  stagingChecked: string;
  fileMode: number;
}

function recordOf(stats: BigIntStats, checksum: Buffer): Buffer {
  const record = Buffer.alloc(RECORD_BYTES);
  MAGIC.copy(record, 0);
  record.writeUInt32LE(VERSION, MAGIC.length);
  const fields = [stats.dev, stats.ino, stats.size, stats.mtimeNs, stats.ctimeNs];
  fields.forEach((value, index) => record.writeBigUInt64LE(BigInt.asUintN(64, value), MAGIC.length + 4 + index * 8));
  checksum.copy(record, RECORD_BYTES - HASH_BYTES);
  return record;
}

/** Whether the staging file of these stat data and trailing checksum is the one last checked whole. */
export function checkedBefore(place: StagingCheckedPlace, stats: BigIntStats, checksum: Buffer): boolean {
  let recorded: Buffer;
  try {
    recorded = readFileSync(place.stagingChecked);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false;
    throw error;
  }
  return recorded.equals(recordOf(stats, checksum));
}

/**
 * Records that the staging file of these stat data was checked whole, the check having begun at
 * `checkStartedAtNs`; not when its ctime is too recent to tell a later write apart. A file system
 * that refuses the write (read-only, full) leaves the next read to check the file whole again.
 */
export function recordChecked(place: StagingCheckedPlace, stats: BigIntStats, checksum: Buffer, checkStartedAtNs: bigint): void {
  if (stats.ctimeNs + BigInt(mtimeSlackNs(Number(stats.ctimeNs % 1_000_000_000n))) >= checkStartedAtNs) return;
  try {
    writeFileAtomic(place.stagingChecked, recordOf(stats, checksum), { durable: false, mode: place.fileMode });
  } catch (error) {
    if (errnoCode(error) === undefined) throw error;
  }
}
