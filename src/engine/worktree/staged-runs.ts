import { digestOf, withHasher } from '../../core/hash.js';
import { encodeName } from '../../core/path-bytes.js';
import type { StagedEntry, StagingView } from '../../staging/staging-format.js';

/**
 * The staging area's entries are sorted by path bytes: the entries under any directory form one
 * contiguous run [start, end). Trees are built (commit), and compared with HEAD's (status), one run
 * at a time, over the staging area read in place.
 */
export type RunChild = { kind: 'file'; entry: StagedEntry; name: string } | { kind: 'directory'; name: string; start: number; end: number; prefix: string };

/** The direct children of the directory `prefix` ('' or ending in '/') whose run is [start, end). */
export function* childrenOfRun(staging: StagingView, start: number, end: number, prefix: string): Generator<RunChild> {
  for (let i = start; i < end; ) {
    const path = staging.pathAt(i);
    const slash = path.indexOf('/', prefix.length);
    if (slash < 0) {
      yield { kind: 'file', entry: staging.entryAt(i), name: path.slice(prefix.length) };
      i++;
      continue;
    }
    const childPrefix = path.slice(0, slash + 1);
    let childEnd = i + 1;
    while (childEnd < end && staging.pathAt(childEnd).startsWith(childPrefix)) childEnd++;
    yield { kind: 'directory', name: childPrefix.slice(prefix.length, -1), start: i, end: childEnd, prefix: childPrefix };
    i = childEnd;
  }
}

/**
 * A directory's fingerprint: the BLAKE3 of its path, then its run's tree-relevant fields (kind, size,
 * file id, path) end to end, hashed straight from the staging file's bytes (an entry is hashed once
 * for each directory above it). It keys the tree cache, as the latin1 string of the digest. The
 * directory's own path is part of it: a directory whose only child is a directory has the very same
 * run as that child (the root of a tree that holds only d/ has d/'s entries), and without it each was
 * taken for the other's tree. `prefix` is the directory's path and '/', or '' for the root.
 */
export function runFingerprint(staging: StagingView, start: number, end: number, prefix: string): string {
  const prefixBytes = encodeName(prefix);
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32LE(prefixBytes.length, 0);
  return withHasher((hasher) => {
    hasher.update(header);
    hasher.update(prefixBytes);
    staging.fingerprintBytes(start, end, (piece) => hasher.update(piece));
    return digestOf(hasher).toString('latin1');
  });
}
