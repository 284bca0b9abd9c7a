import { chmodSync, linkSync, lstatSync, mkdirSync, renameSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errnoCode, StoreError } from '../core/errors.js';
import { setTimesNs } from '../core/file-times-ns.js';
import { temporarySibling } from '../core/fs-atomic.js';
import { fsPath, quotePath } from '../core/path-bytes.js';
import { compareUtf8 } from '../core/utf8-order.js';
import type { TreeEntry } from '../objects/tree.js';
import type { Repository } from '../repository/repository.js';
import { nowNs, readStaging, writeStaging } from '../staging/staging-area.js';
import { isUnchanged, lstatTracked, toStagedEntry } from './worktree/tracked.js';
import { loadCommit, loadCommitMetadata, openCommitMetadata, type CommitMetadata } from './history/objects-io.js';
import { directoriesHolding } from '../objects/file-times.js';
import type { Commit } from '../objects/commit.js';
import { hashWorkTreeFile } from './worktree/content-hash.js';
import { ancestorsOf, isWithin, toRepoPath } from './worktree/paths.js';
import { ConfinedDirectories, restoreFailure, type RestoreFailure } from '../core/restore-file.js';
import { restoreAll, restoreEach, type RestoreItem } from './restore/files.js';
import { resolveCommit } from './history/revisions.js';
import { computeStatus } from './worktree/status.js';
import { findInTree, flattenTree, walkTreeFiles } from './history/tree-walk.js';
import { LeadingDirectories } from './worktree/leading-directories.js';
import { removeTrackedFile } from './worktree/removal.js';
import { EntryKind } from '../core/vocabulary.js';

export interface CheckoutOptions {
  revision: string;
  paths: readonly string[];
  cwd: string;
  /** Write under this directory instead of the work tree (the staging area is then left alone). */
  outputDirectory?: string;
  /** Overwrite uncommitted changes in the work tree. */
  force: boolean;
  /** List every path written in the result (default); without, only their count (memory for a million paths). */
  listWritten?: boolean;
  /** Runs under the same writer lock once the work tree is restored (switch moves HEAD there). */
  thenUnderLock?: () => void;
}

export interface CheckoutResult {
  commitId: string;
  /** Empty when `listWritten` is false. */
  written: string[];
  writtenCount: number;
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
  if (options.outputDirectory !== undefined) {
    const root = resolve(options.cwd, options.outputDirectory);
    return checkoutInto(repo, root, commitId, commit, scopes, options);
  }
  const target = flattenTree(repo, Buffer.from(commit.treeId, 'hex'));
  const metadata = loadCommitMetadata(repo, commit, target.keys());
  const inScope = (path: string): boolean => scopes.some((scope) => isWithin(path, scope));
  scopes.forEach((scope, index) => {
    if (scope !== '' && ![...target.keys()].some((path) => isWithin(path, scope))) {
      throw new StoreError('PATH_NOT_FOUND', `pathspec '${options.paths[index]}' did not match any file in commit ${commitId.slice(0, 12)}`);
    }
  });
  const selected = [...target].filter(([path]) => inScope(path));
  return repo.withWriteLock(async () => {
    const { result, failures } = await restoreIntoWorkTree(repo, commitId, selected, inScope, metadata, options.force, scopes[0] === '');
    // Whatever failed, the staging area matches the disk; HEAD moves (switch) only when all came out.
    throwIfFailed(failures, selected.length);
    options.thenUnderLock?.();
    return result;
  });
}

/**
 * checkout -o: the commit's files (those in scope) written under `root`, streamed from a walk of its
 * trees in path byte order, with their times and modes read by position from the commit's blobs:
 * memory holds the trees on the way down and a few batches, whatever the commit's size (and the
 * directories, for their times and modes at the end). Of the files one link group names, the first
 * is written and the others are linked to it, as tar does within one archive.
 */
