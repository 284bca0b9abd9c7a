import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { StoreError } from '../core/errors.js';
import { fsPath } from '../core/path-bytes.js';
import type { Repository } from '../repository/repository.js';
import { openStaging, writeStagingFrom } from '../staging/staging-area.js';
import { type ReplacedEntry, runsUnder, withEntriesReplaced } from '../staging/staged-runs-of.js';
import type { StagedEntry } from '../staging/staging-format.js';
import { openCommitFiles, restoreItemOfFile, throwIfFailed } from './restore/commit-files.js';
import { loadCommit } from './history/objects-io.js';
import { resolveCommit } from './history/revisions.js';
import { restoreAll, type RestoreItem } from './restore/files.js';
import { computeStatus } from './worktree/status.js';
import { compareWithWorkTree, lstatTracked, toStagedEntry } from './worktree/tracked.js';
import { LeadingDirectories } from './worktree/leading-directories.js';
import { isWithin, pathList, toRepoPath } from './worktree/paths.js';
import { removeTrackedFile } from './worktree/removal.js';

/**
 * git's `restore PATH...` without --staged: files of the work tree put back, the staging area left
 * as it is. From the staging area (the default), or from a commit (`source`), whose files in scope
 * are written and whose missing ones, tracked here, are removed. Unlike git, a file with changes no
 * commit or staging area holds is not overwritten unless forced; a deleted one is simply written back.
 */
export async function restoreWorkTreePaths(
  repo: Repository,
  options: { paths: readonly string[]; cwd: string; source?: string; force: boolean },
): Promise<{ restored: string[]; removed: string[]; source: string }> {
  if (options.paths.length === 0) throw new StoreError('INVALID_ARGUMENT', 'restore needs paths (use . for everything here)');
  const scopes = options.paths.map((path) => toRepoPath(repo.workTree, options.cwd, path));
  const inScope = (path: string): boolean => scopes.some((scope) => isWithin(path, scope));
  return repo.withWriteLock(async () => {
    // The staged entries in scope, decoded with their indexes; the others are only copied as bytes.
    const staging = openStaging(repo.layout.staging);
    const stagedAt: number[] = [];
    for (const [start, end] of runsUnder(staging, scopes)) for (let index = start; index < end; index++) stagedAt.push(index);
    const staged = stagedAt.map((index) => staging.entryAt(index));
    const wanted = options.source === undefined ? fromStaging(repo, staged) : fromCommit(repo, options.source, inScope);
    scopes.forEach((scope, index) => {
      if (!wanted.items.some((item) => isWithin(item.path, scope)) && !staged.some((entry) => isWithin(entry.path, scope))) {
        throw new StoreError('PATH_NOT_FOUND', `pathspec '${options.paths[index]}' did not match any file known to store`);
      }
    });
    if (!options.force) refuseToLoseWork(repo, scopes, new Set(wanted.items.map((item) => item.path)));

    // Tracked files the source does not have go (a commit's restore); the others are written where they differ.
    const removed: string[] = [];
    const wantedPaths = new Set(wanted.items.map((item) => item.path));
    for (const entry of staged) {
      if (wantedPaths.has(entry.path)) continue;
      removeTrackedFile(repo.workTree, entry.path);
      removed.push(entry.path);
    }
    const leading = new LeadingDirectories(repo.workTree);
    const byPath = new Map(staged.map((entry) => [entry.path, entry]));
    const toWrite = wanted.items.filter((item) => {
      const entry = byPath.get(item.path);
      const onDisk = lstatTracked(repo.workTree, item.path, leading);
      // Already what the source has: as staged, unchanged on disk, and staged content is the wanted one.
      return !(
        entry !== undefined &&
        onDisk !== undefined &&
        entry.fileId.toString('hex') === item.fileId &&
        compareWithWorkTree(repo, entry, staging, onDisk).change === undefined
      );
    });
    const failures = await restoreAll(repo, toWrite);
    const failed = new Set(failures.map((failure) => failure.path));
    if (options.source === undefined) {
      // Files written back from the staging area match it again: their new stat data is recorded, so
      // that status need not read them. (From a commit, the staging area is left as it was.)
      const indexOf = new Map(staged.map((entry, at) => [entry.path, stagedAt[at]!]));
      const rewritten: ReplacedEntry[] = [];
      for (const item of toWrite) {
        if (failed.has(item.path)) continue;
        const stats = lstatSync(fsPath(join(repo.workTree, item.path)), { bigint: true });
        rewritten.push({
          index: indexOf.get(item.path)!,
          entry: toStagedEntry(item.path, byPath.get(item.path)!.kind, stats, Buffer.from(item.fileId, 'hex')),
        });
      }
      rewritten.sort((a, b) => a.index - b.index);
      if (rewritten.length > 0) writeStagingFrom(repo.layout, () => withEntriesReplaced(staging, rewritten), staging.writtenAtNs);
    }
    throwIfFailed(failures, toWrite.length);
    return { restored: toWrite.map((item) => item.path), removed, source: wanted.source };
  });
}

function fromStaging(repo: Repository, staged: readonly StagedEntry[]): { items: RestoreItem[]; source: string } {
  const items = staged.map(
    (entry): RestoreItem => ({
      root: repo.workTree,
      path: entry.path,
      absolutePath: join(repo.workTree, entry.path),
      kind: entry.kind,
      fileId: entry.fileId.toString('hex'),
      sizeBytes: entry.sizeBytes,
      mtimeNs: undefined, // a restored file is new to the work tree: its time is now, as git's
      mode: entry.mode & 0o7777,
    }),
  );
  return { items, source: 'the staging area' };
}

function fromCommit(repo: Repository, revision: string, inScope: (path: string) => boolean): { items: RestoreItem[]; source: string } {
  const commitId = resolveCommit(repo, revision);
  const files = openCommitFiles(repo, loadCommit(repo, commitId));
  files.counted(); // the metadata's counts checked before anything is written
  const items: RestoreItem[] = [];
  for (const file of files.files()) if (inScope(file.path)) items.push(restoreItemOfFile(repo.workTree, file));
  return { items, source: commitId };
}

/** Changes to tracked files in scope (a deletion loses nothing) and untracked files in the way are refused, as checkout refuses them. */
function refuseToLoseWork(repo: Repository, scopes: readonly string[], wanted: ReadonlySet<string>): void {
  const inScope = (path: string): boolean => scopes.some((scope) => isWithin(path, scope));
  const status = computeStatus(repo, { untracked: 'all' });
  const changed = status.unstaged.filter((item) => item.change !== 'deleted' && inScope(item.path)).map((item) => item.path);
  const inTheWay = status.untracked.filter((path) => wanted.has(path));
  const lost = [...changed, ...inTheWay];
  if (lost.length === 0) return;
  throw new StoreError('UNCOMMITTED_CHANGES', `restore would overwrite changes no commit or staging area holds:${pathList(lost)}`, {
    hint: 'add or move them first, or use --force to discard them',
  });
}
