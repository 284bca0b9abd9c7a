import { lstatSync } from 'node:fs';
import { StoreError } from '../core/errors.js';
import { hashBytes } from '../core/hash.js';
import { fsPath } from '../core/path-bytes.js';
import { workTreePath } from './worktree/scanner.js';
import { encodeCommit } from '../objects/commit.js';
import { FileModesBlob } from '../objects/file-modes.js';
import { DirectoriesHolding, FileTimesBlob } from '../objects/file-times.js';
import type { Repository } from '../repository/repository.js';
import { openStaging } from '../staging/staging-area.js';
import type { StagingView } from '../staging/staging-format.js';
import { commitRootKey, readTreeCache, writeTreeCache } from '../staging/tree-cache.js';
import { loadCommit } from './history/objects-io.js';
import { type FileChanges, treeFileChanges, treesByPrefix } from './history/tree-walk.js';
import { buildTrees } from './ingest/tree-builder.js';
import { BlobType } from '../core/vocabulary.js';

export interface CommitOptions {
  message: string;
  author: string;
  /** Defaults to now; fixed in tests to get reproducible ids. */
  timeMs?: number;
}

export interface CommitResult {
  commitId: string;
  treeId: string;
  parentId: string | undefined;
  /** Undefined on a detached HEAD. */
  branch: string | undefined;
  /** Files in the commit (all of them, not only those it changed). */
  fileCount: number;
  logicalBytes: number;
  /**
   * Files the commit added, removed and whose content or kind it changed, against its parent (all
   * added for a first commit). Counted from the trees read for deltas anyway; permission bits are
   * not counted per file (a commit records them in one blob by position: see modesOnly).
   */
  changes: FileChanges;
  /** The commit changes permission bits and nothing else. */
  modesOnly: boolean;
}

export function emptyMessageRefused(): never {
  throw new StoreError('INVALID_ARGUMENT', 'aborting commit due to empty commit message', { hint: 'give the commit a message with -m MESSAGE' });
}

/** Turns the staging area into an immutable commit on the current branch. */
export async function commitStaged(repo: Repository, options: CommitOptions): Promise<CommitResult> {
  if (options.message.trim() === '') emptyMessageRefused();
  return repo.withWriteLock(async () => {
    // Read in place, in path byte order: the order of the file times and modes, and of the trees' runs.
    const staging = openStaging(repo.layout.staging);
    const headRef = repo.refs.headRef();
    const parentId = repo.refs.headCommit();
    const parent = parentId === undefined ? undefined : loadCommit(repo, parentId);

    const { result } = await repo.withBlobWriter(async (writer) => {
      const parentTrees = parent && {
        ...treesByPrefix(repo, Buffer.from(parent.treeId, 'hex')),
        changesBetween: (before: Buffer | undefined, after: Buffer | undefined, depth: number) => treeFileChanges(repo, before, after, depth),
      };
      // The parent's trees read here, and the chains of bases under them, are read again by the next
      // commit: their ids are kept in the cache so that it verifies each with one hash.
      const readWholeTrees = repo.treeMemo.noteWholeTrees();
      const { root, changes, cache } = await buildTrees(staging, writer, readTreeCache(repo.layout.treeCache), parentTrees);
      for (const [key, id] of readWholeTrees) cache.groups.set(key, id);
      const treeId = root.id.toString('hex');
      const { times, modes } = encodeMetadata(repo.workTree, staging);
      const timesId = hashBytes(times);
      const modesId = hashBytes(modes).toString('hex');
      // Modes are content for a commit (git's exec bit, here every permission bit); times are not.
      const changesNothing = parent !== undefined && treeId === parent.treeId && (parent.modesId === undefined || parent.modesId === modesId);
      if (changesNothing || (parentId === undefined && staging.count === 0)) {
        throw new StoreError('NOTHING_TO_COMMIT', 'nothing to commit: the staging area matches HEAD', {
          hint: 'use `store add PATH` or `store add -A` to stage changes',
        });
      }
      // Times change only where files did: against the parent's, a commit's times cost a few bytes.
      const parentTimes = parent?.timesId === undefined ? undefined : Buffer.from(parent.timesId, 'hex');
      writer.addBlob(BlobType.FileTimes, timesId, times, { givenUp: true, deltaBase: () => parentTimes });
      writer.addBlob(BlobType.FileModes, Buffer.from(modesId, 'hex'), modes, { givenUp: true });
      const commit = {
        treeId,
        parentId,
        timesId: timesId.toString('hex'),
        modesId,
        author: options.author,
        timeMs: options.timeMs ?? Date.now(),
        fileCount: staging.count,
        logicalBytes: root.sizeBytes,
        message: options.message,
      };
      const encoded = encodeCommit(commit);
      writer.addBlob(BlobType.Commit, encoded.id, encoded.bytes);
      cache.trees.set(commitRootKey(encoded.id), root);
      writer.addCommit({
        ...commit,
        id: encoded.id,
        treeId: root.id,
        parentId: parentId === undefined ? undefined : Buffer.from(parentId, 'hex'),
      });
      const modesOnly = parent !== undefined && treeId === parent.treeId;
      return { commitId: encoded.id.toString('hex'), treeId, cache, logicalBytes: root.sizeBytes, changes, modesOnly };
    });
    // The ref moves last, once the commit's pack is sealed: until then the commit is unreachable, and a crash loses nothing.
    repo.refs.update(headRef, result.commitId);
    writeTreeCache(repo.layout, result.cache);
    return {
      commitId: result.commitId,
      treeId: result.treeId,
      parentId,
      branch: repo.refs.currentBranch(),
      fileCount: staging.count,
      logicalBytes: result.logicalBytes,
      changes: result.changes,
      modesOnly: result.modesOnly,
    };
  });
}