async function checkoutInto(
  repo: Repository,
  root: string,
  commitId: string,
  commit: Commit,
  scopes: readonly string[],
  options: CheckoutOptions,
): Promise<CheckoutResult> {
  const treeId = Buffer.from(commit.treeId, 'hex');
  scopes.forEach((scope, index) => {
    if (scope !== '' && findInTree(repo, treeId, scope) === undefined) {
      throw new StoreError('PATH_NOT_FOUND', `pathspec '${options.paths[index]}' did not match any file in commit ${commitId.slice(0, 12)}`);
    }
  });
  const inScope = (path: string): boolean => scopes.some((scope) => isWithin(path, scope));
  const metadata = openCommitMetadata(repo, commit);
  // Checked before anything is written: the blobs pair with the tree by position, so the counts must agree.
  let fileCount = 0;
  const directories = directoriesHolding(
    (function* () {
      for (const [path] of walkTreeFiles(repo, treeId)) {
        fileCount++;
        yield path;
      }
    })(),
  );
  metadata.times?.checkCounts(fileCount, directories.length);
  metadata.modes?.checkCounts(fileCount, directories.length);

  mkdirSync(root, { recursive: true }); // the user's own path: whatever leads there is theirs
  const written: string[] | undefined = options.listWritten === false ? undefined : [];
  let writtenCount = 0;
  const leaders = new Map<number, RestoreItem>();
  const links: { item: RestoreItem; leader: RestoreItem }[] = [];
  function* items(): Generator<RestoreItem> {
    let index = 0;
    for (const [path, entry] of walkTreeFiles(repo, treeId)) {
      const position = index++;
      if (!inScope(path)) continue;
      written?.push(path);
      writtenCount++;
      const mtimeNs = metadata.times?.fileTime(position, path) ?? 0n;
      const { mode, linkGroup } = metadata.modes?.fileMode(position) ?? { mode: 0, linkGroup: 0 };
      const item = restoreItemOf(root, path, entry, { mtimeNs: mtimeNs === 0n ? undefined : mtimeNs, mode });
      const leader = linkGroup === 0 ? undefined : leaders.get(linkGroup);
      if (leader !== undefined) {
        links.push({ item, leader });
        continue;
      }
      if (linkGroup !== 0) leaders.set(linkGroup, item);
      yield item;
    }
  }
  const failures = await restoreAll(repo, items());
  failures.push(...(await linkToLeaders(repo, root, links, failures)));
  const directoryMetadata = directories.map((path, index) => ({
    path,
    mtimeNs: metadata.times?.directoryTime(index) ?? 0n,
    mode: metadata.modes?.directoryMode(index) ?? 0,
  }));
  restoreDirectoryMetadataOf(
    root,
    directoryMetadata.filter((directory) => inScope(directory.path)),
  );
  throwIfFailed(failures, writtenCount);
  return { commitId, written: written ?? [], writtenCount, removed: [] };
}

