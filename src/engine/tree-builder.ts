import { hashBytes } from '../core/hash.js';
import { compareNames, encodeTree, EntryKind, type TreeEntry } from '../objects/tree.js';
import type { BlobWriter } from '../store/blob-writer.js';
import { BlobType } from '../store/pack-format.js';
import { sortByPathBytes, type StagedEntry } from '../staging/staging-format.js';
import type { CachedTree, TreeCache } from '../staging/tree-cache.js';

/**
 * Builds and stores the tree objects of the staged paths, bottom up. Sorted by path bytes, the entries
 * under any directory form one contiguous run, and the BLAKE3 of that run's tree-relevant fields
 * (kind, size, file id, path) is the directory's fingerprint: a directory whose fingerprint is in
 * `previous` (and whose tree is still stored) is reused whole instead of encoded and hashed again.
 * Returns the root and the cache for the next commit (every directory of this one).
 */
export function buildTrees(
  staged: readonly StagedEntry[],
  writer: BlobWriter,
  previous: TreeCache = new Map(),
): { root: CachedTree; cache: TreeCache } {
  const entries = sortByPathBytes(staged);
  const fingerprints = new RunFingerprints(entries);
  const cache: TreeCache = new Map();

  const build = (start: number, end: number, prefix: string): CachedTree => {
    const fingerprint = fingerprints.of(start, end);
    const known = previous.get(fingerprint);
    if (known && writer.hasBlob(known.id)) {
      cache.set(fingerprint, known);
      return known;
    }
    const treeEntries: TreeEntry[] = [];
    for (let i = start; i < end; ) {
      const entry = entries[i]!;
      const slash = entry.path.indexOf('/', prefix.length);
      if (slash < 0) {
        treeEntries.push({ name: entry.path.slice(prefix.length), kind: entry.kind, sizeBytes: entry.sizeBytes, id: entry.fileId });
        i++;
        continue;
      }
      const childPrefix = entry.path.slice(0, slash + 1);
      let childEnd = i + 1;
      while (childEnd < end && entries[childEnd]!.path.startsWith(childPrefix)) childEnd++;
      const child = build(i, childEnd, childPrefix);
      treeEntries.push({ name: childPrefix.slice(prefix.length, -1), kind: EntryKind.Directory, sizeBytes: child.sizeBytes, id: child.id });
      i = childEnd;
    }
    treeEntries.sort((a, b) => compareNames(a.name, b.name));
    const { bytes, id } = encodeTree(treeEntries);
    writer.addBlob(BlobType.Tree, id, bytes);
    const tree = { id, sizeBytes: treeEntries.reduce((sum, entry) => sum + entry.sizeBytes, 0) };
    cache.set(fingerprint, tree);
    return tree;
  };
  return { root: build(0, entries.length, ''), cache };
}

/** Tree-relevant fields of each entry, packed end to end so that any run hashes in one call. */
class RunFingerprints {
  private readonly packed: Buffer;
  private readonly offsets: Uint32Array;

  constructor(entries: readonly StagedEntry[]) {
    const paths = entries.map((entry) => Buffer.from(entry.path, 'utf8'));
    const fixedBytes = 1 + 8 + 32 + 4;
    this.packed = Buffer.alloc(paths.reduce((sum, path) => sum + fixedBytes + path.length, 0));
    this.offsets = new Uint32Array(entries.length + 1);
    let at = 0;
    entries.forEach((entry, index) => {
      this.offsets[index] = at;
      at = this.packed.writeUInt8(entry.kind, at);
      at = this.packed.writeBigUInt64LE(BigInt(entry.sizeBytes), at);
      at += entry.fileId.copy(this.packed, at);
      at = this.packed.writeUInt32LE(paths[index]!.length, at);
      at += paths[index]!.copy(this.packed, at);
    });
    this.offsets[entries.length] = at;
  }

  /** Keyed as the tree cache is (latin1 string of the digest). */
  of(start: number, end: number): string {
    return hashBytes(this.packed.subarray(this.offsets[start], this.offsets[end])).toString('latin1');
  }
}
