import { entryIdAt, entryKindAt, entryNameAt, mergeTreeBytes, type TreeEntry } from '../../objects/tree.js';
import type { Repository } from '../../repository/repository.js';
import { loadTree, loadTreeBytes, loadTreeWithBytes } from './objects-io.js';
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
 * A commit's tree ids, and trees' bytes (verified against their ids), asked for by directory prefix
 * (`''` the root, `a/b/` a directory), reading only the trees on the way, each once: a commit asks for the
 * directories it changed, whose parents it changed too. A tree read as the parent of one asked for is
 * kept with its entries (few: those above changed directories); one asked for itself is read and not
 * kept. Undefined where there is no such directory.
 */
export function treesByPrefix(
  repo: Repository,
  rootTreeId: Buffer,
): { idAt(prefix: string): Buffer | undefined; treeAt(prefix: string): { id: Buffer; bytes: Buffer } | undefined } {
  const parents = new Map<string, { id: Buffer; bytes: Buffer; entries: TreeEntry[] } | undefined>();
  const depthOf = (prefix: string): number => (prefix === '' ? 0 : prefix.split('/').length - 1);
  const idAt = (prefix: string): Buffer | undefined => {
    if (prefix === '') return rootTreeId;
    const cut = prefix.lastIndexOf('/', prefix.length - 2) + 1;
    const parentPrefix = prefix.slice(0, cut);
    if (!parents.has(parentPrefix)) {
      const id = idAt(parentPrefix);
      parents.set(parentPrefix, id === undefined ? undefined : { id, ...loadTreeWithBytes(repo, id, depthOf(parentPrefix)) });
    }
    const name = prefix.slice(cut, -1);
    const entry = parents.get(parentPrefix)?.entries.find((candidate) => candidate.name === name);
    return entry?.kind === EntryKind.Directory ? entry.id : undefined;
  };
  const treeAt = (prefix: string): { id: Buffer; bytes: Buffer } | undefined => {
    if (parents.has(prefix)) return parents.get(prefix);
    const id = idAt(prefix);
    return id === undefined ? undefined : { id, bytes: loadTreeBytes(repo, id, depthOf(prefix)) };
  };
  return { idAt, treeAt };
}

/** Files (and symlinks) added, changed and removed between two trees (either may be absent). */
export interface FileChanges {
  added: number;
  modified: number;
  removed: number;
}

export function noFileChanges(): FileChanges {
  return { added: 0, modified: 0, removed: 0 };
}

/** Adds `more` into `into`. */
export function addFileChanges(into: FileChanges, more: FileChanges): void {
  into.added += more.added;
  into.modified += more.modified;
  into.removed += more.removed;
}

/**
 * The files that differ between tree `before` and tree `after`, top down: a subtree with the same
 * id on both sides is not read. A file that became a symlink (or back) counts as modified.
 */
export function treeFileChanges(repo: Repository, before: Buffer | undefined, after: Buffer | undefined, depth: number): FileChanges {
  if (before !== undefined && after !== undefined && before.equals(after)) return noFileChanges();
  const bytesOf = (id: Buffer | undefined): Buffer | undefined => (id === undefined ? undefined : loadTreeBytes(repo, id, depth));
  return treeBytesFileChanges(bytesOf(before), bytesOf(after), (old, now) => treeFileChanges(repo, old, now, depth + 1));
}

/**
 * The files that differ between two directories' tree bytes (either may be absent), read in place:
 * files compared by kind and id, subdirectories by `subtreeChanges(beforeId, afterId, name)` (one id
 * undefined where the name is a directory on one side only).
 */
export function treeBytesFileChanges(
  before: Buffer | undefined,
  after: Buffer | undefined,
  subtreeChanges: (before: Buffer | undefined, after: Buffer | undefined, name: string) => FileChanges,
): FileChanges {
  const changes = noFileChanges();
  mergeTreeBytes(before, after, (beforeAt, afterAt) => {
    const oldKind = beforeAt < 0 ? undefined : entryKindAt(before!, beforeAt);
    const newKind = afterAt < 0 ? undefined : entryKindAt(after!, afterAt);
    if (oldKind === EntryKind.Directory || newKind === EntryKind.Directory) {
      const oldId = oldKind === EntryKind.Directory ? entryIdAt(before!, beforeAt) : undefined;
      const newId = newKind === EntryKind.Directory ? entryIdAt(after!, afterAt) : undefined;
      const name = newId === undefined ? entryNameAt(before!, beforeAt) : entryNameAt(after!, afterAt);
      addFileChanges(changes, subtreeChanges(oldId, newId, name));
    }
    const oldFile = oldKind !== undefined && oldKind !== EntryKind.Directory;
    const newFile = newKind !== undefined && newKind !== EntryKind.Directory;
    if (oldFile && newFile) {
      if (oldKind !== newKind || !entryIdAt(before!, beforeAt).equals(entryIdAt(after!, afterAt))) changes.modified++;
    } else if (oldFile) changes.removed++;
    else if (newFile) changes.added++;
  });
  return changes;
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
