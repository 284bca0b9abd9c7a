import type { TreeEntry } from '../../objects/tree.js';
import type { Repository } from '../../repository/repository.js';
import type { StagingView } from '../../staging/staging-format.js';
import { readTreeCache, stagingFileKey } from '../../staging/tree-cache.js';
import { loadTree } from '../history/objects-io.js';
import { childrenOfRun, runFingerprint } from './staged-runs.js';
import { flattenTree } from '../history/tree-walk.js';
import { EntryKind } from '../../core/vocabulary.js';

export type Change = 'added' | 'modified' | 'deleted' | 'typechange';

export interface PathChange {
  path: string;
  change: Change;
}

/**
 * The staging area against HEAD's tree, top down. A staged directory whose fingerprint the tree
 * cache maps to the very tree HEAD has at that path holds no change and is not read: after a commit
 * nothing of HEAD is loaded (nor any entry read), after an add only the trees on the changed paths
 * (git's cache-tree).
 */
export function stagedChanges(repo: Repository, entries: StagingView, headTreeId: Buffer | undefined): PathChange[] {
  if (headTreeId === undefined) return Array.from({ length: entries.count }, (_, index) => ({ path: entries.pathAt(index), change: 'added' }));
  return [...eachStagedChange(repo, entries, headTreeId)];
}

/** stagedChanges as a sequence, for a HEAD that exists. */
function* eachStagedChange(repo: Repository, entries: StagingView, headTreeId: Buffer): Generator<PathChange> {
  const cache = readTreeCache(repo.layout.treeCache, { groups: false });
  // The staging file the last commit was built from, unchanged since: nothing is staged.
  if (cache.trees.get(stagingFileKey(entries.checksum))?.id.equals(headTreeId)) return;
  function* deletedBelow(tree: Buffer, prefix: string): Generator<PathChange> {
    for (const path of flattenTree(repo, tree, prefix).keys()) yield { path, change: 'deleted' };
  }

  function* compare(start: number, end: number, prefix: string, headTree: Buffer | undefined): Generator<PathChange> {
    if (headTree !== undefined && start < end && cache.trees.get(runFingerprint(entries, start, end, prefix))?.id.equals(headTree)) return;
    const head = new Map<string, TreeEntry>(headTree === undefined ? [] : loadTree(repo, headTree).map((entry) => [entry.name, entry]));
    for (const child of childrenOfRun(entries, start, end, prefix)) {
      const before = head.get(child.name);
      head.delete(child.name);
      if (child.kind === 'directory') {
        if (before !== undefined && before.kind !== EntryKind.Directory) yield { path: `${prefix}${child.name}`, change: 'deleted' };
        yield* compare(child.start, child.end, child.prefix, before?.kind === EntryKind.Directory ? before.id : undefined);
        continue;
      }
      const path = child.entry.path;
      if (before === undefined) yield { path, change: 'added' };
      else if (before.kind === EntryKind.Directory) {
        yield { path, change: 'added' };
        yield* deletedBelow(before.id, path);
      } else if (before.kind !== child.entry.kind) yield { path, change: 'typechange' };
      else if (!before.id.equals(child.entry.fileId)) yield { path, change: 'modified' };
    }
    for (const gone of head.values()) {
      if (gone.kind === EntryKind.Directory) yield* deletedBelow(gone.id, `${prefix}${gone.name}`);
      else yield { path: `${prefix}${gone.name}`, change: 'deleted' };
    }
  }
  yield* compare(0, entries.count, '', headTreeId);
}