async function restoreIntoWorkTree(
  repo: Repository,
  commitId: string,
  selected: [string, TreeEntry][],
  inScope: (path: string) => boolean,
  metadata: CommitMetadata,
  force: boolean,
  wholeTree: boolean,
): Promise<{ result: CheckoutResult; failures: RestoreFailure[] }> {
  if (!force) {
    const status = computeStatus(repo);
    // A deletion holds no content: writing the file back loses nothing (git restores it too).
    const dirty = [...status.staged, ...status.unstaged]
      .filter((item) => item.change !== 'deleted')
      .map((item) => item.path)
      .filter(inScope);
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
    if (onDisk === undefined || !isUnchanged(current, onDisk, snapshot)) return true;
    const mode = metadata.modes.files.get(path)?.mode ?? 0;
    return entry.kind !== EntryKind.Symlink && mode !== 0 && (onDisk.stats.mode & 0o7777) !== mode;
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
  const failures = await restoreWithLinks(repo, repo.workTree, toWrite, metadata, selected);
  if (wholeTree) restoreDirectoryMetadata(repo.workTree, metadata, inScope);
  const failed = new Set(failures.map((failure) => failure.path));
  const written: string[] = [];
  for (const [path, entry] of selected) {
    if (failed.has(path)) continue; // its write was atomic: the staged entry still describes what is there
    const stats = lstatSync(fsPath(join(repo.workTree, path)), { bigint: true });
    staging.set(path, toStagedEntry(path, entry.kind as Exclude<EntryKind, EntryKind.Directory>, stats, entry.id));
    written.push(path);
  }
  writeStaging(repo.layout, [...staging.values()], scanStartedAtNs);
  return { result: { commitId, written, writtenCount: written.length, removed }, failures };
}

/** A checkout that could not restore every path has restored the others; this names the rest. */
function throwIfFailed(failures: readonly RestoreFailure[], total: number): void {
  if (failures.length === 0) return;
  const corrupt = failures.find((failure) => failure.code.startsWith('CORRUPT_'));
  const lines = failures.map((failure) => `  ${quotePath(failure.path)}: ${failure.message}`).join('\n');
  const message = `could not restore ${failures.length} of ${total} paths (the others were restored):\n${lines}`;
  if (corrupt) throw new StoreError(corrupt.code as 'CORRUPT_OBJECT', message, { hint: 'run `store verify` to see what is damaged' });
  throw new StoreError('PARTIAL', message);
}

/**
 * Restores files under `root`; of the files one link group names (hard links when committed), the
 * first is written and the others are linked to it, as tar does within one archive. `present`: files
 * already in place (in-place checkout), which a link may point at too.
 */
async function restoreWithLinks(
  repo: Repository,
  root: string,
  toWrite: readonly [string, TreeEntry][],
  metadata: CommitMetadata,
  present: readonly [string, TreeEntry][] = [],
): Promise<RestoreFailure[]> {
  const leaders = new Map<number, string>();
  const links: [string, string][] = [];
  const toRestore: [string, TreeEntry][] = [];
  const writing = new Set(toWrite.map(([path]) => path));
  for (const [path] of present) {
    const group = metadata.modes.files.get(path)?.linkGroup ?? 0;
    if (group !== 0 && !writing.has(path) && !leaders.has(group)) leaders.set(group, path);
  }
  for (const [path, entry] of toWrite) {
    const group = metadata.modes.files.get(path)?.linkGroup ?? 0;
    const leader = group === 0 ? undefined : leaders.get(group);
    if (leader !== undefined) links.push([path, leader]);
    else {
      if (group !== 0) leaders.set(group, path);
      toRestore.push([path, entry]);
    }
  }
  const failures = await restoreAll(
    repo,
    (function* () {
      for (const [path, entry] of toRestore) yield toRestoreItem(root, path, entry, metadata);
    })(),
  );
  const byPath = new Map(toWrite);
  const linked = links.map(([path, leader]) => ({ item: toRestoreItem(root, path, byPath.get(path)!, metadata), leader: { path: leader } }));
  failures.push(...(await linkToLeaders(repo, root, linked, failures)));
  return failures;
}

/**
 * Makes each link's file a hard link to its leader's, which is written (or was there); where the
 * leader could not be written, the file is restored on its own.
 */
async function linkToLeaders(
  repo: Repository,
  root: string,
  links: readonly { item: RestoreItem; leader: Pick<RestoreItem, 'path'> }[],
  failuresSoFar: readonly RestoreFailure[],
): Promise<RestoreFailure[]> {
  const failed = new Set(failuresSoFar.map((failure) => failure.path));
  const failures: RestoreFailure[] = [];
  const confined = new ConfinedDirectories(root);
  for (const { item, leader } of links) {
    if (failed.has(leader.path)) {
      failures.push(...(await restoreEach(repo, [item])));
      continue;
    }
    try {
      confined.makeLeadingDirectories(item.path);
      linkInPlace(join(root, leader.path), join(root, item.path));
    } catch (error) {
      failures.push(restoreFailure(item.path, error));
    }
  }
  return failures;
}

/** Makes `path` a hard link to `existing`, atomically (a link under a temporary name, renamed over). */
function linkInPlace(existing: string, path: string): void {
  const temporary = temporarySibling(path);
  linkSync(fsPath(existing), fsPath(temporary));
  try {
    renameSync(fsPath(temporary), fsPath(path));
  } catch (error) {
    unlinkSync(fsPath(temporary));
    throw error;
  }
}

/**
 * Directories get their recorded mode and time once every file in them is written (deepest first,
 * as writing into a directory changes its time). A directory not there (or not a directory) is passed over.
 */
function restoreDirectoryMetadata(root: string, metadata: CommitMetadata, inScope: (path: string) => boolean): void {
  const directories = new Set([...metadata.times.directories.keys(), ...metadata.modes.directories.keys()]);
  restoreDirectoryMetadataOf(
    root,
    [...directories]
      .filter(inScope)
      .map((path) => ({ path, mtimeNs: metadata.times.directories.get(path) ?? 0n, mode: metadata.modes.directories.get(path) ?? 0 })),
  );
}

/** `restoreDirectoryMetadata` for directories given with their recorded time and mode (0: none recorded). */
function restoreDirectoryMetadataOf(root: string, directories: readonly { path: string; mtimeNs: bigint; mode: number }[]): void {
  const leading = new LeadingDirectories(root);
  for (const { path, mtimeNs, mode } of [...directories].sort((a, b) => compareUtf8(b.path, a.path))) {
    if (mtimeNs === 0n && mode === 0) continue;
    const absolute = join(root, path);
    try {
      // Never through a symlink, nor on one: chmod would follow it out of `root`.
      if (leading.firstNotReal(path) !== undefined || !lstatSync(fsPath(absolute)).isDirectory()) continue;
      if (mode !== 0) chmodSync(fsPath(absolute), mode);
      if (mtimeNs !== 0n) setTimesNs(absolute, mtimeNs, { followSymlinks: false });
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error;
    }
  }
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

function toRestoreItem(root: string, path: string, entry: TreeEntry, metadata: CommitMetadata): RestoreItem {
  return restoreItemOf(root, path, entry, { mtimeNs: metadata.times.files.get(path), mode: metadata.modes.files.get(path)?.mode ?? 0 });
}

/** A tree entry to write under `root`, with the time and mode its commit recorded (undefined, 0: none). */
function restoreItemOf(root: string, path: string, entry: TreeEntry, recorded: { mtimeNs: bigint | undefined; mode: number }): RestoreItem {
  return {
    root,
    path,
    absolutePath: join(root, path),
    kind: entry.kind,
    fileId: entry.id.toString('hex'),
    sizeBytes: entry.sizeBytes,
    ...recorded,
  };
}

/** Moves HEAD to another branch and makes the work tree and staging area match its commit. */
export async function switchBranch(
  repo: Repository,
  options: { branch: string; create: boolean; force: boolean; cwd: string },
): Promise<{ branch: string; commitId: string | undefined }> {
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
  if (existing === undefined)
    throw new StoreError('COMMIT_NOT_FOUND', `no branch named '${options.branch}'`, { hint: 'create it with `store switch -c NAME`' });
  // HEAD moves under the lock that covered the restore: no writer sees the new tree with the old HEAD.
  const thenUnderLock = (): void => repo.refs.setHeadBranch(options.branch);
  await checkoutCommit(repo, { revision: existing, paths: [], cwd: options.cwd, force: options.force, thenUnderLock });
  return { branch: options.branch, commitId: existing };
}
