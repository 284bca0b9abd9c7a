import { digestOf, withHasher } from '../../core/hash.js';
import { writeUint53LE } from '../../core/uint53.js';
import type { StagedEntry, StagingView } from '../../staging/staging-format.js';
import { encodeName, nameByteLength } from '../../core/path-bytes.js';

/**
 * Staged entries sorted by path bytes: the entries under any directory form one contiguous run
 * [start, end). Trees are built, and compared with HEAD's, one run at a time, over the entries in
 * memory (commit) or over the staging area read in place (status).
 */
export interface StagedEntries {
  readonly count: number;
  pathAt(index: number): string;
  entryAt(index: number): StagedEntry;
  /** The fingerprint of the directory `prefix` whose run is [start, end) (see `fingerprint` below). */
  fingerprint(start: number, end: number, prefix: string): string;
}

/** Entries already in memory, in path byte order. */
export function stagedEntriesOf(entries: readonly StagedEntry[]): StagedEntries {
  let packed: RunFingerprints | undefined;
  return {
    count: entries.length,
    pathAt: (index) => entries[index]!.path,
    entryAt: (index) => entries[index]!,
    fingerprint: (start, end, prefix) => (packed ??= new RunFingerprints(entries)).of(start, end, prefix),
  };
}

/**
 * The staging area read in place. A run's fingerprint is hashed from the file's bytes each time it is
 * asked for: an entry is hashed once for each directory above it, where packing every entry first
 * (RunFingerprints) held them all.
 */
export function stagedEntriesOfView(view: StagingView): StagedEntries {
  return {
    count: view.count,
    pathAt: (index) => view.pathAt(index),
    entryAt: (index) => view.entryAt(index),
    fingerprint: (start, end, prefix) => fingerprintOfViewRun(view, start, end, prefix),
  };
}

export type RunChild = { kind: 'file'; entry: StagedEntry; name: string } | { kind: 'directory'; name: string; start: number; end: number; prefix: string };

/** The direct children of the directory `prefix` ('' or ending in '/') whose run is [start, end). */
export function* childrenOfRun(entries: StagedEntries, start: number, end: number, prefix: string): Generator<RunChild> {
  for (let i = start; i < end; ) {
    const path = entries.pathAt(i);
    const slash = path.indexOf('/', prefix.length);
    if (slash < 0) {
      yield { kind: 'file', entry: entries.entryAt(i), name: path.slice(prefix.length) };
      i++;
      continue;
    }
    const childPrefix = path.slice(0, slash + 1);
    let childEnd = i + 1;
    while (childEnd < end && entries.pathAt(childEnd).startsWith(childPrefix)) childEnd++;
    yield { kind: 'directory', name: childPrefix.slice(prefix.length, -1), start: i, end: childEnd, prefix: childPrefix };
    i = childEnd;
  }
}

/**
 * A directory's fingerprint: the BLAKE3 of its path, then its run's tree-relevant fields (kind, size,
 * file id, path) packed end to end. It keys the tree cache. The directory's own path is part of it:
 * a directory whose only child is a directory has the very same run as that child (the root of a
 * tree that holds only d/ has d/'s entries), and without it each was taken for the other's tree.
 * Keyed as the tree cache is (latin1 string of the digest); `prefix` is the directory's path and
 * '/', or '' for the root.
 */
function fingerprint(prefix: string, feedRun: (take: (piece: Buffer) => void) => void): string {
  const prefixBytes = encodeName(prefix);
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32LE(prefixBytes.length, 0);
  return withHasher((hasher) => {
    hasher.update(header);
    hasher.update(prefixBytes);
    feedRun((piece) => hasher.update(piece));
    return digestOf(hasher).toString('latin1');
  });
}

/** Fingerprints of runs of entries in memory, packed once for the many a commit computes. */
export class RunFingerprints {
  private readonly packed: Buffer;
  private readonly offsets: Uint32Array;

  constructor(entries: readonly StagedEntry[]) {
    const fixedBytes = 1 + 8 + 32 + 4;
    this.packed = Buffer.alloc(entries.reduce((sum, entry) => sum + fixedBytes + nameByteLength(entry.path), 0));
    this.offsets = new Uint32Array(entries.length + 1);
    let at = 0;
    entries.forEach((entry, index) => {
      this.offsets[index] = at;
      this.packed[at] = entry.kind;
      writeUint53LE(this.packed, entry.sizeBytes, at + 1);
      entry.fileId.copy(this.packed, at + 9);
      const pathBytes = entry.path.isWellFormed()
        ? this.packed.write(entry.path, at + fixedBytes, 'utf8')
        : encodeName(entry.path).copy(this.packed, at + fixedBytes);
      this.packed.writeUInt32LE(pathBytes, at + 41);
      at += fixedBytes + pathBytes;
    });
    this.offsets[entries.length] = at;
  }

  of(start: number, end: number, prefix: string): string {
    return fingerprint(prefix, (take) => take(this.packed.subarray(this.offsets[start], this.offsets[end])));
  }
}

/** The same fingerprint, of a run of the staging area read in place (nothing packed beforehand). */
export function fingerprintOfViewRun(view: StagingView, start: number, end: number, prefix: string): string {
  return fingerprint(prefix, (take) => view.fingerprintBytes(start, end, take));
}
