import { join } from 'node:path';
import { errnoCode } from '../core/errors.js';
import { mergeSorted } from '../core/sorted-merge.js';
import { compareUtf8 } from '../core/utf8-order.js';
import { EntryKind } from '../core/vocabulary.js';
import type { TreeEntry } from '../objects/tree.js';
import type { Repository } from '../repository/repository.js';
import { isUnchanged, matchWorkTree } from './worktree/tracked.js';
import { newWalkReport, type ScannedFile } from './worktree/scanner.js';
import { hashWorkTreeFile } from './worktree/content-hash.js';
import { commitTreeId, loadTree } from './history/objects-io.js';
import { resolveCommit } from './history/revisions.js';
import type { Change } from './worktree/status.js';
import { sortedTreeEntries, walkOrderKey, walkTreeFiles } from './history/tree-walk.js';
import { openStaging } from '../staging/staging-area.js';
import type { StagingView } from '../staging/staging-format.js';

/**
 * Diffs as streams: each side is a sequence of files in the byte order of their paths (a commit's
 * trees walked, the staging area read in place, the work tree stat'd entry by entry), compared as a
 * merge of the two, so that memory holds a tree or two, not a side. Two commits are compared tree by
 * tree, and a directory whose tree id is the same on both sides is not read at all.
 */

/** A file on one side. */
export interface SideFile {
  path: string;
  kind: EntryKind;
  fileId: Buffer;
  sizeBytes: number;
}

/** A sequence of files in path byte order, started afresh on each call. */
export type Side = () => Iterable<SideFile>;

export interface FileDiff {
  path: string;
  change: Change;
  oldSizeBytes?: number;
  newSizeBytes?: number;
  oldFileId?: string;
  newFileId?: string;
}

function* treeFiles(repo: Repository, treeId: Buffer | undefined): Generator<SideFile> {
  if (treeId === undefined) return;
  for (const [path, entry] of walkTreeFiles(repo, treeId)) yield { path, kind: entry.kind, fileId: entry.id, sizeBytes: entry.sizeBytes };
}

export function commitSide(repo: Repository, revision: string): Side {
  const treeId = commitTreeId(repo, resolveCommit(repo, revision));
  return () => treeFiles(repo, treeId);
}

/** HEAD, or nothing before the first commit. */
export function headSide(repo: Repository): Side {
  return repo.refs.headCommit() === undefined ? () => [] : commitSide(repo, 'HEAD');
}

export function stagingSide(repo: Repository): Side {
  return function* () {
    for (const entry of openStaging(repo.layout.staging)) yield entry;
  };
}

/**
 * The tracked files as they are on disk now (content hashed only where the stat data changed): the
 * staging area merged with a walk of the work tree's listings (see matchWorkTree), which lstat'ed
 * each staged path on its own before (a Stats object and a walk of the whole path each).
 */
export function workTreeSide(repo: Repository): Side {
  return function* () {
    const staging = openStaging(repo.layout.staging);
    for (const { index, file } of matchWorkTree(repo, staging, [''], newWalkReport())) {
      if (index === -1 || file === undefined) continue; // untracked, or gone
      const current = workTreeFile(repo, staging, index, file);
      if (current !== undefined) yield current;
    }
  };
}

/**
 * The staging area against the work tree (`diff` with no revision), as status compares them: a file
 * whose stat data did not change is passed over where it lies, nothing decoded (see matchWorkTree).
 */
export function* diffWorkTree(repo: Repository): Generator<FileDiff> {
  const staging = openStaging(repo.layout.staging);
  for (const { index, file } of matchWorkTree(repo, staging, [''], newWalkReport(), { skipUnchanged: () => {} })) {
    if (index === -1) continue; // untracked: no change to a tracked file
    const diff = fileDiff(staging.entryAt(index), file === undefined ? undefined : workTreeFile(repo, staging, index, file));
    if (diff !== undefined) yield diff;
  }
}

/** Staged entry `index` as its file is now: the entry itself when its stat data did not change, else the content hashed (undefined: gone since listed). */
function workTreeFile(repo: Repository, staging: StagingView, index: number, file: ScannedFile): SideFile | undefined {
  if (staging.isUnchangedAt(index, file.kind, file.stats)) return staging.entryAt(index);
  const entry = staging.entryAt(index);
  if (isUnchanged(entry, file, staging)) return entry;
  try {
    return { path: entry.path, kind: file.kind, fileId: hashWorkTreeFile(join(repo.workTree, entry.path), file.kind).fileId, sizeBytes: file.stats.size };
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
    return undefined;
  }
}

/** What changed from `before` to `after`, in path byte order. */
export function* diffSides(before: Side, after: Side): Generator<FileDiff> {
  for (const [old, current] of mergeSorted(before(), after(), (a, b) => compareUtf8(a.path, b.path))) {
    const diff = fileDiff(old, current);
    if (diff !== undefined) yield diff;
  }
}

function fileDiff(old: SideFile | undefined, current: SideFile | undefined): FileDiff | undefined {
  if (current === undefined) return { path: old!.path, change: 'deleted', oldSizeBytes: old!.sizeBytes, oldFileId: old!.fileId.toString('hex') };
  if (old === undefined) return { path: current.path, change: 'added', newSizeBytes: current.sizeBytes, newFileId: current.fileId.toString('hex') };
  if (current.kind === old.kind && current.fileId.equals(old.fileId)) return undefined;
  return {
    path: current.path,
    change: current.kind !== old.kind ? 'typechange' : 'modified',
    oldSizeBytes: old.sizeBytes,
    newSizeBytes: current.sizeBytes,
    oldFileId: old.fileId.toString('hex'),
    newFileId: current.fileId.toString('hex'),
  };
}

/** Two commits, tree by tree: equal subtrees are skipped unread (as git's diff-tree does). */
export function diffCommits(repo: Repository, from: string, to: string): () => Iterable<FileDiff> {
  const before = commitTreeId(repo, resolveCommit(repo, from));
  const after = commitTreeId(repo, resolveCommit(repo, to));
  return () => diffTrees(repo, before, after, '', 0);
}

function* diffTrees(repo: Repository, before: Buffer | undefined, after: Buffer | undefined, prefix: string, depth: number): Generator<FileDiff> {
  if (before !== undefined && after !== undefined && before.equals(after)) return;
  const entries = (treeId: Buffer | undefined): TreeEntry[] => (treeId === undefined ? [] : sortedTreeEntries(loadTree(repo, treeId, depth)));
  for (const [old, current] of mergeSorted(entries(before), entries(after), (a, b) => compareUtf8(walkOrderKey(a), walkOrderKey(b)))) {
    const path = `${prefix}${(old ?? current)!.name}`;
    if ((old ?? current)!.kind === EntryKind.Directory) {
      yield* diffTrees(repo, old?.id, current?.id, `${path}/`, depth + 1);
      continue;
    }
    const diff = fileDiff(old && { path, ...old, fileId: old.id }, current && { path, ...current, fileId: current.id });
    if (diff !== undefined) yield diff;
  }
}
