import { lstatSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StoreError, type ErrorCode } from '../core/errors.js';
import { EntryKind, type TreeEntry } from '../objects/tree.js';
import type { Repository } from '../repository/repository.js';
import { nowNs, readStaging, writeStaging } from '../staging/staging-area.js';
import { defaultJobs, WorkerPool } from '../workers/pool.js';
import { isUnchanged, lstatTracked, toStagedEntry } from './add.js';
import { loadCommit, loadFileTimes } from './objects-io.js';
import { hashWorkTreeFile } from './content-hash.js';
import { ancestorsOf, isWithin, toRepoPath } from './paths.js';
import { restoreItem, type RestoreItem } from './restore-files.js';
import { resolveCommit } from './revisions.js';
import { computeStatus } from './status.js';
import { flattenTree } from './tree-walk.js';
import { LeadingDirectories } from './work-tree-paths.js';
import { removeTrackedFile } from './work-tree-removal.js';

export interface CheckoutOptions {
  revision: string;
  paths: readonly string[];
  cwd: string;
  /** Write under this directory instead of the work tree (the staging area is then left alone). */
  outputDirectory?: string;
  /** Overwrite uncommitted changes in the work tree. */
  force: boolean;
  /** Runs under the same writer lock once the work tree is restored (switch moves HEAD there). */
  thenUnderLock?: () => void;
}

export interface CheckoutResult {
  commitId: string;
  written: string[];
  removed: string[];
}

/**
 * Restores the files of a commit (or of some paths in it): content byte-exact and verified,
 * executable bit, symlinks and modification times. Into the work tree it refuses to overwrite
 * uncommitted changes unless forced, and updates the staging area to match what it wrote; HEAD
 * does not move (see `switchBranch` for that).
 */
export async function checkoutCommit(repo: Repository, options: CheckoutOptions): Promise<CheckoutResult> {
  const scopes = options.paths.length === 0 ? [''] : options.paths.map((path) => toRepoPath(repo.workTree, options.cwd, path));
  const commitId = resolveCommit(repo, options.revision);
  const commit = loadCommit(repo, commitId);
  const target = flattenTree(repo, Buffer.from(commit.treeId, 'hex'));
  const times = loadFileTimes(repo, commit, target.keys());
  const inScope = (path: string): boolean => scopes.some((scope) => isWithin(path, scope));
  scopes.forEach((scope, index) => {
    if (scope !== '' && ![...target.keys()].some((path) => isWithin(path, scope))) {
      throw new StoreError('PATH_NOT_FOUND', `pathspec '${options.paths[index]}' did not match any file in commit ${commitId.slice(0, 12)}`);
    }
  });
  const selected = [...target].filter(([path]) => inScope(path));

  if (options.outputDirectory !== undefined) {
    const root = resolve(options.cwd, options.outputDirectory);
    await restoreAll(repo, selected.map(([path, entry]) => toRestoreItem(join(root, path), entry, times.get(path))));
    return { commitId, written: selected.map(([path]) => path), removed: [] };
  }
  return repo.withWriteLock(async () => {
    const result = await restoreIntoWorkTree(repo, commitId, selected, inScope, times, options.force, scopes[0] === '');
    options.thenUnderLock?.();
    return result;
  });
}

async function restoreIntoWorkTree(
  repo: Repository,
  commitId: string,
  selected: [string, TreeEntry][],
  inScope: (path: string) => boolean,
  times: Map<string, bigint>,
  force: boolean,
  wholeTree: boolean,
): Promise<CheckoutResult> {
  if (!force) {
    const status = computeStatus(repo);
    const dirty = [...status.staged, ...status.unstaged].map((item) => item.path).filter(inScope);
    if (dirty.length > 0) {
      throw new StoreError('UNCOMMITTED_CHANGES', `checkout would overwrite uncommitted changes in: ${[...new Set(dirty)].sort().join(', ')}`, {
        hint: 'commit them, or use --force to discard them',
      });
    }
    const inTheWay = untrackedInTheWay(repo, status.untracked, selected);
    if (inTheWay.length > 0) {
      throw new StoreError('UNCOMMITTED_CHANGES', `checkout would overwrite untracked files: ${inTheWay.join(', ')}`, {
        hint: 'move or add them, or use --force to overwrite them',
      });
    }
  }
  const snapshot = readStaging(repo.layout.staging);
  const staging = new Map(snapshot.entries.map((entry) => [entry.path, entry]));
  const wanted = new Set(selected.map(([path]) => path));
  const removed: string[] = [];
  if (wholeTree) {
    // Tracked files the commit does not have go, as in `git switch`.
    for (const path of [...staging.keys()]) {
      if (wanted.has(path) || !inScope(path)) continue;
      removeTrackedFile(repo.workTree, path);
      staging.delete(path);
      removed.push(path);
    }
  }
  const scanStartedAtNs = nowNs();
  // A file is left as it is only when the staged content is the wanted one and the file is still
  // what was staged: with --force, a changed file is written over (and its changes discarded), never
  // recorded as clean.
  let leading = new LeadingDirectories(repo.workTree);
  const toWrite = selected.filter(([path, entry]) => {
    const current = staging.get(path);
    if (current === undefined || !current.fileId.equals(entry.id) || current.kind !== entry.kind) return true;
    const onDisk = lstatTracked(repo.workTree, path, leading);
    return onDisk === undefined || !isUnchanged(current, onDisk, snapshot);
  });
  // A symlink or file where the commit has a directory goes first: writing through a symlink would
  // land outside the work tree. (Untracked ones stopped the checkout already, unless --force.)
  for (const [path] of toWrite) {
    const inTheWay = leading.firstInTheWay(path)?.path;
    if (inTheWay === undefined) continue;
    removeTrackedFile(repo.workTree, inTheWay);
    if (staging.delete(inTheWay)) removed.push(inTheWay);
    leading = new LeadingDirectories(repo.workTree); // what it knew has changed
  }
  await restoreAll(repo, toWrite.map(([path, entry]) => toRestoreItem(join(repo.workTree, path), entry, times.get(path))));
  for (const [path, entry] of selected) {
    const stats = lstatSync(join(repo.workTree, path), { bigint: true });
    staging.set(path, toStagedEntry(path, entry.kind as Exclude<EntryKind, EntryKind.Directory>, stats, entry.id));
  }
  writeStaging(repo.layout, [...staging.values()], scanStartedAtNs);
  return { commitId, written: selected.map(([path]) => path), removed };
}

