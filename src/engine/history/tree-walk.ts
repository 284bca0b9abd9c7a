import type { TreeEntry } from '../../objects/tree.js';
import type { Repository } from '../../repository/repository.js';
import { loadTree } from './objects-io.js';
import { noteWalked } from '../../core/memory.js';
import { compareUtf8 } from '../../core/utf8-order.js';
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

/**
 * The tree id of each directory below a root tree, asked for by prefix (`''` the root, `a/b/` a
 * directory), reading only the trees on the way, each once: a commit asks for the directories it
 * changed, whose parents it changed too. Undefined where the root's history has no such directory.
 */
export function treesByPrefix(repo: Repository, rootTreeId: Buffer): (prefix: string) => Buffer | undefined {
  const entriesOf = new Map<string, TreeEntry[] | undefined>();
  const treeAt = (prefix: string): Buffer | undefined => {
    if (prefix === '') return rootTreeId;
    const cut = prefix.lastIndexOf('/', prefix.length - 2) + 1;
    const parentPrefix = prefix.slice(0, cut);
    if (!entriesOf.has(parentPrefix)) {
      const parentId = treeAt(parentPrefix);
      entriesOf.set(parentPrefix, parentId === undefined ? undefined : loadTree(repo, parentId, parentPrefix.split('/').length - 1));
    }
    const name = prefix.slice(cut, -1);
    const entry = entriesOf.get(parentPrefix)?.find((candidate) => candidate.name === name);
    return entry?.kind === EntryKind.Directory ? entry.id : undefined;
  };
  return treeAt;
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

/**
 * Where an entry sorts in a walk of files: a directory where its name and a '/' would (a tree itself
 * sorts by names alone, "a" before "a.txt"; a walk puts "a.txt" before "a/x").
 */
export function walkOrderKey(entry: TreeEntry): string {
  return entry.kind === EntryKind.Directory ? `${entry.name}/` : entry.name;
}

/** A tree's entries in walk order (see walkOrderKey). Sorts in place and returns `entries`. */
export function sortedTreeEntries(entries: TreeEntry[]): TreeEntry[] {
  if (entries.some((entry) => entry.kind === EntryKind.Directory)) entries.sort((a, b) => compareUtf8(walkOrderKey(a), walkOrderKey(b)));
  return entries;
}

/**
 * The files below a tree, in the byte order of their paths (the staging area's, and the order a
 * commit records its times and modes in): each tree's entries are taken with a directory where its
 * name and a '/' sort. Holds the trees on the way down, never the whole tree.
 */
export function* walkTreeFiles(repo: Repository, treeId: Buffer, prefix = '', depth = 0): Generator<[string, TreeEntry]> {
  const entries = sortedTreeEntries(loadTree(repo, treeId, depth));
  noteWalked(entries.length);
  for (const entry of entries) {
    const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.kind !== EntryKind.Directory) {
      yield [path, entry];
      continue;
    }
    yield* walkTreeFiles(repo, entry.id, path, depth + 1);
  }
}
