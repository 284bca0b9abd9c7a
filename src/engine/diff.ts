import { readFileSync, readlinkSync } from 'node:fs';
import { diffLines, structuredPatch, type StructuredPatchHunk } from 'diff';
import { fsPath } from '../core/path-bytes.js';
import { streamTarget } from './restore/stream.js';
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
import { openStagingToRead } from '../staging/staging-area.js';
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
  change: Change | 'renamed';
  /** A rename's path before (see findRenames). */
  oldPath?: string;
  /** A rename's similarity, 0-100. */
  similarity?: number;
  oldSizeBytes?: number;
  newSizeBytes?: number;
  oldFileId?: string;
  newFileId?: string;
  oldKind?: EntryKind;
  newKind?: EntryKind;
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
    for (const entry of openStagingToRead(repo.layout)) yield entry;
  };
}

/**
 * The tracked files as they are on disk now (content hashed only where the stat data changed): the
 * staging area merged with a walk of the work tree's listings (see matchWorkTree), which lstat'ed
 * each staged path on its own before (a Stats object and a walk of the whole path each).
 */
export function workTreeSide(repo: Repository): Side {
  return function* () {
    const staging = openStagingToRead(repo.layout);
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
  const staging = openStagingToRead(repo.layout);
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
  if (current === undefined)
    return { path: old!.path, change: 'deleted', oldSizeBytes: old!.sizeBytes, oldFileId: old!.fileId.toString('hex'), oldKind: old!.kind };
  if (old === undefined)
    return { path: current.path, change: 'added', newSizeBytes: current.sizeBytes, newFileId: current.fileId.toString('hex'), newKind: current.kind };
  if (current.kind === old.kind && current.fileId.equals(old.fileId)) return undefined;
  return {
    path: current.path,
    change: current.kind !== old.kind ? 'typechange' : 'modified',
    oldSizeBytes: old.sizeBytes,
    newSizeBytes: current.sizeBytes,
    oldFileId: old.fileId.toString('hex'),
    newFileId: current.fileId.toString('hex'),
    oldKind: old.kind,
    newKind: current.kind,
  };
}

/** Two commits, tree by tree: equal subtrees are skipped unread (as git's diff-tree does). `from` undefined: a root commit's files, all added. */
export function diffCommits(repo: Repository, from: string | undefined, to: string): () => Iterable<FileDiff> {
  const before = from === undefined ? undefined : commitTreeId(repo, resolveCommit(repo, from));
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

/**
 * Content diffs for `diff` and `show`: a file's two versions read (from the repository by id, each
 * chunk verified, or from the work tree), told apart as text or binary as git does, and compared line
 * by line (jsdiff's Myers diff); and renames found among deletions and additions.
 */

/** Files larger than this are not diffed line by line (both versions are held in memory to do it). */
const LINE_DIFF_MAX_BYTES = 8 * 1024 * 1024;
/** git's test: a NUL byte in the first 8,000 bytes makes content binary. */
const BINARY_SNIFF_BYTES = 8000;

export type Version = 'old' | 'new';

/** Reads one side of a file diff: the repository's content by id, or (for the new side of a work-tree diff) the file on disk. */
export type ContentReader = (diff: FileDiff, side: Version) => Promise<Buffer | undefined>;

export function contentReader(repo: Repository, newSideIsWorkTree: boolean): ContentReader {
  return async (diff, side) => {
    const id = side === 'old' ? diff.oldFileId : diff.newFileId;
    if (id === undefined) return undefined;
    const path = side === 'old' ? (diff.oldPath ?? diff.path) : diff.path;
    if (side === 'new' && newSideIsWorkTree) {
      const absolute = fsPath(join(repo.workTree, path));
      return diff.newKind === EntryKind.Symlink ? Buffer.from(readlinkSync(absolute, { encoding: 'buffer' })) : readFileSync(absolute);
    }
    const parts: Buffer[] = [];
    const sizeBytes = (side === 'old' ? diff.oldSizeBytes : diff.newSizeBytes) ?? 0;
    await streamTarget(repo, { kind: 'file', fileId: Buffer.from(id, 'hex'), sizeBytes }, async (bytes) => {
      parts.push(Buffer.from(bytes)); // borrowed: copied before the next chunk replaces it
    });
    return Buffer.concat(parts);
  };
}

function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

export interface FilePatch {
  /** 'text': hunks and line counts; 'binary' (git's "Binary files differ"); 'large': over LINE_DIFF_MAX_BYTES. */
  kind: 'text' | 'binary' | 'large';
  hunks: StructuredPatchHunk[];
  insertions: number;
  deletions: number;
}

/** The line diff of one changed file (3 lines of context, as git's default). */
export async function patchOf(diff: FileDiff, read: ContentReader): Promise<FilePatch> {
  const sizes = [diff.oldSizeBytes ?? 0, diff.newSizeBytes ?? 0];
  if (sizes.some((size) => size > LINE_DIFF_MAX_BYTES)) return { kind: 'large', hunks: [], insertions: 0, deletions: 0 };
  const [before, after] = await Promise.all([read(diff, 'old'), read(diff, 'new')]);
  if ((before !== undefined && isBinary(before)) || (after !== undefined && isBinary(after))) return { kind: 'binary', hunks: [], insertions: 0, deletions: 0 };
  const patch = structuredPatch('a', 'b', before?.toString('latin1') ?? '', after?.toString('latin1') ?? '', undefined, undefined, { context: 3 });
  let insertions = 0;
  let deletions = 0;
  for (const hunk of patch.hunks)
    for (const line of hunk.lines) {
      if (line.startsWith('+')) insertions++;
      else if (line.startsWith('-')) deletions++;
    }
  return { kind: 'text', hunks: patch.hunks, insertions, deletions };
}

/**
 * Pairs deletions with additions as renames: the same content id is a rename at 100% (git's R100);
 * with `similarity` (0-100, git's -M), a pair whose lines are at least that similar is one too, the
 * most similar first. The pairs compared are bounded (git's renameLimit): past it, exact renames only.
 */
async function findRenames(diffs: FileDiff[], options: { similarity?: number; read: ContentReader }): Promise<FileDiff[]> {
  const deleted = diffs.filter((diff) => diff.change === 'deleted');
  const added = diffs.filter((diff) => diff.change === 'added');
  if (deleted.length === 0 || added.length === 0) return diffs;
  const renames = new Map<FileDiff, FileDiff>(); // added -> its rename
  const taken = new Set<FileDiff>(); // deleted files paired
  const deletedById = new Map<string, FileDiff[]>();
  for (const diff of deleted) {
    const same = deletedById.get(diff.oldFileId!);
    if (same === undefined) deletedById.set(diff.oldFileId!, [diff]);
    else same.push(diff);
  }
  for (const diff of added) {
    const source = deletedById.get(diff.newFileId!)?.find((candidate) => !taken.has(candidate));
    if (source === undefined) continue;
    taken.add(source);
    renames.set(diff, renamed(source, diff, 100));
  }
  if (options.similarity !== undefined) {
    const leftAdded = added.filter((diff) => !renames.has(diff));
    const leftDeleted = deleted.filter((diff) => !taken.has(diff));
    if (leftAdded.length * leftDeleted.length <= RENAME_PAIRS_MAX) {
      const scored: { source: FileDiff; target: FileDiff; score: number }[] = [];
      for (const target of leftAdded)
        for (const source of leftDeleted) {
          const score = await similarityOf(source, target, options.read);
          if (score >= options.similarity) scored.push({ source, target, score });
        }
      scored.sort((a, b) => b.score - a.score);
      for (const { source, target, score } of scored) {
        if (taken.has(source) || renames.has(target)) continue;
        taken.add(source);
        renames.set(target, renamed(source, target, score));
      }
    }
  }
  return diffs.filter((diff) => !taken.has(diff)).map((diff) => renames.get(diff) ?? diff);
}

/** git's diff.renameLimit is 1,000 files a side; pairs are what cost here. */
const RENAME_PAIRS_MAX = 100_000;

/**
 * Past this many changed files, a diff is passed on as it comes, without renames: pairing them holds
 * every change in memory (~300 bytes each), and memory stays bounded whatever the trees.
 */
const RENAME_DIFFS_MAX = 100_000;

/** `diffs` with renames found (see findRenames) when there are at most RENAME_DIFFS_MAX of them; else as they come. */
export async function withRenames(
  diffs: Iterable<FileDiff>,
  options: { similarity?: number; read: ContentReader; heldAtMost?: number },
): Promise<Iterable<FileDiff>> {
  const heldAtMost = options.heldAtMost ?? RENAME_DIFFS_MAX;
  const iterator = diffs[Symbol.iterator]();
  const held: FileDiff[] = [];
  for (let next = iterator.next(); !next.done; next = iterator.next()) {
    held.push(next.value);
    if (held.length > heldAtMost) {
      return (function* () {
        yield* held;
        for (let more = iterator.next(); !more.done; more = iterator.next()) yield more.value;
      })();
    }
  }
  return findRenames(held, options);
}

function renamed(source: FileDiff, target: FileDiff, similarity: number): FileDiff {
  return {
    path: target.path,
    oldPath: source.path,
    change: 'renamed',
    similarity,
    oldSizeBytes: source.oldSizeBytes,
    newSizeBytes: target.newSizeBytes,
    oldFileId: source.oldFileId,
    newFileId: target.newFileId,
    oldKind: source.oldKind,
    newKind: target.newKind,
  };
}

/** Percent of the larger version's bytes in lines both versions share (0 for binary or large files). */
async function similarityOf(source: FileDiff, target: FileDiff, read: ContentReader): Promise<number> {
  const sizes = [source.oldSizeBytes ?? 0, target.newSizeBytes ?? 0];
  const larger = Math.max(...sizes);
  // Sizes alone bound it: a file less than half the other's size is less than 50% similar.
  if (larger === 0 || Math.min(...sizes) * 100 < larger * 50 || larger > LINE_DIFF_MAX_BYTES) return 0;
  const [before, after] = await Promise.all([read(source, 'old'), read(target, 'new')]);
  if (before === undefined || after === undefined || isBinary(before) || isBinary(after)) return 0;
  let common = 0;
  for (const part of diffLines(before.toString('latin1'), after.toString('latin1'))) if (!part.added && !part.removed) common += part.value.length;
  return Math.floor((common * 100) / larger);
}