/**
 * Untracked files the checkout would write over or delete, as `git switch` refuses to: one where a
 * file of the commit goes (unless it already holds that content), one where the commit has a
 * directory, and one inside a directory the commit replaces with a file.
 */
function untrackedInTheWay(repo: Repository, untracked: readonly string[], selected: readonly [string, TreeEntry][]): string[] {
  const wanted = new Map(selected);
  const wantedDirectories = new Set(selected.flatMap(([path]) => [...ancestorsOf(path)]));
  const leading = new LeadingDirectories(repo.workTree);
  return untracked.filter((path) => {
    const entry = wanted.get(path);
    if (entry === undefined) return wantedDirectories.has(path) || [...ancestorsOf(path)].some((directory) => wanted.has(directory));
    const onDisk = lstatTracked(repo.workTree, path, leading);
    return onDisk !== undefined && !hashWorkTreeFile(join(repo.workTree, path), onDisk.kind).fileId.equals(entry.id);
  });
}

function toRestoreItem(absolutePath: string, entry: TreeEntry, mtimeNs: bigint | undefined): RestoreItem {
  return { absolutePath, kind: entry.kind, fileId: entry.id.toString('hex'), sizeBytes: entry.sizeBytes, mtimeNs };
}

/** Below this many files, or bytes, worker threads cost more to start than they save. */
const PARALLEL_RESTORE_MIN_FILES = 64;
const PARALLEL_RESTORE_MIN_BYTES = 32 * 1024 * 1024;
const RESTORE_BATCH_MAX_FILES = 64;
const RESTORE_BATCH_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Writes the entries out, on worker threads when there are many files or many bytes: each worker
 * opens the repository for reading and restores a batch of small files, or one large file, holding
 * one frame at a time, so memory stays bounded whatever the sizes.
 */
async function restoreAll(repo: Repository, items: RestoreItem[], jobs = defaultJobs()): Promise<void> {
  const totalBytes = items.reduce((sum, item) => sum + item.sizeBytes, 0);
  if (jobs < 2 || (items.length < PARALLEL_RESTORE_MIN_FILES && totalBytes < PARALLEL_RESTORE_MIN_BYTES)) {
    for (const item of items) await restoreItem(repo, item);
    return;
  }
  const batches: RestoreItem[][] = [];
  let current: RestoreItem[] = [];
  let bytes = 0;
  // In path order, the order files were added in: neighbours share frames, which a reader decompresses once.
  for (const item of items) {
    if (current.length > 0 && (current.length >= RESTORE_BATCH_MAX_FILES || bytes + item.sizeBytes > RESTORE_BATCH_MAX_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.sizeBytes;
  }
  if (current.length > 0) batches.push(current);
  const pool = await WorkerPool.start(jobs);
  try {
    const results = await Promise.all(batches.map((batch) => pool.restoreFiles({ workTree: repo.workTree, items: batch })));
    const failure = results.find((result) => result.error !== undefined)?.error;
    if (failure) throw new StoreError(failure.code as ErrorCode, failure.message);
  } finally {
    await pool.close();
  }
}

/** Moves HEAD to another branch and makes the work tree and staging area match its commit. */
export async function switchBranch(repo: Repository, options: { branch: string; create: boolean; force: boolean; cwd: string }): Promise<{ branch: string; commitId: string | undefined }> {
  const ref = `refs/heads/${options.branch}`;
  const existing = repo.refs.read(ref);
  if (options.create) {
    if (existing !== undefined) throw new StoreError('REF_EXISTS', `a branch named '${options.branch}' already exists`);
    return repo.withWriteLock(async () => {
      const head = repo.refs.headCommit();
      if (head !== undefined) repo.refs.update(ref, head);
      repo.refs.setHeadBranch(options.branch);
      return { branch: options.branch, commitId: head };
    });
  }
  if (existing === undefined) throw new StoreError('COMMIT_NOT_FOUND', `no branch named '${options.branch}'`, { hint: 'create it with `store switch -c NAME`' });
  // HEAD moves under the lock that covered the restore: no writer sees the new tree with the old HEAD.
  const thenUnderLock = (): void => repo.refs.setHeadBranch(options.branch);
  await checkoutCommit(repo, { revision: existing, paths: [], cwd: options.cwd, force: options.force, thenUnderLock });
  return { branch: options.branch, commitId: existing };
}
