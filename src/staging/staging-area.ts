import { closeSync, fstatSync, openSync } from 'node:fs';
import type mmapModule from 'mmap-io';
import { errnoCode } from '../core/errors.js';
import { writeFileAtomic } from '../core/fs-atomic.js';
import { lazyRequire } from '../core/lazy-require.js';
import { decodeStaging, encodeStaging, sortByPathBytes, type StagedEntry, type StagingSnapshot } from './staging-format.js';

// mmap-io is CommonJS but its typings declare a default export; at run time the module itself is the API.
const mmapApi = lazyRequire<(typeof mmapModule)['default']>('mmap-io');

/**
 * The staging area: the whole next commit with each entry's stat data, in one binary file that is
 * read through mmap (no copy of the file into the heap before decoding) and replaced atomically.
 */
export function readStaging(path: string): StagingSnapshot {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { entries: [], writtenAtNs: 0n };
    throw error;
  }
  try {
    const sizeBytes = fstatSync(fd).size;
    if (sizeBytes === 0) return decodeStaging(Buffer.alloc(0), path);
    const mmap = mmapApi();
    const mapped = mmap.map(sizeBytes, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0);
    return decodeStaging(mapped, path);
  } finally {
    closeSync(fd);
  }
}

/** `scanStartedAtNs`: when the scan that produced these stat data began (see isRacilyClean). */
export function writeStaging(place: { staging: string; fileMode: number }, entries: readonly StagedEntry[], scanStartedAtNs: bigint): void {
  writeFileAtomic(place.staging, encodeStaging({ entries: sortByPathBytes(entries), writtenAtNs: scanStartedAtNs }), { mode: place.fileMode });
}

// Linux stamps mtimes from a coarse clock (one jiffy, at most 10 ms, behind real time); file systems
// that keep whole seconds (mtime with no nanoseconds) may round by up to 2 s (FAT).
const FINE_MTIME_SLACK_NS = 50_000_000n;
const COARSE_MTIME_SLACK_NS = 2_000_000_000n;

/**
 * A file modified within one timestamp tick of the scan that staged it could change again without
 * its size or mtime changing (git calls this "racily clean"): such an entry is never trusted on stat alone.
 */
export function isRacilyClean(entry: StagedEntry, snapshot: StagingSnapshot): boolean {
  const slack = entry.mtimeNs % 1_000_000_000n === 0n ? COARSE_MTIME_SLACK_NS : FINE_MTIME_SLACK_NS;
  return entry.mtimeNs + slack >= snapshot.writtenAtNs;
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
