import { chmodSync, linkSync, lstatSync, mkdirSync, renameSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errnoCode, StoreError } from '../core/errors.js';
import { setTimesNs } from '../core/file-times-ns.js';
import { temporarySibling } from '../core/fs-atomic.js';
import { fsPath } from '../core/path-bytes.js';
import { compareUtf8 } from '../core/utf8-order.js';
import type { Repository } from '../repository/repository.js';
import { nowNs, openStaging, writeStagingFrom } from '../staging/staging-area.js';
import type { StagedEntry } from '../staging/staging-format.js';
import { EntrySpill } from '../staging/entry-spill.js';
import { mergeSorted } from '../core/sorted-merge.js';
import { BitSet } from '../core/bit-set.js';
import { isUnchanged, lstatTracked, toStagedEntry } from './worktree/tracked.js';
import { loadCommit } from './history/objects-io.js';
import { DirectoriesHolding } from '../objects/file-times.js';
import type { Commit } from '../objects/commit.js';
import { hashWorkTreeFile } from './worktree/content-hash.js';
import { ancestorsOf, isWithin, pathList, toRepoPath } from './worktree/paths.js';
import { ConfinedDirectories, restoreFailure, type RestoreFailure } from '../core/restore-file.js';
import { restoreAll, restoreEach, type RestoreItem } from './restore/files.js';
import { openCommitFiles, restoreItemOfFile, throwIfFailed, type CommitFile } from './restore/commit-files.js';
import { resolveCommit } from './history/revisions.js';
import { isAncestor } from './history/ancestry.js';
import { computeStatus } from './worktree/status.js';
import { findInTree } from './history/tree-walk.js';
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
  const treeId = Buffer.from(commit.treeId, 'hex');
  scopes.forEach((scope, index) => {
    if (scope !== '' && findInTree(repo, treeId, scope) === undefined) {
      throw new StoreError('PATH_NOT_FOUND', `pathspec '${options.paths[index]}' did not match any file in commit ${commitId.slice(0, 12)}`);
    }
  });
  const inScope = (path: string): boolean => scopes.some((scope) => isWithin(path, scope));
  if (options.outputDirectory !== undefined) return checkoutInto(repo, resolve(options.cwd, options.outputDirectory), commitId, commit, inScope, options);
  return repo.withWriteLock(async () => {
    const { result, failures, selectedCount } = await restoreIntoWorkTree(repo, commitId, commit, scopes, options);
    // Whatever failed, the staging area matches the disk; HEAD moves (switch) only when all came out.
    throwIfFailed(failures, selectedCount);
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
  inScope: (path: string) => boolean,
  options: CheckoutOptions,
): Promise<CheckoutResult> {
  const commitFiles = openCommitFiles(repo, commit);
  // Counted first: nothing is written before the metadata's counts are known to agree.
  const directories = commitFiles.counted();
  mkdirSync(root, { recursive: true }); // the user's own path: whatever leads there is theirs
  const written: string[] | undefined = options.listWritten === false ? undefined : [];
  let writtenCount = 0;
  const leaders = new Map<number, RestoreItem>();
  const links: { item: RestoreItem; leader: RestoreItem }[] = [];
  function* items(): Generator<RestoreItem> {
    for (const file of commitFiles.files()) {
      if (!inScope(file.path)) continue;
      written?.push(file.path);
      writtenCount++;
      const item = restoreItemOfFile(root, file);
      const leader = file.linkGroup === 0 ? undefined : leaders.get(file.linkGroup);
      if (leader !== undefined) {
        links.push({ item, leader });
        continue;
      }
      if (file.linkGroup !== 0) leaders.set(file.linkGroup, item);
      yield item;
    }
  }
  const failures = await restoreAll(repo, items());
  failures.push(...(await linkToLeaders(repo, root, links, failures)));
  restoreDirectoryMetadataOf(
    root,
    directories.filter((directory) => inScope(directory.path)),
  );
  throwIfFailed(failures, writtenCount);
  return { commitId, written: written ?? [], writtenCount, removed: [] };
}

/**
 * In place: the commit's files in scope (and, for the whole tree, the removal of tracked files it
 * does not have), as a merge of its trees' walk with the staging area read in place. Two walks of the
 * trees (verifying a tree's Merkle root is most of a walk's time): the first decides what to remove
 * and what to write (a bit per file of the commit) and counts the files and directories, checked
 * against the commit's metadata before anything changes; the second writes, noting each file written
 * in order in a temporary file; the new staging area is then the staging area's kept entries merged
 * with those, spilled in order and written from there. Memory holds a bit per file and a byte per
 * staged entry, the trees on the way down, and the directories.
 */
async function restoreIntoWorkTree(
  repo: Repository,
  commitId: string,
  commit: Commit,
  scopes: readonly string[],
  options: CheckoutOptions,
): Promise<{ result: CheckoutResult; failures: RestoreFailure[]; selectedCount: number }> {
  const treeId = Buffer.from(commit.treeId, 'hex');
  const inScope = (path: string): boolean => scopes.some((scope) => isWithin(path, scope));
  const wholeTree = scopes[0] === '';
  const clean = options.force ? undefined : refuseToOverwrite(repo, treeId, scopes);
  const staging = openStaging(repo.layout.staging);
  const commitFiles = openCommitFiles(repo, commit);
  const scanStartedAtNs = nowNs();
  const stagedIndexes = function* (): Generator<number> {
    for (let index = 0; index < staging.count; index++) yield index;
  };
  const byPath = (file: CommitFile, index: number): number => compareUtf8(file.path, staging.pathAt(index));

  // First walk: what to remove and what to write. A file is left as it is only when the staged
  // content is the wanted one and the file is still what was staged: with --force, a changed file is
  // written over (and its changes discarded), never recorded as clean.
  const toWrite = new BitSet();
  /** 1: the staged entry goes, and its file with it (not in the commit, or in the way of one of its files). */
  const dropped = new Uint8Array(staging.count);
  /** Untracked paths in the way of a file to write (only with --force: refused otherwise). */
  const untrackedInTheWayOf: string[] = [];
  const holding = new DirectoriesHolding();
  const selected: string[] | undefined = options.listWritten === false ? undefined : [];
  let fileCount = 0;
  let selectedCount = 0;
  const leading = new LeadingDirectories(repo.workTree);
  for (const [file, index] of mergeSorted(commitFiles.files(), stagedIndexes(), byPath)) {
    if (file === undefined) {
      // Tracked files the commit does not have go, as in `git switch`.
      if (wholeTree) dropped[index!] = 1;
      continue;
    }
    fileCount++;
    holding.add(file.path);
    if (!inScope(file.path)) continue;
    selectedCount++;
    selected?.push(file.path);
    const current = index === undefined ? undefined : staging.entryAt(index);
    if (current?.fileId.equals(file.entry.id) && current.kind === file.entry.kind) {
      // Without --force, status has just found every tracked file in scope as staged, or gone.
      let diskMode: number | undefined;
      if (clean !== undefined) diskMode = clean.gone.has(file.path) ? undefined : current.mode & 0o7777;
      else {
        const onDisk = lstatTracked(repo.workTree, file.path, leading);
        diskMode = onDisk !== undefined && isUnchanged(current, onDisk, staging) ? onDisk.stats.mode & 0o7777 : undefined;
      }
      const modeDiffers = file.entry.kind !== EntryKind.Symlink && file.mode !== 0 && diskMode !== file.mode;
      if (diskMode !== undefined && !modeDiffers) continue;
    }
    toWrite.add(file.position);
    // A symlink or file where the commit has a directory goes first: writing through a symlink would
    // land outside the work tree.
    const inTheWay = leading.firstInTheWay(file.path)?.path;
    if (inTheWay !== undefined) {
      const at = staging.indexOf(inTheWay);
      if (at >= 0) dropped[at] = 1;
      else untrackedInTheWayOf.push(inTheWay);
    }
  }
  const directories = commitFiles.check(fileCount, holding.sorted());
  const removed: string[] = [];
  for (let index = 0; index < staging.count; index++) {
    if (dropped[index] === 0) continue;
    removeTrackedFile(repo.workTree, staging.pathAt(index));
    removed.push(staging.pathAt(index));
  }
  for (const path of untrackedInTheWayOf) removeTrackedFile(repo.workTree, path);

  // Second walk: the writes. Of the files one link group names, one is written (or was there) and
  // the others are linked to it; a file left in place whose group's first file was written anew is
  // linked to it too (it would otherwise keep an inode of its own).
  const leaders = new Map<number, { path: string; written: boolean }>();
  const links: { item: RestoreItem; leader: Pick<RestoreItem, 'path'> }[] = [];
  const written = new EntrySpill(repo.layout.temporary);
  const staged = new EntrySpill(repo.layout.temporary);
  try {
    const noteWritten = (file: CommitFile): void => {
      const kind = file.entry.kind as StagedEntry['kind'];
      written.push({ path: file.path, kind, mode: 0, sizeBytes: 0, mtimeNs: 0n, ctimeNs: 0n, ino: 0n, dev: 0n, fileId: file.entry.id });
    };
    function* items(): Generator<RestoreItem> {
      for (const file of commitFiles.files()) {
        if (!inScope(file.path)) continue;
        const writing = toWrite.has(file.position);
        const leader = file.linkGroup === 0 ? undefined : leaders.get(file.linkGroup);
        if (leader === undefined) {
          if (file.linkGroup !== 0) leaders.set(file.linkGroup, { path: file.path, written: writing });
          if (!writing) continue;
          noteWritten(file);
          yield restoreItemOfFile(repo.workTree, file);
        } else if (writing || leader.written) {
          noteWritten(file); // linked below: its stat data change
          links.push({ item: restoreItemOfFile(repo.workTree, file), leader });
        }
      }
    }
    const failures = await restoreAll(repo, items());
    failures.push(...(await linkToLeaders(repo, repo.workTree, links, failures)));
    if (wholeTree)
      restoreDirectoryMetadataOf(
        repo.workTree,
        directories.filter((directory) => inScope(directory.path)),
      );

    // The staging area, from what is on disk now. A failed write was atomic: the staged entry still
    // describes what is there.
    const failed = new Set(failures.map((failure) => failure.path));
    const kept = function* (): Generator<StagedEntry> {
      for (let index = 0; index < staging.count; index++) if (dropped[index] === 0) yield staging.entryAt(index);
    };
    for (const [old, fresh] of mergeSorted(kept(), written.entries(), (a, b) => compareUtf8(a.path, b.path))) {
      if (fresh === undefined || failed.has(fresh.path)) {
        if (old !== undefined) staged.push(old);
        continue;
      }
      const stats = lstatSync(fsPath(join(repo.workTree, fresh.path)), { bigint: true });
      staged.push(toStagedEntry(fresh.path, fresh.kind, stats, fresh.fileId));
    }
    writeStagingFrom(repo.layout, () => staged.entries(), scanStartedAtNs);
    const writtenPaths = selected?.filter((path) => !failed.has(path)) ?? [];
    return { result: { commitId, written: writtenPaths, writtenCount: selectedCount - failures.length, removed }, failures, selectedCount };
  } finally {
    written.close();
    staged.close();
  }
}

/**
 * Refuses, as `git switch` does, to overwrite what is not committed: changes to tracked files in
 * scope (a deletion holds no content: writing the file back loses nothing), and untracked files
 * the checkout would write over or delete. Returns the tracked files in scope found gone: the others
 * are as staged.
 */
function refuseToOverwrite(repo: Repository, treeId: Buffer, scopes: readonly string[]): { gone: Set<string> } {
  const inScope = (path: string): boolean => scopes.some((scope) => isWithin(path, scope));
  const status = computeStatus(repo, { untracked: 'all' });
  const dirty = [...status.staged, ...status.unstaged]
    .filter((item) => item.change !== 'deleted')
    .map((item) => item.path)
    .filter(inScope);
  if (dirty.length > 0) {
    throw new StoreError('UNCOMMITTED_CHANGES', `checkout would overwrite uncommitted changes in:${pathList([...new Set(dirty)].sort())}`, {
      hint: 'commit them, or use --force to discard them',
    });
  }
  const inTheWay = untrackedInTheWay(repo, treeId, status.untracked, scopes);
  if (inTheWay.length > 0) {
    throw new StoreError('UNCOMMITTED_CHANGES', `checkout would overwrite untracked files:${pathList(inTheWay)}`, {
      hint: 'move or add them, or use --force to overwrite them',
    });
  }
  // The tracked files in scope are as staged (their stat data checked, racy ones read), but these.
  return { gone: new Set(status.unstaged.filter((item) => item.change === 'deleted').map((item) => item.path)) };
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
 * Directories get their recorded mode and time (0: none recorded) once every file in them is written
 * (deepest first, as writing into a directory changes its time). A directory not there (or not a
 * directory) is passed over.
 */
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
 * directory, and one inside a directory the commit replaces with a file. Each is looked up in the
 * commit's trees on its own: the untracked files are few, the commit's may be millions.
 */
function untrackedInTheWay(repo: Repository, treeId: Buffer, untracked: readonly string[], scopes: readonly string[]): string[] {
  const inScope = (path: string): boolean => scopes.some((scope) => isWithin(path, scope));
  const isWantedFile = (path: string): boolean => {
    const entry = findInTree(repo, treeId, path);
    return entry !== undefined && entry.kind !== EntryKind.Directory && inScope(path);
  };
  const leading = new LeadingDirectories(repo.workTree);
  return untracked.filter((path) => {
    const entry = findInTree(repo, treeId, path);
    if (entry === undefined) return [...ancestorsOf(path)].some(isWantedFile);
    // A directory of the commit in the way of a file in scope: it is in scope, or leads into it.
    if (entry.kind === EntryKind.Directory) return inScope(path) || scopes.some((scope) => scope.startsWith(`${path}/`));
    if (!inScope(path)) return false;
    const onDisk = lstatTracked(repo.workTree, path, leading);
    return onDisk !== undefined && !hashWorkTreeFile(join(repo.workTree, path), onDisk.kind).fileId.equals(entry.id);
  });
}

/**
 * Detaches HEAD at a commit (git's `switch --detach`), the work tree and staging area made to match
 * it: commits made there move HEAD alone. `leftBehind`: the commit a detached HEAD was at, when no
 * branch or tag holds it (git warns of it; gc would free it).
 */
export async function detachHead(
  repo: Repository,
  options: { revision: string; force: boolean; cwd: string },
): Promise<{ commitId: string; leftBehind: string | undefined }> {
  const commitId = resolveCommit(repo, options.revision);
  const leftBehind = commitLeftBehind(repo, commitId);
  await checkoutCommit(repo, {
    revision: commitId,
    paths: [],
    cwd: options.cwd,
    force: options.force,
    listWritten: false,
    thenUnderLock: () => repo.refs.detachHead(commitId),
  });
  return { commitId, leftBehind };
}

/** On a detached HEAD whose commit no branch or tag holds (and that `next` does not hold either): that commit. */
function commitLeftBehind(repo: Repository, next: string | undefined): string | undefined {
  if (repo.refs.currentBranch() !== undefined) return undefined;
  const head = repo.refs.headCommit()!;
  const refs = [...repo.refs.branches().map((name) => `refs/heads/${name}`), ...repo.refs.tags().map((name) => `refs/tags/${name}`)];
  const tips = [...refs.map((ref) => repo.refs.read(ref)), next].filter((id): id is string => id !== undefined);
  return tips.some((tip) => isAncestor(repo, head, tip)) ? undefined : head;
}

/** Moves HEAD to another branch and makes the work tree and staging area match its commit. */
export async function switchBranch(
  repo: Repository,
  /** `startPoint` (with `create`): the commit the new branch starts at, checked out as switching to it would be; HEAD's by default. */
  options: { branch: string; create: boolean; startPoint?: string; force: boolean; cwd: string },
): Promise<{ branch: string; commitId: string | undefined; leftBehind?: string }> {
  const ref = `refs/heads/${options.branch}`;
  const existing = repo.refs.read(ref);
  if (options.create) {
    if (existing !== undefined) throw new StoreError('REF_EXISTS', `a branch named '${options.branch}' already exists`);
    if (options.startPoint !== undefined) {
      const start = resolveCommit(repo, options.startPoint);
      const leftBehind = commitLeftBehind(repo, start);
      const thenUnderLock = (): void => {
        repo.refs.update(ref, start);
        repo.refs.setHeadBranch(options.branch);
      };
      await checkoutCommit(repo, { revision: start, paths: [], cwd: options.cwd, force: options.force, listWritten: false, thenUnderLock });
      return { branch: options.branch, commitId: start, ...(leftBehind === undefined ? {} : { leftBehind }) };
    }
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
  const leftBehind = commitLeftBehind(repo, existing);
  await checkoutCommit(repo, { revision: existing, paths: [], cwd: options.cwd, force: options.force, listWritten: false, thenUnderLock });
  return { branch: options.branch, commitId: existing, ...(leftBehind === undefined ? {} : { leftBehind }) };
}
