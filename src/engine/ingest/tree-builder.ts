import { CorruptionError } from '../../core/errors.js';
import { collectEvery, WALK_COLLECT_EVERY } from '../../core/memory.js';
import { compareNames, encodeTree, MERKLE_GROUP_LEAVES, type MerkleGroupMemo, type TreeEntry } from '../../objects/tree.js';
import type { BlobWriter } from '../../store/blob-writer.js';
import { type CachedTree, emptyTreeCache, groupsToKeep, stagingFileKey, type TreeCache } from '../../staging/tree-cache.js';
import { partsFingerprint, runParts } from '../worktree/staged-runs.js';
import type { StagingView } from '../../staging/staging-format.js';
import { BlobType, EntryKind } from '../../core/vocabulary.js';
import { IdSlab } from '../../core/id-slab.js';

/**
 * Builds and stores the tree objects of the staged paths, bottom up, one directory run at a time
 * (see staged-runs.ts): a directory whose fingerprint is in `previous` (and whose tree is still
 * stored) is reused whole instead of encoded and hashed again.
 * A directory that changed re-hashes only the groups of its entries that did (see MerkleGroupMemo),
 * and is stored as a delta of its tree in the parent commit (most of its entries are the same).
 * Returns the root and the cache for the next commit (every directory of this one, and the whole
 * staging file's root: see stagingFileKey; the Merkle groups: see groupsToKeep).
 */
export async function buildTrees(
  staging: StagingView,
  writer: BlobWriter,
  previous: TreeCache = emptyTreeCache(),
  /** The tree each directory had in the parent commit, to store a changed one as a delta of it. */
  parentTreeAt?: (prefix: string) => Buffer | undefined,
): Promise<{ root: CachedTree; cache: TreeCache }> {
  const trees = new Map<string, CachedTree>();
  const usedGroups = new Map<string, Buffer>();
  const keptRoots = new IdSlab();
  const memo: MerkleGroupMemo = {
    get: (key) => {
      const root = usedGroups.get(key) ?? previous.groups.get(key);
      if (root !== undefined) usedGroups.set(key, root);
      return root;
    },
    set: (key, root) => usedGroups.set(key, keptRoots.keep(root)),
  };
  const pace = collectEvery(WALK_COLLECT_EVERY);

  // Bottom up: a directory's fingerprint covers its subdirectories' (see partsFingerprint).
  const build = async (start: number, end: number, prefix: string): Promise<{ tree: CachedTree; fingerprint: string }> => {
    const parts = runParts(staging, start, end, prefix);
    const subtrees = new Map<number, { tree: CachedTree; fingerprint: string }>();
    for (const part of parts) if (part.kind === 'directory') subtrees.set(part.start, await build(part.start, part.end, part.prefix));
    const fingerprint = partsFingerprint(staging, prefix, parts, (part) => subtrees.get(part.start)!.fingerprint);
    const known = previous.trees.get(fingerprint);
    if (known && writer.hasBlob(known.id)) {
      trees.set(fingerprint, known);
      return { tree: known, fingerprint };
    }
    const treeEntries: TreeEntry[] = [];
    for (const part of parts) {
      if (part.kind === 'directory') {
        const { tree } = subtrees.get(part.start)!;
        treeEntries.push({ name: part.name, kind: EntryKind.Directory, sizeBytes: tree.sizeBytes, id: tree.id });
        continue;
      }
      for (let index = part.start; index < part.end; index++) {
        pace();
        const entry = staging.entryAt(index);
        treeEntries.push({ name: entry.path.slice(prefix.length), kind: entry.kind, sizeBytes: entry.sizeBytes, id: entry.fileId });
      }
    }
    treeEntries.sort((a, b) => compareNames(a.name, b.name));
    for (let i = 1; i < treeEntries.length; i++) {
      // A file `d` and a path `d/x` staged together would make one tree name `d` twice.
      if (treeEntries[i - 1]!.name === treeEntries[i]!.name) {
        throw new CorruptionError('CORRUPT_STAGING', `the staging area holds ${prefix}${treeEntries[i]!.name} both as a file and as a directory`, {
          hint: 'run `store reset` to rebuild it from HEAD (then `store add` again)',
        });
      }
    }
    const { bytes, id } = encodeTree(treeEntries, memo);
    writer.addBlob(BlobType.Tree, id, bytes, { deltaBase: parentTreeAt && (() => parentTreeAt(prefix)) });
    // Frames compress while trees are built; waiting here keeps a few in flight, not every tree of
    // the commit (30 frames of 2.25 MB at 1,000,000 files, in a heap snapshot of the commit).
    await writer.drain();
    const tree = { id, sizeBytes: treeEntries.reduce((sum, entry) => sum + entry.sizeBytes, 0) };
    trees.set(fingerprint, tree);
    return { tree, fingerprint };
  };
  const { tree: root } = await build(0, staging.count, '');
  trees.set(stagingFileKey(staging.checksum), root);
  return { root, cache: { trees, groups: groupsToKeep(usedGroups, previous.groups, staging.count, MERKLE_GROUP_LEAVES) } };
}
