import type { BigIntStats } from 'node:fs';

/** Two fstats of one open file that show it unchanged in between: size, both times, inode and device. */
export function sameStat(a: BigIntStats, b: BigIntStats): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino && a.dev === b.dev;
}
