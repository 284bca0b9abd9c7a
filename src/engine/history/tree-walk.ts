import type { TreeEntry } from '../../objects/tree.js';
import type { Repository } from '../../repository/repository.js';
import { loadTree } from './objects-io.js';
import { EntryKind } from '../../core/vocabulary.js';

/** Every file and symlink below a tree, keyed by '/'-separated path. */
export function flattenTree(repo: Repository, treeId: Buffer, prefix = '', into = new Map<string, TreeEntry>(), depth = 0): Map<string, TreeEntry> {
  for (const entry of loadTree(repo, treeId, depth)) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.kind === EntryKind.Directory) flattenTree(repo, entry.id, path, into, depth + 1);
    else into.set(path, entry);
  }
  return into;
}

/** The entry at `path` below a tree, reading only the trees on the way. */
export function findInTree(repo: Repository, treeId: Buffer, path: string): TreeEntry | undefined {
  const names = path.split('/').filter((name) => name !== '');
  let entries = loadTree(repo, treeId);
  for (let i = 0; i < names.length; i++) {
    const entry = entries.find((candidate) => candidate.name === names[i]);
    if (entry === undefined) return undefined;
    if (i === names.length - 1) return entry;
    if (entry.kind !== EntryKind.Directory) return undefined;
    entries = loadTree(repo, entry.id, i + 1);
  }
  return undefined;
}
