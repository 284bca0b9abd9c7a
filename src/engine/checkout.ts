import { chmodSync, lstatSync, mkdirSync, renameSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { errnoCode, StoreError } from '../core/errors.js';
import { temporarySibling, writeFileAtomicFrom } from '../core/fs-atomic.js';
import { EntryKind, type TreeEntry } from '../objects/tree.js';
import type { Repository } from '../repository/repository.js';
import { nowNs, readStaging, writeStaging } from '../staging/staging-area.js';
import { toStagedEntry } from './add.js';
import { loadCommit, loadFileTimes } from './objects-io.js';
import { isWithin, toRepoPath } from './paths.js';
import { streamTarget } from './restore.js';
import { resolveCommit } from './revisions.js';
import { computeStatus } from './status.js';
import { flattenTree } from './tree-walk.js';

export interface CheckoutOptions {
  revision: string;
  paths: readonly string[];
  cwd: string;
  /** Write under this directory instead of the work tree (the staging area is then left alone). */
  outputDirectory?: string;
  /** Overwrite uncommitted changes in the work tree. */
  force: boolean;
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
  const times = loadFileTimes(repo, commit);
  const inScope = (path: string): boolean => scopes.some((scope) => isWithin(path, scope));
  scopes.forEach((scope, index) => {
    if (scope !== '' && ![...target.keys()].some((path) => isWithin(path, scope))) {
      throw new StoreError('PATH_NOT_FOUND', `pathspec '${options.paths[index]}' did not match any file in commit ${commitId.slice(0, 12)}`);
    }
  });
  const selected = [...target].filter(([path]) => inScope(path));

  if (options.outputDirectory !== undefined) {
    const root = resolve(options.cwd, options.outputDirectory);
    for (const [path, entry] of selected) await writeEntry(repo, join(root, path), entry, times.get(path));
    return { commitId, written: selected.map(([path]) => path), removed: [] };
  }
  return repo.withWriteLock(async () => restoreIntoWorkTree(repo, commitId, selected, inScope, times, options.force, scopes[0] === ''));
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
  }
  const staging = new Map(readStaging(repo.layout.staging).entries.map((entry) => [entry.path, entry]));
  const wanted = new Set(selected.map(([path]) => path));
  const removed: string[] = [];
  if (wholeTree) {
    // Tracked files the commit does not have go, as in `git switch`.
    for (const path of [...staging.keys()]) {
      if (wanted.has(path) || !inScope(path)) continue;
      rmSync(join(repo.workTree, path), { force: true });
      staging.delete(path);
      removed.push(path);
    }
  }
  const scanStartedAtNs = nowNs();
  for (const [path, entry] of selected) {
    const absolute = join(repo.workTree, path);
    const current = staging.get(path);
    const unchanged = current && current.fileId.equals(entry.id) && current.kind === entry.kind && existsAsStaged(absolute, current.ino);
    if (!unchanged) await writeEntry(repo, absolute, entry, times.get(path));
    const stats = lstatSync(absolute, { bigint: true });
    staging.set(path, toStagedEntry(path, entry.kind as Exclude<EntryKind, EntryKind.Directory>, stats, entry.id));
  }
  writeStaging(repo.layout.staging, [...staging.values()], scanStartedAtNs);
  return { commitId, written: selected.map(([path]) => path), removed };
}

function existsAsStaged(absolute: string, ino: bigint): boolean {
  try {
    return lstatSync(absolute, { bigint: true }).ino === ino;
  } catch {
    return false;
  }
}

/** Writes one file or symlink atomically (temporary sibling, then rename), with its mode and time. */
async function writeEntry(repo: Repository, absolute: string, entry: TreeEntry, mtimeNs: bigint | undefined): Promise<void> {
  mkdirSync(dirname(absolute), { recursive: true });
  removeDirectoryInTheWay(absolute);
  if (entry.kind === EntryKind.Symlink) {
    const temporary = temporarySibling(absolute);
    const parts: Buffer[] = [];
    await streamTarget(repo, { kind: 'file', fileId: entry.id, sizeBytes: entry.sizeBytes }, async (bytes) => {
      parts.push(Buffer.from(bytes));
    });
    symlinkSync(Buffer.concat(parts), temporary);
    renameSync(temporary, absolute);
    return;
  }
  const mode = entry.kind === EntryKind.Executable ? 0o755 : 0o644;
  await writeFileAtomicFrom(
    absolute,
    (write) => streamTarget(repo, { kind: 'file', fileId: entry.id, sizeBytes: entry.sizeBytes }, async (bytes) => write(bytes)).then(() => undefined),
    {
      mode,
      durable: false, // a restore can be repeated; thousands of fsyncs would dominate it
      beforeRename: (temporary) => {
        chmodSync(temporary, mode); // the umask may have narrowed the mode given at creation
        if (mtimeNs !== undefined && mtimeNs !== 0n) {
          // utimes takes float seconds (0.24 us apart at today's dates); half a microsecond more keeps
          // the float from landing just below the recorded time, which would lose its last millisecond.
          const seconds = Number(mtimeNs / 1000n) / 1e6 + 5e-7;
          utimesSync(temporary, seconds, seconds);
        }
      },
    },
  );
}


/** A directory where the commit has a file (or the reverse was committed later) is replaced. */
function removeDirectoryInTheWay(absolute: string): void {
  try {
    if (lstatSync(absolute).isDirectory()) rmSync(absolute, { recursive: true });
  } catch (error) {
    if (errnoCode(error) !== 'ENOENT') throw error;
  }
}

/** Moves HEAD to another branch and makes the work tree and staging area match its commit. */
export async function switchBranch(repo: Repository, options: { branch: string; create: boolean; force: boolean; cwd: string }): Promise<{ branch: string; commitId: string | undefined }> {
  const ref = `refs/heads/${options.branch}`;
  const existing = repo.refs.read(ref);
  if (options.create) {
    if (existing !== undefined) throw new StoreError('REF_EXISTS', `a branch named '${options.branch}' already exists`);
    const head = repo.refs.headCommit();
    if (head !== undefined) repo.refs.update(ref, head);
    repo.refs.setHeadBranch(options.branch);
    return { branch: options.branch, commitId: head };
  }
  if (existing === undefined) throw new StoreError('COMMIT_NOT_FOUND', `no branch named '${options.branch}'`, { hint: 'create it with `store switch -c NAME`' });
  await checkoutCommit(repo, { revision: existing, paths: [], cwd: options.cwd, force: options.force });
  repo.refs.setHeadBranch(options.branch);
  return { branch: options.branch, commitId: existing };
}
