import type { TreeEntry } from '../../objects/tree.js';
import type { Repository } from '../../repository/repository.js';
import type { StagingView } from '../../staging/staging-format.js';
import { commitRootKey, readTreeCache, stagingFileKey } from '../../staging/tree-cache.js';
import { commitTreeId, loadTree } from '../history/objects-io.js';
import { childrenOfRun, runFingerprint } from './staged-runs.js';
import { flattenTree } from '../history/tree-walk.js';
import { EntryKind } from '../../core/vocabulary.js';

export type Change = 'added' | 'modified' | 'deleted' | 'typechange';

export interface PathChange {
  path: string;
  change: Change;
}

/**
 * The staging area against the tree of HEAD (`headCommit`; its root from the tree cache when the
 * cache was written by that commit, else from the catalog), top down. A staged directory whose
 * fingerprint the tree cache maps to the very tree HEAD has at that path holds no change and is not
 * read: after a commit nothing of HEAD is loaded (nor any entry read), after an add only the trees on
 * the changed paths (git's cache-tree).
 */
export function stagedChanges(repo: Repository, entries: StagingView, headCommit: string | undefined): PathChange[] {
  const changes: PathChange[] = [];
  if (headCommit === undefined) return Array.from({ length: entries.count }, (_, index) => ({ path: entries.pathAt(index), change: 'added' }));
  const cache = readTreeCache(repo.layout.treeCache, { groups: false });
  const headTreeId = cache.trees.get(commitRootKey(Buffer.from(headCommit, 'hex')))?.id ?? commitTreeId(repo, headCommit);
  // The staging file the last commit was built from, unchanged since: nothing is staged.
  if (cache.trees.get(stagingFileKey(entries.checksum))?.id.equals(headTreeId)) return changes;
  const deletedBelow = (tree: Buffer, prefix: string): void => {
    for (const path of flattenTree(repo, tree, prefix).keys()) changes.push({ path, change: 'deleted' });
  };

  const compare = (start: number, end: number, prefix: string, headTree: Buffer | undefined): void => {
    if (headTree !== undefined && start < end && cache.trees.get(runFingerprint(entries, start, end, prefix))?.id.equals(headTree)) return;
    const head = new Map<string, TreeEntry>(headTree === undefined ? [] : loadTree(repo, headTree).map((entry) => [entry.name, entry]));
    for (const child of childrenOfRun(entries, start, end, prefix)) {
      const before = head.get(child.name);
      head.delete(child.name);
      if (child.kind === 'directory') {
        if (before !== undefined && before.kind !== EntryKind.Directory) changes.push({ path: `${prefix}${child.name}`, change: 'deleted' });
        compare(child.start, child.end, child.prefix, before?.kind === EntryKind.Directory ? before.id : undefined);
        continue;
      }
      const path = child.entry.path;
      if (before === undefined) changes.push({ path, change: 'added' });
      else if (before.kind === EntryKind.Directory) {
        changes.push({ path, change: 'added' });
        deletedBelow(before.id, path);
      } else if (before.kind !== child.entry.kind) changes.push({ path, change: 'typechange' });
      else if (!before.id.equals(child.entry.fileId)) changes.push({ path, change: 'modified' });
    }
    for (const gone of head.values()) {
      if (gone.kind === EntryKind.Directory) deletedBelow(gone.id, `${prefix}${gone.name}`);
      else changes.push({ path: `${prefix}${gone.name}`, change: 'deleted' });
    }
  };
  compare(0, entries.count, '', headTreeId);
  return changes;
}
