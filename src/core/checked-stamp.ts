import type { BigIntStats } from 'node:fs';
import { readFileSync } from 'node:fs';
import { errnoCode } from './errors.js';
import { writeFileAtomic } from './fs-atomic.js';
import { HASH_BYTES } from './hash.js';
import { mtimeSlackNs } from './timespec.js';

/**
 * A record that a file (the staging area, the directory cache), as it is on disk now, was checked
 * whole (its checksum, and whatever else its reader checks) by an earlier read, so that the next read
 * need not hash it again: the file's fstat tells whether it changed since. Any write moves a file's
 * ctime, which cannot be set back, and a file store writes anew is another inode with another
 * trailing checksum. A file whose ctime lies within the racy slack of the check's start is not
 * recorded (a write in the same timestamp tick could leave it as it was). Derived data: missing,
 * damaged or of another version, it is ignored and written anew.
 *
 * Layout, little-endian: "STCHKD\0\0" | u32 version | 5 x u64 (device, inode, size, mtime ns,
 * ctime ns) | the file's trailing BLAKE3
 */
const MAGIC = Buffer.from('STCHKD\0\0', 'ascii');
const VERSION = 1;
const STAT_FIELDS = 5;
const RECORD_BYTES = MAGIC.length + 4 + STAT_FIELDS * 8 + HASH_BYTES;

/** Where the record of one file is kept. */
export interface CheckedStamp {
  path: string;
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

/** Whether the file of these stat data and trailing checksum is the one last checked whole. */
export function checkedBefore(stamp: CheckedStamp, stats: BigIntStats, checksum: Buffer): boolean {
  let recorded: Buffer;
  try {
    recorded = readFileSync(stamp.path);
  } catch (error) {
    if (errnoCode(error) !== undefined) return false; // none, or unreadable: the file is checked whole
    throw error;
  }
  return recorded.equals(recordOf(stats, checksum));
}

/**
 * Records that the file of these stat data was checked whole, the check having begun at
 * `checkStartedAtNs`; not when its ctime is too recent to tell a later write apart. A file system
 * that refuses the write (read-only, full) leaves the next read to check the file whole again.
 */
export function recordChecked(stamp: CheckedStamp, stats: BigIntStats, checksum: Buffer, checkStartedAtNs: bigint): void {
  if (stats.ctimeNs + BigInt(mtimeSlackNs(Number(stats.ctimeNs % 1_000_000_000n))) >= checkStartedAtNs) return;
  try {
    writeFileAtomic(stamp.path, recordOf(stats, checksum), { durable: false, mode: stamp.fileMode });
  } catch (error) {
    if (errnoCode(error) === undefined) throw error;
  }
}
