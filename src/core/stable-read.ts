import { type BigIntStats, constants, openSync } from 'node:fs';
import { errnoCode } from './errors.js';
import { fsPath } from './path-bytes.js';

/**
 * Reading a work-tree file so that what is stored is one version of it, on any thread: the open that
 * follows no final symlink and cannot hang on a FIFO put in its place, the stat comparison before and
 * after the read, how many times a file that keeps changing is tried, and what each failure means.
 */

/** A file that changed while it was read is read again, this many times in all. */
export const STABLE_READ_ATTEMPTS = 3;

/** The stat data the staging area keeps (exact, from the fstat of the file as it was read). */
export interface StatData {
  mode: number | bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
  dev: bigint;
}

/** Plain data (it crosses threads) from an fstat. */
export function statDataOf(stats: BigIntStats): StatData {
  return { mode: Number(stats.mode), size: stats.size, mtimeNs: stats.mtimeNs, ctimeNs: stats.ctimeNs, ino: stats.ino, dev: stats.dev };
}

/** O_NOFOLLOW: a symlink swapped in is not read through; O_NONBLOCK: a FIFO swapped in does not hang the open. */
export function openForStableRead(absolutePath: string): number {
  return openSync(fsPath(absolutePath), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
}

/** Two fstats of one open file that show it unchanged in between: size, both times, inode and device. */
export function sameStat(a: BigIntStats, b: BigIntStats): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino && a.dev === b.dev;
}

/** What a failed open or read of a work-tree file means for add, or undefined when it is no such case. */
export function unreadableReason(error: unknown): { reason: string; vanished: boolean } | undefined {
  const code = errnoCode(error);
  if (code === 'ENOENT') return { reason: 'vanished', vanished: true };
  if (code === 'EACCES' || code === 'EPERM') return { reason: 'permission denied', vanished: false };
  if (code === 'ELOOP') return { reason: 'replaced by a symlink while being read', vanished: false };
  return undefined;
}