/**
 * Hard links among the staged files: entries on one inode of one device with one content share a
 * link group (numbered from 1, in the order of each inode's first entry). Inodes that repeat are
 * found by sorting the inode numbers (8 bytes a file, sorted in place), and only their entries are
 * grouped.
 */
function setLinkGroups(staging: StagingView, inodes: BigUint64Array, modes: FileModesBlob): void {
  inodes.sort();
  const repeated = new Set<bigint>();
  for (let i = 1; i < inodes.length; i++) if (inodes[i] !== 0n && inodes[i] === inodes[i - 1]) repeated.add(inodes[i]!);
  if (repeated.size === 0) return;
  const sharing = new Map<bigint, number[]>(); // in the order of each inode's first entry
  for (let index = 0; index < staging.count; index++) {
    const ino = staging.hardLinkInodeAt(index);
    if (!repeated.has(ino)) continue;
    const indexes = sharing.get(ino);
    if (indexes === undefined) sharing.set(ino, [index]);
    else indexes.push(index);
  }
  let count = 0;
  for (const indexes of sharing.values()) {
    const first = new Map<string, number>(); // dev and content: an entry index, then its group once a second one is seen
    for (const index of indexes) {
      const entry = staging.entryAt(index);
      const key = `${entry.dev}:${entry.fileId.toString('hex')}`;
      const seen = first.get(key);
      if (seen === undefined) first.set(key, -1 - index);
      else if (seen < 0) {
        modes.setLinkGroup(-1 - seen, ++count);
        modes.setLinkGroup(index, count);
        first.set(key, count);
      } else modes.setLinkGroup(index, seen);
    }
  }
}

/**
 * The commit's times and modes blobs. Files' come from the staging area (as `add` saw them);
 * directories' from the work tree now, as the staging area keeps no directories. Hard links: staged
 * files of one content on one inode (same device and inode number) share a link group. Filled in
 * place from the staging area: the two blobs (16 bytes a file) and the inode numbers (8 bytes a
 * file, to find hard links) are all this holds per file.
 */
function encodeMetadata(workTree: string, staging: StagingView): { times: Buffer; modes: Buffer } {
  const holding = new DirectoriesHolding();
  for (const directory of staging.directoryRuns()) if (directory !== '') holding.addDirectory(directory);
  const directories = holding.sorted();
  const times = new FileTimesBlob(staging.count, directories.length);
  const modes = new FileModesBlob(staging.count, directories.length);
  const inodes = new BigUint64Array(staging.count);
  for (let index = 0; index < staging.count; index++) {
    times.setFile(index, staging.mtimeNsAt(index));
    modes.setFile(index, staging.modeAt(index));
    inodes[index] = staging.hardLinkInodeAt(index);
  }
  setLinkGroups(staging, inodes, modes);
  directories.forEach((path, index) => {
    const stats = lstatSync(fsPath(workTreePath(workTree, path)), { bigint: true, throwIfNoEntry: false });
    if (!stats?.isDirectory()) return; // unknown: 0
    times.setDirectory(index, stats.mtimeNs);
    modes.setDirectory(index, Number(stats.mode & 0o7777n));
  });
  return { times: times.bytes, modes: modes.bytes };
}
